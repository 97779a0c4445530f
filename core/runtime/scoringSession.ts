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
  /** Feature-column inputs (contract/features.ts): `hist_*` [T(, M)], `cand_*` [C(, M)], `user_*`, `ctx_*` [1(, M)]. */
  features?: ReadonlyArray<{ input: string; dtype: 'int32' | 'float32'; data: Int32Array | Float32Array; dims: readonly number[] }>;
}

export interface ScoringResult {
  /** Click probabilities, one per candidate, in candidate order: [C]. */
  scores: Float32Array;
  /** Multi-task models with `tasks: true`: each task's probabilities [C] (`ctr`, `cvr`, `ctcvr`). */
  tasks?: Partial<Record<'ctr' | 'cvr' | 'ctcvr', Float32Array>>;
  /** With `attention: true` on a model that exports it: [C, T] row-major, T = the history feed's length. */
  attention?: Float32Array;
}

export interface ScoringSession {
  /** Which execution provider the session was created with (e.g. `wasm`). */
  readonly executionProviders: readonly string[];
  /** Whether the graph has the optional `attention` output (DIN, DIEN). */
  readonly hasAttention: boolean;
  /** The task outputs the graph has (multi-task models: `ctr`, `cvr`, `ctcvr`); empty otherwise. */
  readonly tasks: ReadonlyArray<'ctr' | 'cvr' | 'ctcvr'>;
  /** Bytes of the runtime's (WebAssembly) memory, if known; it counts toward the isolate's memory. */
  memoryBytes(): number | undefined;
  /** Runs the graph; only the outputs asked for are fetched. */
  score(feeds: ServingFeeds, options?: { attention?: boolean; tasks?: boolean }): Promise<ScoringResult>;
}

/**
 * Creates a session from the bytes of an `.onnx` file that follows the serving signature; `inputs`:
 * the graph inputs the manifest declares (default the four behaviour inputs), all of which it must take.
 */
export type CreateScoringSession = (onnx: Uint8Array, inputs?: readonly string[]) => Promise<ScoringSession>;
