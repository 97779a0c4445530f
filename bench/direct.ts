/**
 * `npm run bench -- direct`: steady-state HTTP latency of the worker through `wrangler dev` and
 * against workerd directly (issue 17, item 4). wrangler dev puts a proxy worker in front of the
 * user worker, which production does not have; here the deploy bundle
 * (`wrangler deploy --dry-run`) also runs in Miniflare alone — one workerd, no proxy — with the same
 * assets and vars. Both: 1 connection, H = 50, C = 100 ids-only bodies, 6 s warm-up then 12 s,
 * and GET /healthz as the transport reference. The model alone — the same DIN, the same
 * onnxruntime-web wasm, the same bodies encoded by the worker's encoder, in Node — is timed in the
 * same run, so that `score − healthz − model` bounds what the worker's own code costs (issue 17,
 * item 2) on whatever machine runs it. Writes bench/results/<date>-direct.{md,json}.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import seedrandom from 'seedrandom';
import { contractOf } from '../contract/manifest.js';
import { encodeScoreRequest } from '../core/encode/requestEncoder.js';
import { load } from './endToEnd.js';
import { table } from './lib/markdown.js';
import { createSession, feedsFromServing } from './lib/ortRuntimes.js';
import { percentile } from './lib/stats.js';
import { loadShippedModel, REPO_ROOT } from './lib/servingModels.js';
import { startWranglerDev, WRANGLER, WRANGLER_ENV } from './lib/wranglerDev.js';
import { writeResults } from './lib/results.js';

const VARS = { EXPOSURE_LOG: 'console', RATE_LIMIT_KEY: 'off', CORS_ORIGINS: '' };
const log = (line: string) => console.error(`[bench direct] ${line}`);
const din = loadShippedModel('din-movielens');
const items = din.manifest.featureContract.items;
const rng = seedrandom('direct');
const sample = (n: number) => Array.from({ length: n }, () => items[Math.floor(rng() * items.length)]);
const bodies = Array.from({ length: 256 }, (_, i) => JSON.stringify({ user: `direct-${i}`, history: sample(50), candidates: sample(100) }));

interface Row { target: string; healthzP50: number; healthzP99: number; p50: number; p99: number; rps: number }
async function measure(target: string, server: { origin: string; log(): string }): Promise<Row> {
  await load(server, { path: '/v1/score', bodies, connections: 1, seconds: 6 });
  const healthz = await load(server, { path: '/healthz', connections: 1, seconds: 4 });
  const score = await load(server, { path: '/v1/score', bodies, connections: 1, seconds: 12 });
  log(`${target}: /healthz p50 ${healthz.p50Ms.toFixed(2)} ms, POST /v1/score p50 ${score.p50Ms.toFixed(2)} ms, p99 ${score.p99Ms.toFixed(2)} ms`);
  return { target, healthzP50: healthz.p50Ms, healthzP99: healthz.p99Ms, p50: score.p50Ms, p99: score.p99Ms, rps: score.requestsPerSecond };
}

/**
 * Inside workerd, without HTTP or a profiler (bench/workerd/modelInWorkerd.ts in Miniflare): DIN's
 * session.run alone, and the same bodies through the whole app; batches of 100 alternate between
 * the two, `warmupS` untimed, then `seconds`; p50 over the batches of the mean ms per run.
 */
async function insideWorkerd(warmupS: number, seconds: number): Promise<{ modelMs: number; appMs: number; overhead: { p25: number; p50: number; p75: number; pairs: number }; parts: Record<string, number> }> {
  const outdir = mkdtempSync(join(tmpdir(), 'interest-edge-model-'));
  try {
    const run = spawnSync(WRANGLER, ['deploy', '--dry-run', '--outdir', outdir, 'bench/workerd/modelInWorkerd.ts'], { cwd: REPO_ROOT, env: WRANGLER_ENV, encoding: 'utf8', timeout: 180_000 });
    if (run.status !== 0) throw new Error(`wrangler deploy --dry-run (bench/workerd/modelInWorkerd.ts) failed:\n${run.stderr}`);
    const mf = miniflareOf(outdir, 'modelInWorkerd.js');
    try {
      const url = await mf.ready;
      const payload = `[${bodies.join(',')}]`;
      const batch = async (mode: 'model' | 'app') => {
        const res = await fetch(`${url.origin}/?mode=${mode}&runs=100`, { method: 'POST', body: payload });
        if (res.status !== 200) throw new Error(`${mode} batch: HTTP ${res.status}: ${await res.text()}`);
        const b = (await res.json()) as { runs: number; ms: number };
        return b.ms / b.runs;
      };
      for (let end = performance.now() + warmupS * 1000; performance.now() < end; ) {
        await batch('model');
        await batch('app');
      }
      const model: number[] = [];
      const app: number[] = [];
      for (let end = performance.now() + seconds * 1000; performance.now() < end; ) {
        model.push(await batch('model'));
        app.push(await batch('app'));
      }
      const parts = (await (await fetch(`${url.origin}/?mode=parts&runs=2000`, { method: 'POST', body: payload })).json()) as Record<string, number>;
      // Each app batch against the model batch just before it: pairing cancels the machine's drift.
      const diffs = app.map((a, k) => a - model[k]);
      const overhead = { p25: percentile(diffs, 0.25), p50: percentile(diffs, 0.5), p75: percentile(diffs, 0.75), pairs: diffs.length };
      return { modelMs: percentile(model, 0.5), appMs: percentile(app, 0.5), overhead, parts };
    } finally {
      await mf.dispose();
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The deploy bundle in `outdir` (entry `main`) in one workerd, with the models as assets. */
function miniflareOf(outdir: string, main: string): Miniflare {
  return new Miniflare({
    modulesRoot: outdir,
    // Listed by hand: ORT's glue has dynamic import specifiers Miniflare will not resolve itself.
    modules: [{ type: 'ESModule', path: join(outdir, main) }, ...readdirSync(outdir).filter((f) => f.endsWith('.wasm')).map((f) => ({ type: 'CompiledWasm' as const, path: join(outdir, f) }))],
    compatibilityDate: '2026-04-01',
    bindings: VARS,
    assets: { directory: join(REPO_ROOT, 'models'), binding: 'ASSETS', routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true } },
    host: '127.0.0.1',
    port: 0,
  });
}

/** session.run alone, in turn over the same bodies: `warmupS` untimed, then `seconds` timed. */
async function modelAlone(warmupS: number, seconds: number): Promise<{ p50: number; p99: number }> {
  const contract = contractOf(din.manifest);
  const session = await createSession('wasm', din.onnx);
  try {
    const runs = bodies.map((b) => session.runner(feedsFromServing(encodeScoreRequest(contract, JSON.parse(b) as { history: string[]; candidates: string[] }, { time: 0, route: 'default' }).feeds), ['score']));
    const until = (s: number) => performance.now() + s * 1000;
    for (let i = 0, end = until(warmupS); performance.now() < end; i++) await runs[i % runs.length]();
    const times: number[] = [];
    for (let i = 0, end = until(seconds); performance.now() < end; i++) {
      const t0 = performance.now();
      await runs[i % runs.length]();
      times.push(performance.now() - t0);
    }
    return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
  } finally {
    await session.release();
  }
}

const rows: Row[] = [];
// 0. the model alone (Node, the same wasm)
const model = await modelAlone(6, 12);
log(`model alone: session.run p50 ${model.p50.toFixed(2)} ms, p99 ${model.p99.toFixed(2)} ms`);
const inside = await insideWorkerd(6, 30);
log(`inside workerd: model alone ${inside.modelMs.toFixed(2)} ms, through the app ${inside.appMs.toFixed(2)} ms per request; app − model per pair p50 ${inside.overhead.p50.toFixed(2)} ms`);
// 1. wrangler dev (what `npm start` runs)
const dev = await startWranglerDev('wrangler.toml', VARS);
try {
  rows.push(await measure('wrangler dev (proxy worker + user worker)', dev));
} finally {
  await dev.stop();
}
// 2. workerd directly: the deploy bundle in Miniflare
const outdir = mkdtempSync(join(tmpdir(), 'interest-edge-direct-'));
try {
  const run = spawnSync(WRANGLER, ['deploy', '--dry-run', '--outdir', outdir], { cwd: REPO_ROOT, env: WRANGLER_ENV, encoding: 'utf8', timeout: 180_000 });
  if (run.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${run.stderr}`);
  const mf = miniflareOf(outdir, 'index.js');
  try {
    const url = await mf.ready;
    rows.push(await measure('workerd directly (Miniflare, deploy bundle)', { origin: url.origin, log: () => '' }));
  } finally {
    await mf.dispose();
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}

const date = new Date().toISOString().slice(0, 10);
const markdown = [
  `# Steady state through wrangler dev and against workerd directly ${date}`,
  '`npm run bench -- direct` (bench/direct.ts): 1 connection, H = 50, C = 100 ids-only bodies (DIN, default route), 6 s warm-up, 12 s measured (autocannon); GET /healthz = transport and routing alone. 2 cores: compare within the table. Targets (issue 17): p50 ≤ 5 ms, p99 ≤ 10 ms.',
  table(
    ['target', 'GET /healthz p50 / p99 (ms)', 'POST /v1/score p50 (ms)', 'p99 (ms)', 'req/s', 'score − healthz p50 (ms)'],
    rows.map((r) => [r.target, `${r.healthzP50.toFixed(2)} / ${r.healthzP99.toFixed(2)}`, r.p50.toFixed(2), r.p99.toFixed(2), r.rps.toFixed(0), (r.p50 - r.healthzP50).toFixed(2)]),
  ),
  `Inside workerd in the same run (bench/workerd/modelInWorkerd.ts, no HTTP, no profiler; batches of 100 alternating for 30 s after 6 s untimed, p50 of the batch means), DIN at H = 50, C = 100 over the same 256 bodies: session.run alone through the worker's ORT seam **${inside.modelMs.toFixed(2)} ms**; the same bodies through the whole app (\`app.fetch\`: body, JSON, zod, routing, assignment, encoding, the run, ranking, the JSON response, exposure records to a dropped Analytics Engine dataset) **${inside.appMs.toFixed(2)} ms**: the worker's code around the model costs **${inside.overhead.p50.toFixed(2)} ms** per request (issue 17, item 2: ≤ 1 ms; the median over ${inside.overhead.pairs} pairs of an app batch and the model batch before it, interquartile range ${inside.overhead.p25.toFixed(2)}–${inside.overhead.p75.toFixed(2)} ms). In Node, the same wasm: p50 ${model.p50.toFixed(2)} ms, p99 ${model.p99.toFixed(2)} ms. Against workerd directly over HTTP, score − healthz − model in workerd = ${(rows[1].p50 - rows[1].healthzP50 - inside.modelMs).toFixed(2)} ms. The target p50 (5 ms) is ${(5 / inside.modelMs).toFixed(2)}× the model alone in workerd on this machine.`,
  'Steps of the app timed one by one inside workerd (2,000 times each, mean µs; `mode=parts`):',
  table(['step', 'µs per request'], Object.entries(inside.parts).map(([name, ms]) => [name, (ms * 1000).toFixed(1)])),
].join('\n\n');
console.log(markdown);
writeResults(`${date}-direct`, markdown, { date, modelNode: model, insideWorkerd: inside, rows });
