/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests and type
 * responses (zod's own `z.toJSONSchema`, JSON Schema 2020-12 = OpenAPI 3.1's dialect). Built once
 * per isolate on first request.
 */
import { assignmentRequestSchema, assignmentResponseSchema } from '../../../core/schema/assignments.schema.js';
import { outcomeRequestSchema } from '../../../core/schema/outcomes.schema.js';
import { browserExposureSchema } from '../exposures/exposures.routes.js';
import { ERROR_STATUS } from '../../../core/errors.js';
import { FORCED_VARIANT_HEADER, VARIANT_TOKEN_HEADER } from '../../experiments/forcedVariant.js';
import { UNIT_ID_HEADER } from '../../../core/experiments/assignment.js';
import * as z from '../../../core/zod.js';
import { modelsResponseSchema } from '../models/models.routes.js';
import { routesResponseSchema } from '../routes/routes.routes.js';
import { SCORE_LIMITS, scoreRequestSchema, scoreResponseSchema } from '../../../core/schema/score.schema.js';

export const errorBodySchema = z.object({
  error: z.object({
    code: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...Array<keyof typeof ERROR_STATUS>]),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).max(20),
    issuesOmitted: z.int().positive().optional().meta({ description: 'Issues beyond the 20 listed.' }),
  }),
});

export const healthResponseSchema = z.object({
  status: z.enum(['ok', 'degraded']).meta({ description: '"degraded" (HTTP 503) while any model is failed.' }),
  models: z.array(
    z.object({
      name: z.string(),
      status: z.enum(['not_loaded', 'loading', 'ready', 'failed']),
      reason: z.string().optional().meta({ description: 'Failed models: the kind of failure (verification, golden requests, missing files, …).' }),
      detail: z.string().optional().meta({ description: 'Failed models, with x-admin-token: the full message of the worker log.' }),
      since: z.string().optional(),
      retryInSeconds: z.int().nonnegative().optional().meta({ description: 'Failed models: when the next request loads it again.' }),
    }),
  ),
});

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string, description: string) => ({ description, content: { 'application/json': { schema: ref(name) } } });
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [String(s), json('Error', 'Error; `error.issues` names each wrong field.')]));

function scoreOperation(withRoute: boolean) {
  return {
    summary: withRoute ? 'Score candidates on a route (A/B variants)' : 'Score candidates on the default route',
    operationId: withRoute ? 'scoreRoute' : 'score',
    parameters: [
      ...(withRoute ? [{ name: 'route', in: 'path', required: true, schema: { type: 'string' }, description: 'A route of GET /v1/routes.' }] : []),
      { name: UNIT_ID_HEADER, in: 'header', required: false, schema: { type: 'string', maxLength: SCORE_LIMITS.maxIdLength }, description: 'Unit id when the body has no `user`.' },
      { name: FORCED_VARIANT_HEADER, in: 'header', required: false, schema: { type: 'string' }, description: 'QA: force a variant; needs x-variant-token.' },
      { name: VARIANT_TOKEN_HEADER, in: 'header', required: false, schema: { type: 'string' }, description: 'QA: the VARIANT_OVERRIDE_TOKEN secret.' },
    ],
    requestBody: { required: true, content: { 'application/json': { schema: ref('ScoreRequest') } } },
    responses: {
      '200': {
        ...json('ScoreResponse', 'Candidates ranked by click probability.'),
        headers: {
          'x-variant': { schema: { type: 'string' }, description: 'The variant that answered.' },
          'x-model-version': { schema: { type: 'string' } },
          [UNIT_ID_HEADER]: { schema: { type: 'string' }, description: 'Only when the worker generated the unit id.' },
        },
      },
      ...errors(400, 404, 408, 413, 415, 422, 429, 500, 503),
    },
  };
}

function eventOperation(id: string, summary: string, request: string, responses: Record<string, unknown>) {
  return {
    summary,
    operationId: id,
    parameters: [{ name: 'route', in: 'path', required: true, schema: { type: 'string' } }],
    requestBody: { required: true, content: { 'application/json': { schema: ref(request) } } },
    responses: { ...responses, ...errors(400, 404, 413, 415, 429, 500) },
  };
}

export function buildOpenApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'interest-edge',
      version: '1.0.0',
      description:
        'Click-through-rate scoring (DIN, DIEN) at the edge: send the recent clicks and the candidates, get them ranked. ' +
        `Limits: body ≤ ${SCORE_LIMITS.maxBodyBytes} bytes, history ≤ ${SCORE_LIMITS.maxHistory}, candidates ≤ ${SCORE_LIMITS.maxCandidates}.`,
    },
    paths: {
      '/v1/score': { post: scoreOperation(false) },
      '/v1/score/{route}': { post: scoreOperation(true) },
      '/v1/models': { get: { summary: 'Models named by the route config', operationId: 'models', responses: { '200': json('ModelsResponse', 'Every model, loaded or not.'), ...errors(503) } } },
      '/v1/routes': { get: { summary: 'Routes, variants and weights', operationId: 'routes', responses: { '200': json('RoutesResponse', 'The route config.') } } },
      '/healthz': { get: { summary: 'Liveness', operationId: 'health', responses: { '200': json('HealthResponse', 'Load state of each model.'), '503': json('HealthResponse', 'A model is failed: status "degraded", naming it and why.') } } },
      '/v1/assignments/{route}': { post: eventOperation('assignment', 'A page\'s variant and signed token from its unit key (browser routes)', 'AssignmentRequest', { '200': json('AssignmentResponse', 'The variant, model version and assignment token.') }) },
      '/v1/exposures/{route}': { post: eventOperation('exposure', 'A page reports what it showed (browser routes)', 'ExposureRequest', { '204': { description: 'Recorded (x-exposure: recorded) or a repeat (duplicate).' } }) },
      '/v1/outcomes/{route}': { post: eventOperation('outcome', 'What a unit did after an exposure: click, conversion or a route event', 'OutcomeRequest', { '204': { description: 'Recorded (x-outcome: recorded) or a repeat (duplicate).' } }) },
      '/openapi.json': { get: { summary: 'This document', operationId: 'openapi', responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': {} } } } } },
    },
    components: {
      schemas: {
        ScoreRequest: jsonSchema(scoreRequestSchema, 'input'),
        ScoreResponse: jsonSchema(scoreResponseSchema, 'output'),
        ModelsResponse: jsonSchema(modelsResponseSchema, 'output'),
        RoutesResponse: jsonSchema(routesResponseSchema, 'output'),
        HealthResponse: jsonSchema(healthResponseSchema, 'output'),
        AssignmentRequest: jsonSchema(assignmentRequestSchema, 'input'),
        AssignmentResponse: jsonSchema(assignmentResponseSchema, 'output'),
        ExposureRequest: jsonSchema(browserExposureSchema, 'input'),
        OutcomeRequest: jsonSchema(outcomeRequestSchema, 'input'),
        Error: jsonSchema(errorBodySchema, 'output'),
      },
    },
  };
}
