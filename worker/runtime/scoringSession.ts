/**
 * The seam between the worker and the inference runtime: what a loaded model can do, in the
 * worker's words. `runtime/ort.ts` implements it; nothing else knows onnxruntime exists.
 */

/** Encoded serving inputs (see `SERVING_INPUTS` in contract/manifest.ts). T ≥ 1, C ≥ 1. */
export interface ServingFeeds {
  /** [T] item indices of the kept history, right-padded with PAD. */
  historyItems: Int32Array;
  /** [T] category indices, aligned with `historyItems`. */
  historyCategories: Int32Array;
  /** [C] item indices of the candidates, request order. */
  candidateItems: Int32Array;
  /** [C] category indices, aligned with `candidateItems`. */
  candidateCategories: Int32Array;
}

export interface ScoringSession {
  /** Which execution provider the session was created with (e.g. `wasm`). */
  readonly executionProviders: readonly string[];
  /** Bytes of the runtime's (WebAssembly) memory, if known; it counts toward the isolate's memory. */
  memoryBytes(): number | undefined;
  /** Click probabilities, one per candidate, in candidate order: [C]. */
  score(feeds: ServingFeeds): Promise<Float32Array>;
}

/** Creates a session from the bytes of an `.onnx` file that follows the serving signature. */
export type CreateScoringSession = (onnx: Uint8Array) => Promise<ScoringSession>;
