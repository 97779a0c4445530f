/**
 * `npm run bench -- cascade`: the cascade against full DIN at C = 1000 on MovieLens test users
 * (issue 17, item 3). Per test user (user id % 5 = 0, the shipped models' test split): history =
 * the 50 behaviours before the user's last one, candidates = that last item + 999 items the user
 * never rated, drawn from the vocabulary. Then:
 *
 * - full: DIN scores all 1000;
 * - cascade(K): the dot first stage (din-movielens-dot) scores all 1000, DIN re-ranks its top K,
 *   the rest keep stage one's order below them.
 *
 * Reported: recall of full DIN's top 10 within the cascade's top 10, the held-out item's AUC
 * against the 999 (averaged per user: GAUC with one request per user), its hit rate at 10, and
 * model CPU per request in the worker's runtime (onnxruntime-web wasm, one thread, steady state).
 * Writes bench/results/<date>-cascade.{md,json}.
 */
import { join } from 'node:path';
import { contractOf } from '../contract/manifest.js';
import { encodeScoreRequest } from '../core/encode/requestEncoder.js';
import { estimateUs } from '../core/scoring/requestCost.js';
import { heldOutRequests } from './lib/heldOut.js';
import { table } from './lib/markdown.js';
import { createSession, feedsFromServing, type Feeds } from './lib/ortRuntimes.js';
import { loadShippedModel } from './lib/servingModels.js';
import { percentile } from './lib/stats.js';
import { writeResults } from './lib/results.js';

const C = 1000;
const H = 50;
const KS = [50, 100, 200, 300];
const MAX_USERS = 120;
const log = (line: string) => console.error(`[bench cascade] ${line}`);

const din = loadShippedModel('din-movielens');
const dot = loadShippedModel('din-movielens-dot');
const contract = contractOf(din.manifest);
const vocabulary = din.manifest.featureContract.items;

// One request per test user: the last behaviour is the held-out positive.
const requests = await heldOutRequests({ vocabulary, C, H, maxUsers: MAX_USERS, seed: 'cascade-bench' });
log(`${requests.length} test users`);

function feedsOf(history: string[], candidates: string[]): Feeds {
  return feedsFromServing(encodeScoreRequest(contract, { history, candidates }).feeds);
}

const dinSession = await createSession('wasm', din.onnx);
const dotSession = await createSession('wasm', dot.onnx);
// Steady state: V8 tiers ORT's wasm up over the first runs.
for (const s of [dinSession, dotSession]) {
  const warm = s.runner(feedsOf(requests[0].history, requests[0].candidates), ['score']);
  for (let i = 0; i < 300; i++) await warm();
}

async function timed(session: typeof dinSession, history: string[], candidates: string[]): Promise<{ scores: Float32Array; ms: number }> {
  const run = session.runner(feedsOf(history, candidates), ['score']);
  const t0 = performance.now();
  const out = await run();
  return { scores: out.score, ms: performance.now() - t0 };
}

/** Rank of each candidate (0 = best) under `scores`; ties by request order. */
const order = (scores: ArrayLike<number>) => Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
const aucOf = (ranking: number[], positive: number) => {
  const at = ranking.indexOf(positive);
  return (ranking.length - 1 - at) / (ranking.length - 1); // share of negatives ranked below it
};

interface Row { name: string; K?: number; recall10: number[]; auc: number[]; hit10: number[]; ms: number[]; estimateMs: number[] }
const rows: Row[] = [{ name: 'full DIN', recall10: [], auc: [], hit10: [], ms: [], estimateMs: [] }, { name: 'dot only', recall10: [], auc: [], hit10: [], ms: [], estimateMs: [] }, ...KS.map((K) => ({ name: `cascade K = ${K}`, K, recall10: [], auc: [], hit10: [], ms: [], estimateMs: [] }))];
const cost = (m: typeof din, c: number, t: number) => (m.manifest.cost ? estimateUs(m.manifest.cost, c, t) / 1000 : Number.NaN);
for (const r of requests) {
  const p = r.candidates.indexOf(r.positive);
  const full = await timed(dinSession, r.history, r.candidates);
  const fullRank = order(full.scores);
  const fullTop = new Set(fullRank.slice(0, 10));
  const record = (row: Row, ranking: number[], ms: number, estimateMs: number) => {
    row.recall10.push(ranking.slice(0, 10).filter((i) => fullTop.has(i)).length / 10);
    row.auc.push(aucOf(ranking, p));
    row.hit10.push(ranking.slice(0, 10).includes(p) ? 1 : 0);
    row.ms.push(ms);
    row.estimateMs.push(estimateMs);
  };
  record(rows[0], fullRank, full.ms, cost(din, C, r.history.length));
  const first = await timed(dotSession, r.history, r.candidates);
  const firstRank = order(first.scores);
  record(rows[1], firstRank, first.ms, cost(dot, C, r.history.length));
  for (const row of rows.slice(2)) {
    const kept = firstRank.slice(0, row.K!).sort((a, b) => a - b);
    const second = await timed(dinSession, r.history, kept.map((i) => r.candidates[i]));
    const reranked = order(second.scores).map((j) => kept[j]);
    record(row, [...reranked, ...firstRank.slice(row.K!)], first.ms + second.ms, cost(dot, C, r.history.length) + cost(din, row.K!, r.history.length));
  }
}
await dinSession.release();
await dotSession.release();

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const date = new Date().toISOString().slice(0, 10);
const markdown = [
  `# Cascade ${date}`,
  `\`npm run bench -- cascade\` (bench/cascade.ts): ${requests.length} MovieLens test users (id % 5 = 0), one request each: the 50 behaviours before the user's last one as history, that last item + 999 never-rated vocabulary items as the C = ${C} candidates. First stage: \`din-movielens-dot\` (dot product on DIN's own embeddings, no training); re-ranker: \`din-movielens\`. CPU: onnxruntime-web wasm, 1 thread, Node ${process.versions.node}, steady state (after 300 warm-up runs, as npm run model-cost), 2 loaded cores: compare within this table.`,
  table(
    ['ranking', 'recall of full DIN\'s top 10 in its top 10', 'AUC of the held-out item (GAUC, 1 request per user)', 'hit rate @ 10', 'model CPU p50 (ms)', 'p90 (ms)', 'estimated by the cost models (ms)'],
    rows.map((r) => [r.name, mean(r.recall10).toFixed(3), mean(r.auc).toFixed(4), mean(r.hit10).toFixed(3), percentile(r.ms, 0.5).toFixed(2), percentile(r.ms, 0.9).toFixed(2), mean(r.estimateMs).toFixed(2)]),
  ),
].join('\n\n');
console.log(markdown);
writeResults(`${date}-cascade`, markdown, { date, users: requests.length, C, H, rows: rows.map((r) => ({ name: r.name, K: r.K, recall10: mean(r.recall10), auc: mean(r.auc), hit10: mean(r.hit10), p50Ms: percentile(r.ms, 0.5), p90Ms: percentile(r.ms, 0.9), estimateMs: mean(r.estimateMs) })) });
log(`written bench/results/${date}-cascade.{md,json}`);
