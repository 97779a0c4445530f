/**
 * `npm run bench -- multitask`: what a multi-task head costs at serving, H = 50, C = 100: the shipped
 * ple-movielens (PLE, 2 levels, over DIN; every task output fetched) against din-movielens (DIN
 * alone, `score`), both int8 exports on the same vocabulary, in onnxruntime-web's wasm (the
 * worker's runtime) and onnxruntime-node. Runs are interleaved (A B A B …) after a warm-up long
 * enough for V8 to tier the wasm up; the table gives p50/p99 per run and the ratio PLE / DIN.
 *
 * Writes bench/results/<date>-multitask.{json,md}.
 */
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { TASK_OUTPUTS } from '../contract/manifest.js';
import { createSession, RUNTIME_LABEL, RUNTIMES } from './lib/ortRuntimes.js';
import { loadShippedModel, randomServingFeeds } from './lib/servingModels.js';
import { percentile } from './lib/stats.js';
import { systemInfo } from './lib/system.js';
import { writeResults } from './lib/results.js';

const H = 50;
const C = 100;
const WARMUP = 300;
const RUNS = 400;

const din = loadShippedModel('din-movielens');
const ple = loadShippedModel('ple-movielens');
const feeds = randomServingFeeds(din.manifest, seedrandom('multitask-bench'), H, C);
const rows = [];
for (const runtime of RUNTIMES) {
  const a = await createSession(runtime, din.onnx);
  const b = await createSession(runtime, ple.onnx);
  const runA = a.runner(feeds, ['score']);
  const runB = b.runner(feeds, ['score', ...TASK_OUTPUTS]);
  for (let i = 0; i < WARMUP; i++) await runA(), await runB();
  const times: number[][] = [[], []];
  for (let i = 0; i < RUNS; i++) {
    for (const [k, run] of [runA, runB].entries()) {
      const t0 = performance.now();
      await run();
      times[k].push(performance.now() - t0);
    }
  }
  await a.release();
  await b.release();
  const [dinMs, pleMs] = times.map((t) => ({ p50: percentile(t, 0.5), p99: percentile(t, 0.99) }));
  rows.push({ runtime, dinMs, pleMs, ratioP50: pleMs.p50 / dinMs.p50, ratioP99: pleMs.p99 / dinMs.p99 });
  console.error(`${runtime}: din p50 ${dinMs.p50.toFixed(2)} ms, ple p50 ${pleMs.p50.toFixed(2)} ms`);
}
const date = new Date().toISOString().slice(0, 10);
const markdown = [
  `# Multi-task head serving cost (${date})`,
  '',
  `H = ${H}, C = ${C}, one \`session.run\` per request, ${RUNS} interleaved runs after ${WARMUP} warm-up runs each. Reference: din-movielens (DIN alone). PLE fetches \`score\`, \`ctr\`, \`cvr\`, \`ctcvr\`.`,
  '',
  '| runtime | DIN p50 / p99 (ms) | PLE over DIN p50 / p99 (ms) | ratio p50 | ratio p99 |',
  '| --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${RUNTIME_LABEL[r.runtime]} | ${r.dinMs.p50.toFixed(2)} / ${r.dinMs.p99.toFixed(2)} | ${r.pleMs.p50.toFixed(2)} / ${r.pleMs.p99.toFixed(2)} | ${r.ratioP50.toFixed(2)}× | ${r.ratioP99.toFixed(2)}× |`),
].join('\n');
console.log(markdown);
writeResults(`${date}-multitask`, markdown, { date, system: systemInfo(), H, C, runs: RUNS, warmup: WARMUP, rows });
