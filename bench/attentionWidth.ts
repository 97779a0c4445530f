/**
 * `npm run bench -- attention-width`: what the width of DIN's activation unit costs and buys.
 *
 * Most of DIN's work per request is the activation unit, which runs once per (candidate, behaviour)
 * pair: C·T·(D·h1 + h1·h2 + h2 + D) multiply-adds (bench/dinMacs.ts). The DIN paper's unit is
 * 80-40; this bench times narrower ones in the shipped recipe (int8 weights, attention-tanh pass)
 * at H = 50, C = 100, timed alternately against 80-40 in both runtimes, and puts beside each the
 * test-split AUC / GAUC of the same width trained on MovieLens (experiments/movielens-next.json,
 * rows `din`, `din-att-40-20`, `din-att-16-8`; `npm run experiment -- experiments/movielens-next.json`).
 * Timing uses freshly initialised weights with the shipped vocabulary (it does not depend on their values).
 *   → bench/results/<date>-attention-width.{md,json}
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVING_OUTPUTS } from '../contract/manifest.js';
import { DinModel } from '../model-export/models/din.js';
import { defaultConfig } from '../model-export/models/index.js';
import { attentionTanh } from '../model-export/onnx/attentionTanh.js';
import { buildDinGraph } from '../model-export/onnx/exportDin.js';
import { selectBackend } from '../model-export/train/backend.js';
import { runFile } from '../model-export/train/experiments.js';
import { meanStd } from '../model-export/train/metrics.js';
import type { RunResult } from '../model-export/train/run.js';
import { dinMacs, dinSizes } from './dinMacs.js';
import { ms, ratio, table } from './lib/markdown.js';
import { createSession, RUNTIMES, RUNTIME_LABEL } from './lib/ortRuntimes.js';
import { loadShippedModel, randomServingFeeds, REPO_ROOT, vocabularySizes } from './lib/servingModels.js';
import { mulberry32, timeInterleaved, type RunBudget } from './lib/stats.js';
import { writeResults } from './lib/results.js';

const T = 50;
const C = 100;
const BUDGET: RunBudget = { warmup: 300, minRuns: 200, maxRuns: 5000, budgetMs: 8000 };
/** Widths and the experiment rows that trained them (the first is the paper's and the shipped one). */
const WIDTHS: Array<{ hidden: [number, number]; experimentId: string }> = [
  { hidden: [80, 40], experimentId: 'din' },
  { hidden: [40, 20], experimentId: 'din-att-40-20' },
  { hidden: [16, 8], experimentId: 'din-att-16-8' },
];
const RUNS_DIR = join(REPO_ROOT, 'experiments/results/movielens-next');
const SEEDS = [1, 2, 3];

/** Mean ± std of the stored runs' last-epoch test metrics, or undefined when a seed has not been trained. */
function quality(id: string): { auc: string; gauc: string; gaucMean: number } | undefined {
  const runs = SEEDS.map((s) => runFile(RUNS_DIR, id, s));
  if (!runs.every(existsSync)) return undefined;
  const last = runs.map((f) => (JSON.parse(readFileSync(f, 'utf8')) as RunResult).epochs.at(-1)!);
  const fmt = (xs: number[]) => {
    const { mean, std } = meanStd(xs);
    return `${mean.toFixed(4)} ± ${std.toFixed(4)}`;
  };
  return { auc: fmt(last.map((e) => e.auc)), gauc: fmt(last.map((e) => e.gauc)), gaucMean: meanStd(last.map((e) => e.gauc)).mean };
}

await selectBackend('cpu', () => {});
const shipped = loadShippedModel('din-movielens');
const { itemCount, categoryCount } = vocabularySizes(shipped.manifest);
const feeds = randomServingFeeds(shipped.manifest, mulberry32(7), T, C);

const graphs: Uint8Array[] = [];
for (const w of WIDTHS) {
  const model = new DinModel({ ...defaultConfig('din', itemCount, categoryCount), attentionHidden: w.hidden }, 1);
  graphs.push(attentionTanh(buildDinGraph(model, await model.params.snapshot(), { quantize: 'int8' }).toBytes())!);
}

const json: Record<string, unknown> = { T, C, widths: WIDTHS.map((w) => w.hidden) };
const p50: Record<string, number[]> = {};
for (const runtime of RUNTIMES) {
  const sessions = await Promise.all(graphs.map((g) => createSession(runtime, g)));
  const timings = await timeInterleaved(
    sessions.map((s) => s.runner(feeds, [SERVING_OUTPUTS.scores])),
    BUDGET,
  );
  await Promise.all(sessions.map((s) => s.release()));
  p50[runtime] = timings.map((t) => t.p50Ms);
  json[runtime] = timings;
  console.error(`[bench attention-width] ${runtime}: ${timings.map((t, i) => `${WIDTHS[i].hidden.join('-')} ${t.p50Ms.toFixed(3)} ms`).join(', ')}`);
}

const base = dinSizes(defaultConfig('din', itemCount, categoryCount));
const baseQuality = quality(WIDTHS[0].experimentId);
const rows = WIDTHS.map((w, i) => {
  const macs = dinMacs({ ...base, h1: w.hidden[0], h2: w.hidden[1] }, T, C);
  const q = quality(w.experimentId);
  return [
    w.hidden.join('-'),
    `${(macs / 1e6).toFixed(1)} M`,
    ...RUNTIMES.flatMap((r) => [ms(p50[r][i]), ratio(p50[r][i] / p50[r][0])]),
    q?.auc ?? 'not trained',
    q?.gauc ?? 'not trained',
    q && baseQuality ? `${q.gaucMean - baseQuality.gaucMean >= 0 ? '+' : ''}${(q.gaucMean - baseQuality.gaucMean).toFixed(4)}` : '',
  ];
});
json.quality = Object.fromEntries(WIDTHS.map((w) => [w.hidden.join('-'), quality(w.experimentId) ?? null]));

const date = new Date().toISOString().slice(0, 10);
const md = `# DIN activation-unit width ${date}

\`npm run bench -- attention-width\` (bench/attentionWidth.ts): DIN int8 with the attention-tanh pass (the
shipped recipe) at H = ${T}, C = ${C}, 1 thread, p50 of runs timed alternately after ${BUDGET.warmup}
warm-up runs; quality from experiments/results/movielens-next (protocol \`next\`, 4 epochs, seeds
${SEEDS.join(', ')}, mean ± std of the test split after the last epoch).

${table(
  ['attention', 'MACs / request', ...RUNTIMES.flatMap((r) => [`${RUNTIME_LABEL[r]} p50`, `÷ 80-40`]), 'AUC', 'GAUC', 'Δ GAUC vs 80-40'],
  rows,
)}
`;
writeResults(`${date}-attention-width`, md, json);
console.log(md);
