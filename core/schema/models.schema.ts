/** `GET /v1/models` response (the typed client reads it). */
import { SERVED_MODEL_TYPES } from '../../contract/manifest.js';
import * as z from '../zod.js';

export const modelSummarySchema = z.object({
  name: z.string(),
  status: z.literal('ready'),
  type: z.enum(SERVED_MODEL_TYPES),
  version: z.string(),
  created: z.string(),
  sha256: z.string(),
  bytes: z.int(),
  opset: z.int(),
  explain: z.boolean().meta({ description: 'Whether the model exports attention weights (explain: true).' }),
  runtime: z
    .object({
      executionProviders: z.array(z.string()),
      wasmMemoryBytes: z.int().nullable(),
      loadMs: z.number(),
      loadBreakdownMs: z.object({ assets: z.number(), contract: z.number(), session: z.number() }),
    })
    .optional()
    .meta({ description: 'Operators only (x-admin-token = the ADMIN_TOKEN secret): memory and load times.' }),
  inputs: z.array(z.object({ name: z.string(), dtype: z.string(), shape: z.array(z.union([z.int(), z.string()])) })),
  outputs: z.array(z.object({ name: z.string(), dtype: z.string(), shape: z.array(z.union([z.int(), z.string()])) })),
  featureContract: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.number()).optional().meta({ description: 'Operators only (x-admin-token): the manifest\'s test metrics.' }),
});

const unavailableModelSchema = z.object({
  name: z.string(),
  status: z.literal('unavailable'),
  error: z.string(),
});

export const modelsResponseSchema = z
  .object({ models: z.array(z.discriminatedUnion('status', [modelSummarySchema, unavailableModelSchema])) });

export type ModelsResponse = z.infer<typeof modelsResponseSchema>;
