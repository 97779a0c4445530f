/**
 * Issue 7's quantised variant, measured: a model trained on MovieLens `next` (seed 1, the shipped
 * models' recipe), exported as float32 and as int8 (`quantize: 'int8'`: int8 weights, and for DIN
 * int8 attention products), then
 *  - accuracy: AUC / GAUC of both ONNX graphs on the whole test split (onnxruntime-node; the int8
 *    arithmetic is the same in onnxruntime-web, test/parity/quantizedParity.test.ts);
 *  - speed: session.run at H = 50, C = 100, 1 thread, both runtimes, timed alternately;
 *  - size of both .onnx files.
 *
 *   npx tsx bench/quantized.ts [--model din|dien|base] [--epochs 4]
 *     → bench/results/<date>-quantized-<model>.json (din ≈ 6 min, dien ≈ 30 min)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { SERVING_INPUTS, SERVING_OUTPUTS } from '../contract/manifest.js';
import { readMovieLens } from '../model-export/data/movielens.js';
import { servingBytes } from '../model-export/onnx/exportModel.js';
import { selectBackend } from '../model-export/train/backend.js';
import { onnxTestMetrics } from '../model-export/train/onnxEvaluation.js';
import { DEFAULT_RUN, trainRun } from '../model-export/train/run.js';
import { createSession, RUNTIMES } from './lib/ortRuntimes.js';
import { REPO_ROOT } from './lib/servingModels.js';
import { mulberry32, round, timeInterleaved } from './lib/stats.js';

const { values } = parseArgs({ options: { epochs: { type: 'string', default: String(DEFAULT_RUN.epochs) }, model: { type: 'string', default: 'din' } } });
const type = values.model;
if (type !== 'din' && type !== 'dien' && type !== 'base') throw new Error(`--model: din, dien or base, not "${type}"`);

const backend = await selectBackend();
const { result, model, data } = await trainRun(readMovieLens(), { ...DEFAULT_RUN, model: type, protocol: 'next', seed: 1, epochs: Number(values.epochs) }, backend);
const tfjs = result.epochs[result.epochs.length - 1];
const graphs = { float32: (await servingBytes(model)).bytes, int8: (await servingBytes(model, 'int8')).bytes };

const accuracy: Record<string, { auc: number; gauc: number }> = {};
for (const [form, bytes] of Object.entries(graphs)) {
  accuracy[form] = await onnxTestMetrics(bytes, data.test);
  console.error(`${form}: AUC ${accuracy[form].auc.toFixed(4)}, GAUC ${accuracy[form].gauc.toFixed(4)}`);
}

const random = mulberry32(9);
const pick = (n: number, max: number) => Int32Array.from({ length: n }, () => 2 + Math.floor(random() * (max - 2)));
const items = data.contract.itemCount;
const categories = data.contract.categoryCount;
const feeds = {
  [SERVING_INPUTS.historyItems]: { type: 'int32' as const, data: pick(50, items), dims: [50] },
  [SERVING_INPUTS.historyCategories]: { type: 'int32' as const, data: pick(50, categories), dims: [50] },
  [SERVING_INPUTS.candidateItems]: { type: 'int32' as const, data: pick(100, items), dims: [100] },
  [SERVING_INPUTS.candidateCategories]: { type: 'int32' as const, data: pick(100, categories), dims: [100] },
};
const speed: Record<string, { float32P50Ms: number; int8P50Ms: number; speedup: number }> = {};
for (const runtime of RUNTIMES) {
  const sessions = await Promise.all([createSession(runtime, graphs.float32), createSession(runtime, graphs.int8)]);
  const [f, q] = await timeInterleaved(sessions.map((s) => s.runner(feeds, [SERVING_OUTPUTS.scores])), { warmup: 20, minRuns: 100, maxRuns: 3000, budgetMs: 4000 });
  speed[runtime] = { float32P50Ms: round(f.p50Ms, 3), int8P50Ms: round(q.p50Ms, 3), speedup: round(f.p50Ms / q.p50Ms, 2) };
  console.error(`${runtime}: float32 ${f.p50Ms.toFixed(2)} ms, int8 ${q.p50Ms.toFixed(2)} ms`);
  await Promise.all(sessions.map((s) => s.release()));
}

const results = {
  date: new Date().toISOString(),
  model: `${type}, next, seed 1, ${values.epochs} epochs, backend ${backend}`,
  tfjs: { auc: tfjs.auc, gauc: tfjs.gauc },
  accuracy,
  gaucLoss: accuracy.float32.gauc - accuracy.int8.gauc,
  speedAtH50C100: speed,
  bytes: Object.fromEntries(Object.entries(graphs).map(([k, b]) => [k, { raw: b.length, gzip: gzipSync(b, { level: 9 }).length }])),
};
console.log(JSON.stringify(results, null, 1));
mkdirSync(join(REPO_ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(REPO_ROOT, 'bench/results', `${results.date.slice(0, 10)}-quantized-${type}.json`), JSON.stringify(results, null, 1) + '\n');
