/**
 * `manifest.json`: what the exporter writes beside each `.onnx` and the worker reads back.
 * The schema is zod so the worker can refuse a malformed manifest with a message naming the field.
 * (In workerd call `z.config({ jitless: true })` before parsing: zod probes `new Function`.)
 */
import * as z from 'zod';
import { FeatureContract, type FeatureContractSpec } from './featureContract.js';
import { inputNamesOf, type FeatureSpec } from './features.js';
import { goldenSchema } from './goldenRequests.js';
import { ITEM_ROW_INPUTS } from './itemRows.js';

/** Graph input and output names: the serving signature every exported model follows. */
export const SERVING_INPUTS = {
  historyItems: 'hist_item',
  historyCategories: 'hist_cat',
  candidateItems: 'cand_item',
  candidateCategories: 'cand_cat',
} as const;
/**
 * `score` [C] is required. `attention` [C, T] (optional, DIN and DIEN) holds the weight each history
 * position got for each candidate: the intermediate the score is pooled with, exported as a second
 * output so explanations cost nothing unless a caller fetches it.
 */
export const SERVING_OUTPUTS = { scores: 'score', attention: 'attention' } as const;
export const REQUIRED_OUTPUTS: readonly string[] = [SERVING_OUTPUTS.scores];
/**
 * Multi-task models' named outputs, each [C]: pCTR, pCVR (conversion given click) and their product
 * pCTCVR (ESMM). `score` is pCTR in such models, so single-task clients keep working.
 */
export const TASK_OUTPUTS = ['ctr', 'cvr', 'ctcvr'] as const;
export type TaskOutput = (typeof TASK_OUTPUTS)[number];

/** Multi-task kinds: a PLE/CGC/MMoE/shared-bottom head over a DIN (or DIEN) interest model. */
export const MULTI_TASK_TYPES = ['shared-bottom', 'mmoe', 'cgc', 'ple'] as const;
export const MODEL_TYPES = ['lr', 'base', 'din', 'dien', ...MULTI_TASK_TYPES] as const;
export type ModelType = (typeof MODEL_TYPES)[number];
/** What a manifest may declare: the trainable kinds, and `dot`, a cascade's first stage derived from one (model-export/onnx/exportDot.ts). */
export const SERVED_MODEL_TYPES = [...MODEL_TYPES, 'dot'] as const;

const tensorInfo = z.object({
  name: z.string().min(1),
  dtype: z.enum(['int32', 'float32']),
  /** Numbers are fixed sizes, strings are symbolic (`T` history length, `C` candidates). */
  shape: z.array(z.union([z.number().int().nonnegative(), z.string()])),
});

const featureSource = z.union([
  z.object({ column: z.string().min(1) }).strict(),
  z.object({ derive: z.enum(['hour', 'weekday']), timeZone: z.string().min(1) }).strict(),
  z.object({ derive: z.literal('route'), column: z.string().min(1).optional() }).strict(),
]);
const featureBase = {
  name: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/),
  group: z.enum(['user', 'candidate', 'context']),
  source: featureSource,
};
const featureSpec = z.discriminatedUnion('kind', [
  z.object({ ...featureBase, kind: z.literal('sparse'), vocabulary: z.array(z.string()), embeddingDim: z.number().int().positive(), itemValues: z.array(z.number().int()).optional() }).strict(),
  z
    .object({
      ...featureBase,
      kind: z.literal('multi'),
      vocabulary: z.array(z.string()),
      embeddingDim: z.number().int().positive(),
      maxValues: z.number().int().positive(),
      pooling: z.literal('mean'),
      itemValues: z.array(z.array(z.number().int())).optional(),
    })
    .strict(),
  z.object({ ...featureBase, kind: z.literal('dense'), mean: z.number(), std: z.number().positive(), min: z.number().optional(), max: z.number().optional(), itemValues: z.array(z.number().nullable()).optional() }).strict(),
]);

/** Format 3: hashed item ids (contract/hashedItems.ts); the contract's own validation checks N and m. */
const hashedItemIds = z
  .object({ kind: z.literal('hashed'), scheme: z.literal('quotient-remainder'), buckets: z.number().int().positive(), remainder: z.number().int().min(2) })
  .strict();

const featureContractSpec = z.object({
  /** 1: behaviours only; 2: adds `features`; 3: adds `itemIds`. Any other version is refused, never guessed at. */
  formatVersion: z.union([z.literal(1), z.literal(2), z.literal(3)], { error: 'this worker reads feature contract formats 1, 2 and 3: re-export the model or update the worker' }),
  maxHistory: z.number().int().positive(),
  padding: z.literal('right'),
  truncation: z.literal('keep-most-recent'),
  padIndex: z.literal(0),
  oovIndex: z.literal(1),
  items: z.array(z.string()),
  categories: z.array(z.string()),
  itemCategories: z.array(z.number().int()),
  vocabularyRule: z.string(),
  features: z.array(featureSpec).optional(),
  itemIds: hashedItemIds.optional(),
});

export const costModelSchema = z
  .object({
    fixedUs: z.number().nonnegative(),
    perCandidateUs: z.number().nonnegative(),
    perHistoryUs: z.number().nonnegative(),
    perPairUs: z.number().nonnegative(),
    /** Where it was measured, e.g. `onnxruntime-web 1.30.0 wasm, Node 20.20.2, 1 thread`. */
    runtime: z.string(),
    measured: z.string(),
  })
  .strict();
export type CostModel = z.infer<typeof costModelSchema>;

/** contract/itemRows.ts `ItemRowStoreSpec`: item rows outside the graph. */
export const itemRowStoreSchema = z
  .object({
    kind: z.literal('sharded-rows'),
    format: z.literal(1, { error: 'this worker reads row store format 1: re-export the model or update the worker' }),
    encoding: z.literal('int8-row'),
    shards: z.number().int().positive().max(2 ** 20).refine((n) => (n & (n - 1)) === 0, 'a power of two'),
    dim: z.number().int().positive().max(4096),
    items: z.number().int().nonnegative(),
    storeId: z.string().regex(/^[0-9a-f]{8}$/, '8 lowercase hex digits'),
    directory: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a plain directory name'),
    bytes: z.number().int().nonnegative(),
    padRow: z.array(z.number()),
    oovRow: z.array(z.number()),
    sample: z.array(z.string()).max(64),
    hot: z.object({ items: z.number().int().nonnegative(), bytes: z.number().int().nonnegative() }).strict(),
  })
  .strict()
  .refine((s) => s.padRow.length === s.dim && s.oovRow.length === s.dim, 'padRow and oovRow must have dim values');

export const modelManifestSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
  type: z.enum(SERVED_MODEL_TYPES),
  version: z.string().min(1),
  created: z.string(),
  onnx: z.object({
    file: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits'),
    bytes: z.number().int().positive(),
    irVersion: z.number().int(),
    opset: z.number().int(),
  }),
  inputs: z.array(tensorInfo),
  outputs: z.array(tensorInfo),
  featureContract: featureContractSpec,
  /** Test-split metrics of the exported weights (auc, gauc, logloss, ...). */
  metrics: z.record(z.string(), z.number()),
  /** Training configuration, for reproduction; free-form. */
  training: z.record(z.string(), z.unknown()),
  /** Requests with their expected outputs, replayed by the worker at load (contract/goldenRequests.ts). */
  golden: goldenSchema.optional(),
  /**
   * Measured CPU cost of one request in the worker's runtime at steady state, as
   * fixed + perCandidate·C + perHistory·T + perPair·C·T microseconds (`npm run model-cost`): what the
   * worker's per-request CPU budget estimates with (core/scoring/requestCost.ts).
   */
  cost: costModelSchema.optional(),
  /** Item rows outside the graph (contract/itemRows.ts): the graph takes them as inputs, the worker reads them per request. */
  itemRows: itemRowStoreSchema.optional(),
});

export type ModelManifest = z.infer<typeof modelManifestSchema>;

/**
 * Every graph input a model with these features takes, in order: the four behaviour inputs, then
 * per feature, then (item rows outside the graph) the two row inputs.
 */
export function servingInputNames(features: readonly Pick<FeatureSpec, 'name' | 'group'>[] = [], externalItemRows = false): string[] {
  return [...Object.values(SERVING_INPUTS), ...features.flatMap(inputNamesOf), ...(externalItemRows ? Object.values(ITEM_ROW_INPUTS) : [])];
}

/** The graph inputs a manifest's model takes (servingInputNames for its features and row store). */
export function manifestInputNames(manifest: Pick<ModelManifest, 'featureContract' | 'itemRows'>): string[] {
  return servingInputNames(manifest.featureContract.features ?? [], manifest.itemRows !== undefined);
}

/** The contract a manifest carries, validated. */
export function contractOf(manifest: Pick<ModelManifest, 'featureContract' | 'itemRows'>): FeatureContract {
  return new FeatureContract(manifest.featureContract as FeatureContractSpec, { externalItems: manifest.itemRows !== undefined });
}

/**
 * What a page needs to score with a published model, and nothing else: the manifest browsers get
 * (`GET /v1/public/models/:name/:version/manifest.json`). No metrics, training configuration, cost
 * model or creation time — nothing an anonymous caller cannot see on `GET /v1/models`.
 */
export const PUBLIC_MANIFEST_KEYS = ['name', 'type', 'version', 'onnx', 'inputs', 'outputs', 'featureContract', 'golden', 'itemRows'] as const;
export const publicManifestSchema = modelManifestSchema.pick({ name: true, type: true, version: true, onnx: true, inputs: true, outputs: true, featureContract: true, golden: true, itemRows: true }).strict();
export type PublicManifest = z.infer<typeof publicManifestSchema>;

export function publicManifestOf(manifest: ModelManifest): PublicManifest {
  return Object.fromEntries(PUBLIC_MANIFEST_KEYS.filter((k) => manifest[k] !== undefined).map((k) => [k, manifest[k]])) as PublicManifest;
}

/** A public manifest as a full one (empty metrics and training) for the code that takes a manifest. */
export function fromPublicManifest(manifest: PublicManifest): ModelManifest {
  return { ...manifest, created: '', metrics: {}, training: {} };
}
