/**
 * `npm run bench -- cold [-- --warmups 0,60,isolate:din] [--instances 3] [--requests 300] [--gap-ms 0] [--settle-ms 0]`:
 * latency by request index after a cold start (issue 17, item 1). Each instance is a fresh
 * `wrangler dev` (a fresh workerd isolate); the requests go one at a time, H = 50, C = 100 on the
 * default route (DIN), from the moment wrangler reports ready, each `--gap-ms` after the previous
 * answer (0: back to back, the worst case for work done between requests). Buckets: request 1,
 * 2–10, 11–50, 51–200, and steady state (201 on). Each setting (`settingVars`: warm-up runs,
 * when ORT starts) is one row; settings alternate instance by instance so drift hits them alike.
 * Writes bench/results/<date>-cold[-gap<ms>][-settle<ms>].{md,json}.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import seedrandom from 'seedrandom';
import { table } from './lib/markdown.js';
import { loadShippedModel } from './lib/servingModels.js';
import { percentile } from './lib/stats.js';
import { startWranglerDev } from './lib/wranglerDev.js';
import { writeResults } from './lib/results.js';

const { values: args } = parseArgs({
  options: { warmups: { type: 'string', default: '0,60,isolate:din' }, instances: { type: 'string', default: '3' }, requests: { type: 'string', default: '300' }, 'gap-ms': { type: 'string', default: '0' }, 'settle-ms': { type: 'string', default: '0' } },
});
const warmups = args.warmups.split(',');
const gapMs = Number(args['gap-ms']);
/** Wait this long after wrangler reports ready before the first request (an isolate started at once has finished its start-up by then). */
const settleMs = Number(args['settle-ms']);
const instances = Number(args.instances);
const count = Number(args.requests);
const BUCKETS: Array<[string, number, number]> = [['1', 1, 1], ['2–10', 2, 10], ['11–50', 11, 50], ['51–200', 51, 200], ['steady (201+)', 201, Number.MAX_SAFE_INTEGER]];
const log = (line: string) => console.error(`[bench cold] ${line}`);
const items = loadShippedModel('din-movielens').manifest.featureContract.items;

/**
 * A setting is tokens joined by `+`: `N` = MODEL_WARMUP_RUNS N before the model serves, `isolate` /
 * `isolate:din,dien` = ORT_START = isolate with those start graphs (ORT_START_GRAPHS; default all).
 * E.g. `isolate:din+60`.
 */
function settingVars(setting: string): Record<string, string> {
  const vars: Record<string, string> = { MODEL_WARMUP_RUNS: '0', ORT_START: 'first-request' };
  for (const token of setting.split('+')) {
    if (/^\d+$/.test(token)) vars.MODEL_WARMUP_RUNS = token;
    else if (token === 'isolate') vars.ORT_START = 'isolate';
    else if (token.startsWith('isolate:')) Object.assign(vars, { ORT_START: 'isolate', ORT_START_GRAPHS: token.slice(8) });
    else throw new Error(`--warmups: "${token}" is not N, isolate or isolate:<kinds>`);
  }
  return vars;
}

const byIndex = new Map<string, number[][]>(warmups.map((w) => [w, Array.from({ length: count }, () => [])]));
for (let i = 0; i < instances; i++) {
  for (const w of warmups) {
    const rng = seedrandom(`cold-${i}`);
    const draw = (n: number) => Array.from({ length: n }, () => items[Math.floor(rng() * items.length)]);
    const bodies = Array.from({ length: count }, () => JSON.stringify({ history: draw(50), candidates: draw(100) }));
    const dev = await startWranglerDev('wrangler.toml', settingVars(w));
    try {
      if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
      for (let r = 0; r < count; r++) {
        if (r > 0 && gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
        const t0 = performance.now();
        const res = await fetch(`${dev.origin}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[r] });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`request ${r + 1}: HTTP ${res.status}`);
        byIndex.get(w)![r].push(performance.now() - t0);
      }
    } finally {
      await dev.stop();
    }
    const first = byIndex.get(w)!.map((xs) => xs.at(-1)!);
    log(`instance ${i + 1}, warm-up ${w}: first ${first[0].toFixed(0)} ms, p50 2–50 ${percentile(first.slice(1, 50), 0.5).toFixed(1)} ms, steady ${percentile(first.slice(200), 0.5).toFixed(1)} ms`);
  }
}

const rows = warmups.map((w) => {
  const all = byIndex.get(w)!;
  const bucket = (lo: number, hi: number) => all.slice(lo - 1, Math.min(hi, count)).flat();
  const steady = percentile(bucket(201, count), 0.5);
  const early = percentile(bucket(2, 50), 0.5);
  return { warmup: w, buckets: Object.fromEntries(BUCKETS.map(([name, lo, hi]) => [name, percentile(bucket(lo, hi), 0.5)])), early, steady, ratio: early / steady };
});
const date = new Date().toISOString().slice(0, 10);
const markdown = [
  `# Cold isolates ${date}`,
  `\`npm run bench -- cold -- --warmups ${args.warmups} --instances ${instances} --requests ${count} --gap-ms ${gapMs} --settle-ms ${settleMs}\` (bench/coldCurve.ts): ${instances} fresh wrangler dev instances per setting (alternating), ${count} sequential requests each from ${settleMs > 0 ? `${settleMs} ms after` : 'the moment'} wrangler is ready, ${gapMs > 0 ? `each ${gapMs} ms after the previous answer` : 'back to back'}, H = 50, C = 100, DIN on the default route; p50 per bucket of request indexes over all instances (ms, HTTP through wrangler dev's proxy). Setting: \`N\` = MODEL_WARMUP_RUNS N before the model serves, \`isolate[:kinds]\` = ORT_START = isolate with those start graphs. 2 loaded cores: compare within a table.`,
  table(
    ['setting', ...BUCKETS.map(([name]) => name), 'p50(2–50) / steady'],
    rows.map((r) => [r.warmup, ...BUCKETS.map(([name]) => r.buckets[name].toFixed(1)), `${r.ratio.toFixed(2)}×`]),
  ),
].join('\n\n');
console.log(markdown);
const name = `${date}-cold${gapMs > 0 ? `-gap${gapMs}` : ''}${settleMs > 0 ? `-settle${settleMs}` : ''}`;
writeResults(name, markdown, { date, instances, count, gapMs, settleMs, rows });
