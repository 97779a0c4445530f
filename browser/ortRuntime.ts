/**
 * onnxruntime-web in the page: which build to load and how a session is created with WebGPU or
 * WASM. The two builds are separate downloads (docs/browser.md has the bytes):
 *
 * - `onnxruntime-web/webgpu` (ORT's native WebGPU EP, asyncify wasm, ≈ 26.8 MB / 6.6 MB gzip), only
 *   when `navigator.gpu` gives an adapter; it can run the WASM EP too, so a WebGPU failure falls
 *   back without a second download;
 * - `onnxruntime-web/wasm` (WASM SIMD only, ≈ 14.2 MB / 3.7 MB gzip) otherwise.
 *
 * The imports are bare specifiers: a site's bundler resolves them from its own onnxruntime-web
 * (a peer dependency, same version as ours); the bundle the worker serves maps them to
 * `/browser/ort/<version>/` (scripts/build-browser.ts).
 */
import type * as Ort from 'onnxruntime-web';

export type OrtModule = typeof Ort;
export type OrtBuild = 'webgpu' | 'wasm';

const loaded = new Map<string, Promise<OrtModule>>();

/** The ORT build's module, configured to fetch its wasm from `wasmPaths` (a URL prefix, or one made from ORT's version). */
export function importOrt(build: OrtBuild, wasmPaths: string | ((ortVersion: string) => string)): Promise<OrtModule> {
  const key = `${build} ${String(wasmPaths)}`;
  let ort = loaded.get(key);
  if (!ort) {
    ort = (build === 'webgpu' ? import('onnxruntime-web/webgpu') : import('onnxruntime-web/wasm')).then((m) => {
      const module = m as unknown as OrtModule;
      module.env.wasm.wasmPaths = typeof wasmPaths === 'function' ? wasmPaths(module.env.versions.web ?? 'unknown') : wasmPaths;
      // Threads need cross-origin isolation (SharedArrayBuffer); without it ORT would warn and use one.
      module.env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
      // A WebGPU session with a few nodes on CPU (int8 gathers) logs that as console.error; it is expected (docs/browser.md).
      module.env.logLevel = 'error';
      return module;
    });
    loaded.set(key, ort);
    ort.catch(() => loaded.delete(key));
  }
  return ort;
}

/** Whether this page can get a WebGPU adapter (WebGPU needs a secure context: https or localhost). */
export async function webGpuAdapter(): Promise<{ vendor: string; architecture: string } | undefined> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string } } | null> } }).gpu;
  if (!gpu) return undefined;
  try {
    const adapter = await gpu.requestAdapter();
    return adapter ? { vendor: adapter.info?.vendor ?? '', architecture: adapter.info?.architecture ?? '' } : undefined;
  } catch {
    return undefined;
  }
}

let webGpuQueue: Promise<unknown> = Promise.resolve();

/**
 * Runs `task` after every WebGPU task queued before it. ORT's WebGPU EP refuses to create a session
 * while another is being created ("another WebGPU EP inference session is being created"), and two
 * `Scorer.load` calls at once used to hang both; loads on WebGPU therefore take turns (issue 27).
 */
export function onWebGpuQueue<T>(task: () => Promise<T>): Promise<T> {
  const run = webGpuQueue.then(task, task);
  webGpuQueue = run.catch(() => undefined);
  return run;
}

export async function createSession(ort: OrtModule, onnx: Uint8Array, provider: OrtBuild): Promise<Ort.InferenceSession> {
  // Quiet: nodes ORT keeps on CPU inside a WebGPU session are reported at warning level.
  return ort.InferenceSession.create(onnx, { executionProviders: [provider], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
}
