/**
 * Issue 7's quantised variant, measured: DIN trained on MovieLens `next` (seed 1, the default
 * model's recipe), exported as float32 and as int8 (exportDin `quantize: 'int8'`), then
 *  - accuracy: AUC / GAUC of both ONNX graphs on the whole test split (onnxruntime-node; the int8
 *    arithmetic is the same in onnxruntime-web, test/parity/quantizedParity.test.ts);
 *  - speed: session.run at H = 50, C = 100, 1 thread, both runtimes, timed alternately;
 *  - size of both .onnx files.
 *
 *   npx tsx bench/quantizedDin.ts [--epochs 4]   → bench/results/<date>-quantized-din.json (≈ 6 min)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { SERVING_INPUTS, SERVING_OUTPUTS } from '../contract/manifest.js';
import { readMovieLens } from '../model-export/data/movielens.js';
import type { DinModel } from '../model-export/models/din.js';
import { buildDinGraph } from '../model-export/onnx/exportDin.js';
import { selectBackend } from '../model-export/train/backend.js';
import type { EncodedDataset } from '../model-export/train/dataset.js';
import { auc, gauc } from '../model-export/train/metrics.js';
import { DEFAULT_RUN, trainRun } from '../model-export/train/run.js';
import { createSession, RUNTIMES } from './ortRuntimes.js';
import { REPO_ROOT } from './servingModels.js';
import { mulberry32, round, timeInterleaved } from './stats.js';

const { values } = parseArgs({ options: { epochs: { type: 'string', default: String(DEFAULT_RUN.epochs) } } });

/** Probabilities of every test sample, one request per sample (its history, its one candidate). */
async function onnxPredictions(session: ort.InferenceSession, data: EncodedDataset): Promise<Float32Array> {
  const out = new Float32Array(data.size);
  const H = data.maxHistory;
  for (let start = 0; start < data.size; start += 1024) {
    const idx = Int32Array.from({ length: Math.min(1024, data.size - start) }, (_, i) => start + i);
    const b = data.batch(idx);
    for (let i = 0; i < b.size; i++) {
      const row = b.historyItems.subarray(i * H, (i + 1) * H);
      const T = Math.max(1, row.findIndex((x) => x === 0) === -1 ? H : row.findIndex((x) => x === 0));
      const res = await session.run(
        {
          [SERVING_INPUTS.historyItems]: new ort.Tensor('int32', row.slice(0, T), [T]),
          [SERVING_INPUTS.historyCategories]: new ort.Tensor('int32', b.historyCategories.slice(i * H, i * H + T), [T]),
          [SERVING_INPUTS.candidateItems]: new ort.Tensor('int32', b.candidateItems.slice(i, i + 1), [1]),
          [SERVING_INPUTS.candidateCategories]: new ort.Tensor('int32', b.candidateCategories.slice(i, i + 1), [1]),
        },
        [SERVING_OUTPUTS.scores],
      );
      out[start + i] = (res[SERVING_OUTPUTS.scores].data as Float32Array)[0];
    }
  }
  return out;
}

const backend = await selectBackend();
const { result, model, data } = await trainRun(readMovieLens(), { ...DEFAULT_RUN, model: 'din', protocol: 'next', seed: 1, epochs: Number(values.epochs) }, backend);
const tfjs = result.epochs[result.epochs.length - 1];
const weights = await model.params.snapshot();
const graphs = { float32: buildDinGraph(model as DinModel, weights).toBytes(), int8: buildDinGraph(model as DinModel, weights, { quantize: 'int8' }).toBytes() };

const labels = data.test.labels.subarray(0, data.test.size);
const users = data.test.sampleUser.subarray(0, data.test.size);
const accuracy: Record<string, { auc: number; gauc: number }> = {};
for (const [form, bytes] of Object.entries(graphs)) {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const p = await onnxPredictions(session, data.test);
  accuracy[form] = { auc: auc(p, labels), gauc: gauc(p, labels, users) };
  await session.release();
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
  model: `din, next, seed 1, ${values.epochs} epochs, backend ${backend}`,
  tfjs: { auc: tfjs.auc, gauc: tfjs.gauc },
  accuracy,
  gaucLoss: accuracy.float32.gauc - accuracy.int8.gauc,
  speedAtH50C100: speed,
  bytes: Object.fromEntries(Object.entries(graphs).map(([k, b]) => [k, { raw: b.length, gzip: gzipSync(b, { level: 9 }).length }])),
};
console.log(JSON.stringify(results, null, 1));
mkdirSync(join(REPO_ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(REPO_ROOT, 'bench/results', `${results.date.slice(0, 10)}-quantized-din.json`), JSON.stringify(results, null, 1) + '\n');
