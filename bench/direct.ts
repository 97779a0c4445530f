/**
 * `npm run bench:direct`: steady-state HTTP latency of the worker through `wrangler dev` and
 * against workerd directly (issue 17, item 4). wrangler dev puts a proxy worker in front of the
 * user worker, which production does not have; here the deploy bundle
 * (`wrangler deploy --dry-run`) also runs in Miniflare alone — one workerd, no proxy — with the same
 * assets and vars. Both: 1 connection, H = 50, C = 100 ids-only bodies, 6 s warm-up then 12 s,
 * and GET /healthz as the transport reference. Writes bench/results/<date>-direct.{md,json}.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import seedrandom from 'seedrandom';
import { load } from './endToEnd.js';
import { table } from './markdown.js';
import { loadShippedModel, REPO_ROOT } from './servingModels.js';
import { startWranglerDev, WRANGLER, WRANGLER_ENV } from './wranglerDev.js';

const VARS = { EXPOSURE_LOG: 'console', RATE_LIMIT_KEY: 'off', CORS_ORIGINS: '' };
const log = (line: string) => console.error(`[bench:direct] ${line}`);
const items = loadShippedModel('din-movielens').manifest.featureContract.items;
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

const rows: Row[] = [];
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
  const mf = new Miniflare({
    modulesRoot: outdir,
    // Listed by hand: ORT's glue has dynamic import specifiers Miniflare will not resolve itself.
    modules: [{ type: 'ESModule', path: join(outdir, 'index.js') }, ...readdirSync(outdir).filter((f) => f.endsWith('.wasm')).map((f) => ({ type: 'CompiledWasm' as const, path: join(outdir, f) }))],
    compatibilityDate: '2026-04-01',
    bindings: VARS,
    assets: { directory: join(REPO_ROOT, 'models'), binding: 'ASSETS', routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true } },
    host: '127.0.0.1',
    port: 0,
  });
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
  '`npm run bench:direct` (bench/direct.ts): 1 connection, H = 50, C = 100 ids-only bodies (DIN, default route), 6 s warm-up, 12 s measured (autocannon); GET /healthz = transport and routing alone. 2 cores: compare within the table. Targets (issue 17): p50 ≤ 5 ms, p99 ≤ 10 ms.',
  table(
    ['target', 'GET /healthz p50 / p99 (ms)', 'POST /v1/score p50 (ms)', 'p99 (ms)', 'req/s', 'score − healthz p50 (ms)'],
    rows.map((r) => [r.target, `${r.healthzP50.toFixed(2)} / ${r.healthzP99.toFixed(2)}`, r.p50.toFixed(2), r.p99.toFixed(2), r.rps.toFixed(0), (r.p50 - r.healthzP50).toFixed(2)]),
  ),
].join('\n\n');
console.log(markdown);
const dir = join(REPO_ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, `${date}-direct.json`), JSON.stringify({ date, rows }, null, 1) + '\n');
writeFileSync(join(dir, `${date}-direct.md`), markdown + '\n');
