/**
 * The only module that imports onnxruntime-web: session creation, tensors, runs, and the quirks
 * of running ORT's WebAssembly build inside workerd.
 *
 * Why the wasm plumbing looks like this. workerd compiles WebAssembly only at deploy/bundle time:
 * compiling from bytes at run time fails ("Wasm code generation disallowed by embedder"), and so
 * do `eval`/`new Function`. That rules out ORT's defaults (the `onnxruntime-web` entry fetches and
 * compiles `.wasm` by URL and dies on "cannot determine the script source URL"; `env.wasm.wasmPaths`
 * and a real `env.wasm.wasmBinary` both compile bytes). What works:
 *
 * 1. import `onnxruntime-web/wasm` (the WASM-only build, Emscripten glue embedded, no WebGPU/JSEP);
 * 2. import `ort-wasm-simd-threaded.wasm` itself: wrangler's bundler (and the vitest pool) turns a
 *    `.wasm` import into a `WebAssembly.Module` compiled ahead of time;
 * 3. give ORT a placeholder `env.wasm.wasmBinary`. That makes it use the embedded glue without
 *    needing a script URL; the glue then calls `WebAssembly.instantiate(new Uint8Array(placeholder),
 *    imports)` exactly once, and `withPrecompiledWasm` answers that one call with an instance of the
 *    imported module. Any other `instantiate` call passes through untouched, and the hook is only
 *    installed while a session is being created.
 *
 * Threads are off (`numThreads = 1`, `proxy = false`): workerd has no Web Workers or
 * SharedArrayBuffer. Runs are serialised per session (one at a time through the single wasm heap,
 * which is single-threaded anyway): concurrent requests in one isolate queue behind each other
 * (≈ 9–10 ms each for DIN at H = 50, C = 100 here) instead of interleaving inside ORT.
 */
import * as ort from 'onnxruntime-web/wasm';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm';
import { SERVING_INPUTS } from '../../contract/manifest.js';
import { checkSignature, OrtScoringSession } from '../../core/runtime/ortSession.js';
import { START_GRAPH_FEEDS, START_GRAPHS_BASE64 } from './startGraphs.js';

/** Stands in for the wasm bytes; only its identity matters. */
const PLACEHOLDER_WASM = new ArrayBuffer(8);

ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;
ort.env.wasm.wasmBinary = PLACEHOLDER_WASM;

/**
 * Execution providers by capability: WebGPU where `navigator.gpu` exists (browsers, Deno), WASM
 * otherwise. workerd has no `navigator.gpu`, so the worker always runs WASM. (This WASM-only build
 * registers no WebGPU backend; ORT drops an unavailable provider from the list with a warning, so
 * a WebGPU-capable host needs the `onnxruntime-web/webgpu` build to actually use it.)
 */
export function chooseExecutionProviders(nav: unknown = typeof navigator === 'undefined' ? undefined : navigator): Array<'webgpu' | 'wasm'> {
  const gpu = typeof nav === 'object' && nav !== null ? (nav as { gpu?: unknown }).gpu : undefined;
  return gpu ? ['webgpu', 'wasm'] : ['wasm'];
}

/** Creates an ORT session from `.onnx` bytes and checks it follows the serving signature. */
export async function createOrtScoringSession(onnx: Uint8Array, inputs: readonly string[] = Object.values(SERVING_INPUTS)): Promise<OrtScoringSession> {
  const executionProviders = chooseExecutionProviders();
  const session = await withPrecompiledWasm(() =>
    ort.InferenceSession.create(onnx, { executionProviders, graphOptimizationLevel: 'all' }),
  );
  checkSignature(session, inputs);
  return new OrtScoringSession(ort.Tensor, session, executionProviders, () => wasmMemory?.buffer.byteLength);
}

/** The model kinds with a start graph; `ORT_START_GRAPHS` picks among them (default: all). */
export type StartGraphKind = keyof typeof START_GRAPHS_BASE64;
export const START_GRAPH_KINDS = Object.keys(START_GRAPHS_BASE64) as StartGraphKind[];

/** `ORT_START_GRAPHS` (`"din, dien"`) → its kinds; unset → all; `undefined` if it names an unknown kind. */
export function startGraphKindsOf(value: string | undefined): StartGraphKind[] | undefined {
  if (value === undefined) return START_GRAPH_KINDS;
  const kinds = value.split(',').map((k) => k.trim());
  return kinds.every((k): k is StartGraphKind => (START_GRAPH_KINDS as string[]).includes(k)) ? kinds : undefined;
}

let runtimeStart: Promise<{ started: true } | { started: false; error: string }> | undefined;

/**
 * Starts ORT before any request: instantiates the wasm, runs OrtInit, and loads and runs once each
 * start graph of `kinds` (startGraphs.ts: tiny untrained DIN, DIEN and PLE built by the same
 * exporters as the shipped models, int8 paths included; a deployment whose routes serve only some
 * kinds starts only those, `ORT_START_GRAPHS`, and spends less start-up CPU). Most of a cold request's cost is V8 compiling, on first
 * use, the parts of ORT's 14 MB wasm that session creation and the kernels need; running graphs
 * made of the same operators compiles them here. With `ORT_START = "isolate"`, worker/index.ts
 * calls this at module scope, so the work happens when the isolate starts instead of inside the
 * first request; docs/worker.md has the figures and the start-up budget it costs. Everything here
 * is synchronous wasm work chained by promises, so it completes during the module's evaluation
 * although workerd allows no I/O there. The result is returned and a failure logged; ORT keeps a
 * failed start for the isolate's life, so model loads would then fail too, and say why (503).
 */
export function startOrtRuntime(kinds: readonly StartGraphKind[] = START_GRAPH_KINDS): Promise<{ started: true } | { started: false; error: string }> {
  runtimeStart ??= (async () => {
    try {
      // Every start graph carries the same feature columns (one of each kind), fed with small valid values.
      const features = START_GRAPH_FEEDS.map((f) => {
        const rows = f.rows === 1 ? 1 : 8;
        const data = f.dtype === 'float32' ? new Float32Array(rows * f.width).fill(0.5) : new Int32Array(rows * f.width).fill(2);
        return { input: f.input, dtype: f.dtype, data, dims: f.width > 1 ? [rows, f.width] : [rows] };
      });
      const inputs = [...Object.values(SERVING_INPUTS), ...features.map((f) => f.input)];
      for (const base64 of kinds.map((k) => START_GRAPHS_BASE64[k])) {
        const session = await createOrtScoringSession(Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0)), inputs);
        try {
          // 8 behaviours, 8 candidates, inside the graphs' 128-item, 4-category vocabularies.
          const items = (first: number) => Int32Array.from({ length: 8 }, (_, i) => first + i);
          const category = (c: number) => new Int32Array(8).fill(c);
          await session.score({ historyItems: items(2), historyCategories: category(1), candidateItems: items(20), candidateCategories: category(2), features }, { attention: true });
        } finally {
          await session.release();
        }
      }
      return { started: true };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      console.warn(`[ort] start before the first request failed: ${error}`);
      return { started: false, error };
    }
  })();
  return runtimeStart;
}

/** ORT's linear memory (one per isolate), for reporting: it only grows, and counts toward the isolate's limit. */
let wasmMemory: WebAssembly.Memory | undefined;

let hookDepth = 0;
let originalInstantiate: typeof WebAssembly.instantiate | undefined;

/**
 * Runs `create` with `WebAssembly.instantiate` answering ORT's placeholder with the precompiled
 * module (see the module comment). Nested/concurrent calls share one hook.
 */
async function withPrecompiledWasm<T>(create: () => Promise<T>): Promise<T> {
  if (hookDepth++ === 0) {
    const original = WebAssembly.instantiate;
    originalInstantiate = original;
    const hooked = (source: unknown, imports?: WebAssembly.Imports): Promise<unknown> => {
      if (isPlaceholder(source)) {
        // The module is compiled already: instantiating only allocates the memory and links imports.
        const instance = new WebAssembly.Instance(ortWasm, imports);
        wasmMemory = findMemory(instance.exports) ?? Object.values(imports ?? {}).map(findMemory).find(Boolean);
        return Promise.resolve({ instance, module: ortWasm });
      }
      return (original as (s: unknown, i?: WebAssembly.Imports) => Promise<unknown>)(source, imports);
    };
    WebAssembly.instantiate = hooked as typeof WebAssembly.instantiate;
  }
  try {
    return await create();
  } finally {
    if (--hookDepth === 0 && originalInstantiate) {
      WebAssembly.instantiate = originalInstantiate;
      originalInstantiate = undefined;
    }
  }
}

/** The threaded build imports its memory (`env.memory`), other builds export it. */
function findMemory(namespace: object): WebAssembly.Memory | undefined {
  return Object.values(namespace).find((v): v is WebAssembly.Memory => v instanceof WebAssembly.Memory);
}

function isPlaceholder(source: unknown): boolean {
  return source === PLACEHOLDER_WASM || (ArrayBuffer.isView(source) && source.buffer === PLACEHOLDER_WASM);
}

