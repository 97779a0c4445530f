/**
 * The Cloudflare Workers limits an imported model must fit. Same values as scripts/deploy.ts's
 * LIMITS (developers.cloudflare.com/workers/platform/limits, late 2026), which checks the whole
 * upload at deploy time; the importer refuses a model file that could never be deployed. (deploy.ts
 * keeps its own copy because it runs on import; both say 25 MiB.)
 */
export const MiB = 1024 * 1024;
/** One static asset (model.onnx is served as one). */
export const WORKERS_ASSET_LIMIT_BYTES = 25 * MiB;

/**
 * Opsets of the default (ai.onnx) domain the importer accepts. onnxruntime-web 1.30's wasm build
 * creates sessions for opset 7 to 26 (checked with a one-Sigmoid graph), newer ones with only a
 * warning, so the upper bound is policy: 24, the newest opset whose operators onnxruntime 1.30
 * documents kernels for; PyTorch exports 17 or 18 by default, this repo 17.
 */
export const MIN_OPSET = 7;
export const MAX_OPSET = 24;

/**
 * The newest ONNX IR version onnxruntime-web 1.30 loads ("max supported IR version: 13", checked;
 * its session refuses newer ones with a long internal message, the importer names the file and the fix).
 */
export const MAX_IR_VERSION = 13;
