/// <reference lib="dom" />
/**
 * `npm run bench -- browser`: what a first visit costs in the browser (issue 15), in headless Debian
 * Chromium against wrangler dev on 127.0.0.1, fresh profile each time (no HTTP cache):
 *
 * - bytes on the wire per file of a first visit to /demo (ORT's wasm, the model, the manifest, the
 *   library, the catalogue), as Chromium counts them (encoded body + headers);
 * - time to first score: navigation start → the demo's first ranking drawn, and the library's own
 *   breakdown (fetch, verify, runtime start, golden replay);
 * - a repeat visit in the same profile: what the HTTP cache leaves on the wire;
 * - per model, execution provider and thread (`main` or a Web Worker): load breakdown, the page's
 *   longest main-thread stall during load + first score (a 5 ms heartbeat's longest gap: the Long
 *   Tasks API reported nothing in headless Chromium here), warm `score()` latency at H = 50, C = 100.
 *
 * WebGPU here is SwiftShader (a CPU implementation): its rows show that the path works and what it
 * downloads, not how fast a GPU is. Writes bench/results/<date>-browser.{md,json}.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromiumAvailable, launchChromium } from './lib/browserHarness.js';
import { kib, table } from './lib/markdown.js';
import { loadShippedModel, REPO_ROOT } from './lib/servingModels.js';
import { startWranglerDev } from './lib/wranglerDev.js';
import { writeResults } from './lib/results.js';

if (!chromiumAvailable()) {
  console.error('bench browser needs Chromium (apt-get install chromium)');
  process.exit(1);
}
const log = (line: string) => console.error(`[bench browser] ${line}`);
execFileSync(join(REPO_ROOT, 'node_modules/.bin/tsx'), [join(REPO_ROOT, 'scripts/build-browser.ts')], { stdio: 'inherit' });
const dev = await startWranglerDev('wrangler.toml');

interface Visit {
  provider: string;
  repeatBytes?: number;
  firstScoreMs: number;
  files: Array<{ url: string; bytes: number }>;
}
interface ModelRun {
  model: string;
  provider: string;
  thread: string;
  longestStallMs: number;
  load: { total: number; fetch: number; verify: number; runtime: number; golden: number };
  warmP50Ms: number;
  firstScoreMs: number;
}

const visits: Visit[] = [];
const models: ModelRun[] = [];
try {
  for (const webgpu of [false, true]) {
    // 1. a first visit to the demo
    const browser = await launchChromium({ webgpu });
    try {
      const page = await browser.context.newPage();
      const files: Visit['files'] = [];
      page.on('requestfinished', (req) => {
        void req.sizes().then((s) => files.push({ url: new URL(req.url()).pathname, bytes: s.responseBodySize + s.responseHeadersSize }));
      });
      await page.goto(`${dev.origin}/demo`);
      await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.error !== undefined, null, { timeout: 180_000 });
      const firstScoreMs = await page.evaluate(() => performance.now());
      const provider = (await page.evaluate(() => document.body.dataset.provider)) ?? 'failed';
      await page.waitForTimeout(500);
      // A repeat visit in the same profile: versioned files come from the HTTP cache.
      const repeat: Visit['files'] = [];
      const again = await browser.context.newPage();
      again.on('requestfinished', (req) => {
        void req.sizes().then((s) => repeat.push({ url: new URL(req.url()).pathname, bytes: s.responseBodySize + s.responseHeadersSize }));
      });
      await again.goto(`${dev.origin}/demo`);
      await again.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.error !== undefined, null, { timeout: 180_000 });
      await again.waitForTimeout(500);
      await again.close();
      visits.push({ provider, firstScoreMs, repeatBytes: repeat.reduce((a, f) => a + f.bytes, 0), files: files.sort((a, b) => b.bytes - a.bytes) });
      log(`first visit (${provider}): ${Math.round(firstScoreMs)} ms to first score, ${files.reduce((a, f) => a + f.bytes, 0)} bytes`);

      // 2. each model: load breakdown and warm latency at H = 50, C = 100
      for (const [model, thread] of [['din-movielens', 'main'], ['din-movielens', 'worker'], ['dien-movielens', 'main'], ['dien-movielens', 'worker']] as const) {
        const items = loadShippedModel(model).manifest.featureContract.items;
        const p = await browser.context.newPage();
        await p.goto(`${dev.origin}/healthz`);
        await p.addScriptTag({ type: 'module', content: `import * as lib from '/browser/interest-edge.js'; window.__interestEdge = lib;` });
        await p.waitForFunction(() => (window as unknown as { __interestEdge?: unknown }).__interestEdge !== undefined);
        const run = await p.evaluate(
          async ({ model, items, thread }) => {
            const lib = (window as unknown as { __interestEdge: any }).__interestEdge; // eslint-disable-line @typescript-eslint/no-explicit-any
            // A heartbeat every 5 ms: its longest gap is the longest the main thread was blocked.
            let last = performance.now();
            let longestStallMs = 0;
            const beat = setInterval(() => {
              const now = performance.now();
              longestStallMs = Math.max(longestStallMs, now - last - 5);
              last = now;
            }, 5);
            const t0 = performance.now();
            const scorer = await lib.Scorer.load({ baseUrl: location.origin, model, thread });
            const request = { history: items.slice(100, 150), candidates: items.slice(200, 300) };
            await scorer.score(request);
            const firstScoreMs = performance.now() - t0;
            clearInterval(beat);
            const times: number[] = [];
            for (let i = 0; i < 30; i++) {
              const s = performance.now();
              await scorer.score(request);
              times.push(performance.now() - s);
            }
            times.sort((a, b) => a - b);
            await scorer.release();
            return { provider: scorer.executionProvider, load: scorer.report.ms, warmP50Ms: times[15], firstScoreMs, longestStallMs };
          },
          { model, items, thread },
        );
        models.push({ model, thread, ...run });
        log(`${model} on ${run.provider}, ${thread} thread: load ${Math.round(run.load.total)} ms, longest main-thread stall ${Math.round(run.longestStallMs)} ms, warm p50 ${run.warmP50Ms.toFixed(1)} ms`);
        await p.close();
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  await dev.stop();
}

const manifestRaw = JSON.stringify(loadShippedModel('din-movielens').manifest);
const date = new Date().toISOString().slice(0, 10);
const total = (v: Visit) => v.files.reduce((a, f) => a + f.bytes, 0);
const markdown = [
  `# Browser ${date}`,
  '`npm run bench -- browser` (bench/browser.ts): headless Debian Chromium, fresh profile, wrangler dev on 127.0.0.1; 2 loaded cores. WebGPU = SwiftShader (CPU): correctness and bytes, not GPU speed.',
  '## First visit to /demo',
  table(
    ['provider', 'time to first score', 'bytes on the wire', 'repeat visit, bytes on the wire', 'largest files'],
    visits.map((v) => [v.provider, `${(v.firstScoreMs / 1000).toFixed(2)} s`, kib(total(v)), kib(v.repeatBytes ?? 0), v.files.slice(0, 4).map((f) => `${f.url.split('/').pop()} ${kib(f.bytes)}`).join(', ')]),
  ),
  `The manifest the browser fetches is compact JSON without \`training\`: ${kib(manifestRaw.length)} raw, ${kib(gzipSync(manifestRaw).length)} gzip for the ${loadShippedModel('din-movielens').manifest.featureContract.items.length}-item vocabulary — small beside ORT's wasm, so it gets no further compaction.`,
  '## Per model (H = 50, C = 100)',
  table(
    ['model', 'provider', 'thread', 'load (ms)', 'fetch', 'verify', 'runtime start', 'golden replay', 'first score incl. load (ms)', 'longest main-thread stall (ms)', 'warm score p50 (ms)'],
    models.map((m) => [m.model, m.provider, m.thread, Math.round(m.load.total), Math.round(m.load.fetch), Math.round(m.load.verify), Math.round(m.load.runtime), Math.round(m.load.golden), Math.round(m.firstScoreMs), Math.round(m.longestStallMs), m.warmP50Ms.toFixed(1)]),
  ),
].join('\n\n');
console.log(markdown);
writeResults(`${date}-browser`, markdown, { date, visits, models });
log(`written bench/results/${date}-browser.{md,json}`);
