/**
 * The Cloudflare Workers limits an imported model must fit. Same values as scripts/deploy.ts's
 * LIMITS (developers.cloudflare.com/workers/platform/limits, late 2026), which checks the whole
 * upload at deploy time; the importer refuses a model file that could never be deployed. (deploy.ts
 * keeps its own copy because it runs on import; both say 25 MiB.)
 */
export const MiB = 1024 * 1024;
/** One static asset (model.onnx is served as one). */
export const WORKERS_ASSET_LIMIT_BYTES = 25 * MiB;

/** onnxruntime-web 1.30 opset range the importer accepts for the default (ai.onnx) domain. */
export const MIN_OPSET = 7;
export const MAX_OPSET = 23;
