/**
 * Section 1, compute: `session.run` per request in onnxruntime-web (wasm) vs onnxruntime-node,
 * both on one thread, for the shipped DIN and DIEN over H × C; DIN factored vs tiled; DIEN Scan vs
 * unrolled; and DIN's achieved GFLOP/s as a share of a large MatMul's in the same runtime.
 */
import { defaultConfig } from '../model-export/models/index.js';
import type { ModelConfig } from '../model-export/models/model.js';
import { SERVING_OUTPUTS } from '../contract/manifest.js';
import { measureDienForms, type DienFormsResult } from './dienForms.js';
import { dinMacs, dinSizes } from './dinMacs.js';
import { measureDinForms, type DinFormsResult } from './dinForms.js';
import { gflops, matmulRunner, type MatmulPeak } from './matmulPeak.js';
import { createSession, RUNTIMES, type Runtime } from './lib/ortRuntimes.js';
import { loadShippedModel, randomServingFeeds, vocabularySizes, type ShippedModel } from './lib/servingModels.js';
import { mulberry32, timeInterleaved, type RunBudget, type Timing } from './lib/stats.js';

export const SHIPPED = { din: 'din-movielens', dien: 'dien-movielens' } as const;
/** The request shape the targets are stated for. */
export const FOCUS = { T: 50, C: 100 } as const;

export interface ComputeSettings {
  historyLengths: number[];
  candidateCounts: number[];
  /** Per grid cell and runtime. */
  cell: RunBudget;
  /** Per form and runtime (factored/tiled, Scan/unrolled) and for the MatMul peak. */
  detail: RunBudget;
  matmulN: number;
  /**
   * Seconds each shipped model runs (H=50, C=100, both runtimes) before anything is timed. V8
   * compiles ORT's 14 MB wasm with its baseline compiler first and tiers hot functions up in the
   * background: runs take 2–3× longer for the first few seconds (measured: ≈ 4 s on a loaded
   * 2-core machine). Per-cell warm-up runs then only settle caches.
   */
  tierUpSeconds: number;
}

export function computeSettings(quick: boolean): ComputeSettings {
  return {
    historyLengths: [10, 50, 100],
    candidateCounts: [10, 100, 500],
    cell: quick ? { warmup: 1, minRuns: 3, maxRuns: 20, budgetMs: 50 } : { warmup: 3, minRuns: 30, maxRuns: 2000, budgetMs: 1500 },
    detail: quick ? { warmup: 1, minRuns: 3, maxRuns: 20, budgetMs: 100 } : { warmup: 5, minRuns: 30, maxRuns: 2000, budgetMs: 2000 },
    matmulN: 512,
    tierUpSeconds: quick ? 1 : 6,
  };
}

export interface GridCell {
  model: string;
  H: number;
  C: number;
  wasm: Timing;
  native: Timing;
  /** wasm p50 / native p50. */
  wasmOverNative: number;
}

export interface PeakShare {
  model: string;
  T: number;
  C: number;
  /** Multiply-adds per request (bench/dinMacs.ts). */
  macs: number;
  matmul: Record<Runtime, MatmulPeak>;
  din: Record<Runtime, { p50Ms: number; gflops: number; shareOfPeak: number }>;
  /** native GFLOP/s / wasm GFLOP/s, for the DIN graph and for the MatMul. */
  nativeOverWasm: { din: number; matmul: number };
}

export interface ComputeResults {
  settings: ComputeSettings;
  models: Array<{ name: string; version: string; type: string }>;
  grid: GridCell[];
  dinForms: DinFormsResult;
  dienForms: DienFormsResult;
  peak: PeakShare;
}

export async function runCompute(settings: ComputeSettings, log: (line: string) => void): Promise<ComputeResults> {
  const shipped = { din: loadShippedModel(SHIPPED.din), dien: loadShippedModel(SHIPPED.dien) };
  log(`compute: ${settings.tierUpSeconds} s wasm tier-up warm-up per model`);
  for (const model of Object.values(shipped)) await warmUp(model, settings.tierUpSeconds);
  const grid: GridCell[] = [];
  for (const model of Object.values(shipped)) {
    log(`compute: ${model.name} grid`);
    grid.push(...(await measureGrid(model, settings)));
  }
  log('compute: DIN factored vs tiled');
  const dinForms = await measureDinForms(shipped.din, FOCUS.T, FOCUS.C, settings.detail);
  log('compute: DIEN Scan vs unrolled');
  const dienForms = await measureDienForms(shipped.dien, FOCUS.T, FOCUS.C, settings.detail);
  log(`compute: ${SHIPPED.din} vs ${settings.matmulN}³ MatMul peak`);
  const peak = await measurePeakShare(shipped.din, settings);
  return {
    settings,
    models: Object.values(shipped).map((m) => ({ name: m.name, version: m.manifest.version, type: m.manifest.type })),
    grid,
    dinForms,
    dienForms,
    peak,
  };
}

/** Runs the model at the focus shape for `seconds` in wasm (see ComputeSettings.tierUpSeconds), 1 s in native (no tiers there). */
async function warmUp(model: ShippedModel, seconds: number): Promise<void> {
  const feeds = randomServingFeeds(model.manifest, mulberry32(2), FOCUS.T, FOCUS.C);
  for (const runtime of RUNTIMES) {
    const session = await createSession(runtime, model.onnx);
    const run = session.runner(feeds, [SERVING_OUTPUTS.scores]);
    const until = performance.now() + (runtime === 'wasm' ? seconds : Math.min(seconds, 1)) * 1000;
    while (performance.now() < until) await run();
    await session.release();
  }
}

/** Both runtimes' sessions open at once; each cell alternates between wasm and native (stats.ts timeInterleaved). */
async function measureGrid(model: ShippedModel, settings: ComputeSettings): Promise<GridCell[]> {
  const sessions = { wasm: await createSession('wasm', model.onnx), native: await createSession('native', model.onnx) };
  const random = mulberry32(1);
  const cells: GridCell[] = [];
  for (const H of settings.historyLengths) {
    for (const C of settings.candidateCounts) {
      const feeds = randomServingFeeds(model.manifest, random, H, C);
      const [wasm, native] = await timeInterleaved(
        [sessions.wasm.runner(feeds, [SERVING_OUTPUTS.scores]), sessions.native.runner(feeds, [SERVING_OUTPUTS.scores])],
        settings.cell,
      );
      cells.push({ model: model.name, H, C, wasm, native, wasmOverNative: wasm.p50Ms / native.p50Ms });
    }
  }
  await Promise.all([sessions.wasm.release(), sessions.native.release()]);
  return cells;
}

/** The shipped DIN's config (as its manifest records it), else the defaults with its vocabulary. */
function shippedConfig(model: ShippedModel): Pick<ModelConfig, 'embeddingDim' | 'attentionHidden' | 'mlpHidden'> {
  const recorded = model.manifest.training.modelConfig as ModelConfig | undefined;
  if (recorded?.attentionHidden && recorded.mlpHidden && recorded.embeddingDim) return recorded;
  const { itemCount, categoryCount } = vocabularySizes(model.manifest);
  return defaultConfig('din', itemCount, categoryCount);
}

/** The shipped DIN at the focus shape and the MatMul, alternating, in each runtime. */
async function measurePeakShare(din: ShippedModel, settings: ComputeSettings): Promise<PeakShare> {
  const macs = dinMacs(dinSizes(shippedConfig(din)), FOCUS.T, FOCUS.C);
  const feeds = randomServingFeeds(din.manifest, mulberry32(3), FOCUS.T, FOCUS.C);
  const matmul = {} as Record<Runtime, MatmulPeak>;
  const dinShare = {} as PeakShare['din'];
  for (const runtime of RUNTIMES) {
    const dinSession = await createSession(runtime, din.onnx);
    const mm = await matmulRunner(runtime, settings.matmulN);
    const [d, m] = await timeInterleaved([dinSession.runner(feeds, [SERVING_OUTPUTS.scores]), mm.run], settings.detail);
    await Promise.all([dinSession.release(), mm.release()]);
    matmul[runtime] = { n: settings.matmulN, ...m, gflops: gflops(settings.matmulN ** 3, m.p50Ms) };
    const g = gflops(macs, d.p50Ms);
    dinShare[runtime] = { p50Ms: d.p50Ms, gflops: g, shareOfPeak: g / matmul[runtime].gflops };
  }
  return {
    model: din.name,
    T: FOCUS.T,
    C: FOCUS.C,
    macs,
    matmul,
    din: dinShare,
    nativeOverWasm: { din: dinShare.native.gflops / dinShare.wasm.gflops, matmul: matmul.native.gflops / matmul.wasm.gflops },
  };
}
