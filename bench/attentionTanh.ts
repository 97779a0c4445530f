/**
 * `npm run bench -- tanh`: the attention-tanh serving pass (model-export/onnx/attentionTanh.ts),
 * measured. A freshly initialised default-size DIN with the shipped vocabulary (timing does not
 * depend on the weights' values), exported float32 and int8 (the shipped recipe), each with the
 * activation unit as sigmoid (the graph as built) and as tanh (after the pass), timed alternately
 * at H = 50, C = 100 in both runtimes after a long warm-up (V8 tiers ORT's wasm up lazily). Also the
 * two kernels alone over DIN's largest activation, [100, 50, 80].
 *   → bench/results/<date>-attention-tanh.{md,json}
 */
import { SERVING_OUTPUTS } from '../contract/manifest.js';
import { DinModel } from '../model-export/models/din.js';
import { defaultConfig } from '../model-export/models/index.js';
import { attentionTanh } from '../model-export/onnx/attentionTanh.js';
import { buildDinGraph } from '../model-export/onnx/exportDin.js';
import { GraphBuilder } from '../model-export/onnx/graphBuilder.js';
import { selectBackend } from '../model-export/train/backend.js';
import { ms, ratio, table } from './lib/markdown.js';
import { createSession, RUNTIMES, RUNTIME_LABEL, type Feeds } from './lib/ortRuntimes.js';
import { loadShippedModel, randomServingFeeds, vocabularySizes } from './lib/servingModels.js';
import { mulberry32, timeInterleaved, type RunBudget } from './lib/stats.js';
import { writeResults } from './lib/results.js';

const T = 50;
const C = 100;
const BUDGET: RunBudget = { warmup: 300, minRuns: 200, maxRuns: 5000, budgetMs: 8000 };

await selectBackend('cpu', () => {});
const shipped = loadShippedModel('din-movielens');
const { itemCount, categoryCount } = vocabularySizes(shipped.manifest);
const model = new DinModel(defaultConfig('din', itemCount, categoryCount), 1);
const weights = await model.params.snapshot();
const feeds = randomServingFeeds(shipped.manifest, mulberry32(7), T, C);

const rows: Array<Array<string | number>> = [];
const json: Record<string, unknown> = {};
for (const storage of ['float32', 'int8'] as const) {
  const sigmoid = buildDinGraph(model, weights, storage === 'int8' ? { quantize: 'int8' } : {}).toBytes();
  const tanh = attentionTanh(sigmoid)!;
  for (const runtime of RUNTIMES) {
    const sessions = [await createSession(runtime, sigmoid), await createSession(runtime, tanh)];
    const runs = sessions.map((s) => s.runner(feeds, [SERVING_OUTPUTS.scores]));
    const [a, b] = await timeInterleaved(runs, BUDGET);
    await Promise.all(sessions.map((s) => s.release()));
    rows.push([`DIN ${storage}`, RUNTIME_LABEL[runtime], ms(a.p50Ms), ms(b.p50Ms), ratio(b.p50Ms / a.p50Ms)]);
    json[`din-${storage}-${runtime}`] = { sigmoid: a, tanh: b };
    console.error(`[bench tanh] DIN ${storage} ${runtime}: sigmoid ${a.p50Ms.toFixed(3)} ms, tanh ${b.p50Ms.toFixed(3)} ms`);
  }
}

// The kernels alone: one op over [C, T, 80] (output copied out, as in every run).
const unary = (op: string) => {
  const g = new GraphBuilder(op);
  g.output(g.op(op, [g.input('x', 'float32', [C, T, 80])]), 'y', 'float32', [C, T, 80]);
  return g.toBytes();
};
const x: Feeds = { x: { type: 'float32', data: Float32Array.from({ length: C * T * 80 }, (_, i) => Math.sin(i) * 3), dims: [C, T, 80] } };
for (const runtime of RUNTIMES) {
  const sessions = [await createSession(runtime, unary('Sigmoid')), await createSession(runtime, unary('Tanh'))];
  const [a, b] = await timeInterleaved(sessions.map((s) => s.runner(x, ['y'])), BUDGET);
  rows.push([`kernel alone [${C}, ${T}, 80]`, RUNTIME_LABEL[runtime], ms(a.p50Ms), ms(b.p50Ms), ratio(b.p50Ms / a.p50Ms)]);
  json[`kernel-${runtime}`] = { sigmoid: a, tanh: b };
}

const date = new Date().toISOString().slice(0, 10);
const md = `# Attention-tanh serving pass ${date}

\`npm run bench -- tanh\` (bench/attentionTanh.ts): DIN's activation unit as sigmoid (as built) and as tanh
(model-export/onnx/attentionTanh.ts, the same function), H = ${T}, C = ${C}, fresh default-size DIN
with the shipped vocabulary, p50 of runs timed alternately after ${BUDGET.warmup} warm-up runs, 1 thread.

${table(['graph', 'runtime', 'sigmoid p50', 'tanh p50', 'tanh / sigmoid'], rows)}
`;
writeResults(`${date}-attention-tanh`, md, json);
console.log(md);
