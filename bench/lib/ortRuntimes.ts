/**
 * The two ONNX runtimes compared, behind one interface, both single-threaded:
 * - `wasm`: onnxruntime-web's WebAssembly (SIMD) build in Node — the binary the worker runs in
 *   workerd (`ort-wasm-simd-threaded.wasm`), `numThreads = 1`, no proxy worker;
 * - `native`: onnxruntime-node's CPU provider, intra- and inter-op threads 1.
 * Both with `graphOptimizationLevel: 'all'`, as in worker/runtime/ort.ts.
 */
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { SERVING_INPUTS } from '../../contract/manifest.js';
import type { ServingFeeds } from '../../core/runtime/scoringSession.js';

ortWeb.env.wasm.numThreads = 1;
ortWeb.env.wasm.proxy = false;

export const RUNTIMES = ['wasm', 'native'] as const;
export type Runtime = (typeof RUNTIMES)[number];
export const RUNTIME_LABEL: Record<Runtime, string> = {
  wasm: 'onnxruntime-web wasm',
  native: 'onnxruntime-node',
};

export type Feed = { type: 'int32'; data: Int32Array; dims: number[] } | { type: 'float32'; data: Float32Array; dims: number[] };
export type Feeds = Record<string, Feed>;

/** The worker's encoded feeds (core/encode/requestEncoder.ts) as bench feeds, feature inputs included. */
export function feedsFromServing(f: ServingFeeds): Feeds {
  return {
    [SERVING_INPUTS.historyItems]: { type: 'int32', data: f.historyItems, dims: [f.historyItems.length] },
    [SERVING_INPUTS.historyCategories]: { type: 'int32', data: f.historyCategories, dims: [f.historyCategories.length] },
    [SERVING_INPUTS.candidateItems]: { type: 'int32', data: f.candidateItems, dims: [f.candidateItems.length] },
    [SERVING_INPUTS.candidateCategories]: { type: 'int32', data: f.candidateCategories, dims: [f.candidateCategories.length] },
    ...Object.fromEntries((f.features ?? []).map((x): [string, Feed] => [x.input, x.dtype === 'float32' ? { type: 'float32', data: x.data as Float32Array, dims: [...x.dims] } : { type: 'int32', data: x.data as Int32Array, dims: [...x.dims] }])),
  };
}

export interface BenchSession {
  readonly runtime: Runtime;
  /** A closure doing one `session.run` on these feeds (tensors built once), resolving to the fetched outputs' data. */
  runner(feeds: Feeds, fetches: string[]): () => Promise<Record<string, Float32Array>>;
  release(): Promise<void>;
}

export async function createSession(runtime: Runtime, onnx: Uint8Array): Promise<BenchSession> {
  if (runtime === 'native') {
    const session = await ortNode.InferenceSession.create(onnx, {
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    return {
      runtime,
      runner(feeds, fetches) {
        const tensors = Object.fromEntries(Object.entries(feeds).map(([name, f]) => [name, new ortNode.Tensor(f.type, f.data, f.dims)]));
        return async () => dataOf(await session.run(tensors, fetches));
      },
      release: () => session.release(),
    };
  }
  const session = await ortWeb.InferenceSession.create(onnx, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  return {
    runtime,
    runner(feeds, fetches) {
      const tensors = Object.fromEntries(Object.entries(feeds).map(([name, f]) => [name, new ortWeb.Tensor(f.type, f.data, f.dims)]));
      return async () => dataOf(await session.run(tensors, fetches));
    },
    release: () => session.release(),
  };
}

function dataOf(out: Record<string, { data: unknown }>): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, t.data as Float32Array]));
}
