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
import { REQUIRED_OUTPUTS, SERVING_INPUTS, SERVING_OUTPUTS, TASK_OUTPUTS, type TaskOutput } from '../../contract/manifest.js';
import type { ScoringResult, ScoringSession, ServingFeeds } from './scoringSession.js';
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
  return new OrtScoringSession(session, executionProviders);
}

let runtimeStart: Promise<{ started: true } | { started: false; error: string }> | undefined;

/**
 * Starts ORT before any request: instantiates the wasm, runs OrtInit, and loads and runs once each
 * start graph (startGraphs.ts: tiny untrained DIN and DIEN built by the same exporters as the
 * shipped models, int8 paths included). Most of a cold request's cost is V8 compiling, on first
 * use, the parts of ORT's 14 MB wasm that session creation and the kernels need; running graphs
 * made of the same operators compiles them here. With `ORT_START = "isolate"`, worker/index.ts
 * calls this at module scope, so the work happens when the isolate starts instead of inside the
 * first request; docs/worker.md has the figures and the start-up budget it costs. Everything here
 * is synchronous wasm work chained by promises, so it completes during the module's evaluation
 * although workerd allows no I/O there. The result is returned and a failure logged; ORT keeps a
 * failed start for the isolate's life, so model loads would then fail too, and say why (503).
 */
export function startOrtRuntime(): Promise<{ started: true } | { started: false; error: string }> {
  runtimeStart ??= (async () => {
    try {
      // Every start graph carries the same feature columns (one of each kind), fed with small valid values.
      const features = START_GRAPH_FEEDS.map((f) => {
        const rows = f.rows === 1 ? 1 : 8;
        const data = f.dtype === 'float32' ? new Float32Array(rows * f.width).fill(0.5) : new Int32Array(rows * f.width).fill(2);
        return { input: f.input, dtype: f.dtype, data, dims: f.width > 1 ? [rows, f.width] : [rows] };
      });
      const inputs = [...Object.values(SERVING_INPUTS), ...features.map((f) => f.input)];
      for (const base64 of Object.values(START_GRAPHS_BASE64)) {
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

class OrtScoringSession implements ScoringSession {
  /** Tail of the run queue: each run starts after the previous one settled. */
  private queue: Promise<unknown> = Promise.resolve();

  readonly hasAttention: boolean;
  readonly tasks: readonly TaskOutput[];

  constructor(
    private readonly session: ort.InferenceSession,
    readonly executionProviders: readonly string[],
  ) {
    this.hasAttention = session.outputNames.includes(SERVING_OUTPUTS.attention);
    this.tasks = TASK_OUTPUTS.filter((t) => session.outputNames.includes(t));
  }

  memoryBytes(): number | undefined {
    return wasmMemory?.buffer.byteLength;
  }

  /** Frees the session inside ORT (the registry keeps its sessions for the isolate's life; start graphs do not). */
  release(): Promise<void> {
    return this.session.release();
  }

  score(feeds: ServingFeeds, options: { attention?: boolean; tasks?: boolean } = {}): Promise<ScoringResult> {
    const attention = options.attention === true && this.hasAttention;
    const tasks = options.tasks === true ? this.tasks : [];
    const run = this.queue.then(() => this.run(feeds, attention, tasks));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(feeds: ServingFeeds, withAttention: boolean, tasks: readonly TaskOutput[]): Promise<ScoringResult> {
    const T = feeds.historyItems.length;
    const C = feeds.candidateItems.length;
    if (T < 1 || feeds.historyCategories.length !== T) {
      throw new Error(`history feeds must be non-empty and equally long, got items ${T}, categories ${feeds.historyCategories.length}`);
    }
    if (C < 1 || feeds.candidateCategories.length !== C) {
      throw new Error(`candidate feeds must be non-empty and equally long, got items ${C}, categories ${feeds.candidateCategories.length}`);
    }
    // Fetching only `score` leaves the attention tensor inside ORT: explanations cost nothing unless asked for.
    const fetches = [SERVING_OUTPUTS.scores, ...(withAttention ? [SERVING_OUTPUTS.attention] : []), ...tasks];
    const results = await this.session.run(
      {
        [SERVING_INPUTS.historyItems]: new ort.Tensor('int32', feeds.historyItems, [T]), // [T]
        [SERVING_INPUTS.historyCategories]: new ort.Tensor('int32', feeds.historyCategories, [T]), // [T]
        [SERVING_INPUTS.candidateItems]: new ort.Tensor('int32', feeds.candidateItems, [C]), // [C]
        [SERVING_INPUTS.candidateCategories]: new ort.Tensor('int32', feeds.candidateCategories, [C]), // [C]
        ...featureTensors(feeds),
      },
      fetches,
    );
    const output = results[SERVING_OUTPUTS.scores];
    if (output === undefined || output.type !== 'float32' || output.data.length !== C) {
      throw new Error(
        `output "${SERVING_OUTPUTS.scores}" must be float32 [${C}], got ${output ? `${output.type} [${output.dims.join(', ')}]` : 'nothing'}`,
      );
    }
    const taskResults: Partial<Record<TaskOutput, Float32Array>> = {};
    for (const t of tasks) {
      const r = results[t];
      if (r === undefined || r.type !== 'float32' || r.data.length !== C) throw new Error(`output "${t}" must be float32 [${C}]`);
      taskResults[t] = r.data as Float32Array;
    }
    const withTasks = tasks.length > 0 ? { tasks: taskResults } : {};
    if (!withAttention) return { scores: output.data as Float32Array, ...withTasks }; // [C]
    const attention = results[SERVING_OUTPUTS.attention];
    if (attention === undefined || attention.type !== 'float32' || attention.data.length !== C * T) {
      throw new Error(
        `output "${SERVING_OUTPUTS.attention}" must be float32 [${C}, ${T}], got ${attention ? `${attention.type} [${attention.dims.join(', ')}]` : 'nothing'}`,
      );
    }
    return { scores: output.data as Float32Array, attention: attention.data as Float32Array, ...withTasks }; // [C], [C, T]
  }
}

/** Feature-column feeds as ORT tensors (shapes come from the contract's encoder). */
function featureTensors(feeds: ServingFeeds): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const f of feeds.features ?? []) out[f.input] = f.dtype === 'float32' ? new ort.Tensor('float32', f.data as Float32Array, f.dims) : new ort.Tensor('int32', f.data as Int32Array, f.dims);
  return out;
}

/** Reports every missing or unexpected graph input/output in one error. */
function checkSignature(session: ort.InferenceSession, expectedInputs: readonly string[]): void {
  const problems = [
    ...expectedInputs.filter((n) => !session.inputNames.includes(n)).map((n) => `missing input "${n}"`),
    ...session.inputNames.filter((n) => !expectedInputs.includes(n)).map((n) => `unexpected input "${n}"`),
    ...REQUIRED_OUTPUTS.filter((n) => !session.outputNames.includes(n)).map((n) => `missing output "${n}"`),
  ];
  if (problems.length > 0) throw new Error(`model does not follow the serving signature: ${problems.join('; ')}`);
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

