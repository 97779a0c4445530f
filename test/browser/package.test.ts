/// <reference lib="dom" />
/**
 * The package as a web developer gets it (issue 27): `npm pack` the repository, install the tarball
 * (and its peer onnxruntime-web) into a scratch app, bundle the app with esbuild, load the bundle in
 * Debian's Chromium on a page of the worker (which serves the models and ORT's wasm files) and
 * score with `Scorer` — the same scores as `POST /v1/score`. A typo in a request is a type error for
 * the app (browser/typeChecks.ts proves that at `npm run typecheck`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, type Chromium } from '../../bench/lib/browserHarness.js';
import { loadShippedModel, REPO_ROOT } from '../../bench/lib/servingModels.js';
import { startWranglerDev, type WranglerDev } from '../../bench/lib/wranglerDev.js';

describe.runIf(chromiumAvailable())('the npm package in a scratch app', () => {
  let dev: WranglerDev;
  let browser: Chromium;
  let app: string;
  let bundle: string;
  let workerBundle: string;
  beforeAll(async () => {
    app = mkdtempSync(join(tmpdir(), 'interest-edge-app-'));
    execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', app], { cwd: REPO_ROOT, stdio: 'ignore' }); // test:node built dist/ already
    const tarball = readdirSync(app).find((f) => f.endsWith('.tgz'))!;
    const version = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).peerDependencies['onnxruntime-web'];
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch-shop', private: true, type: 'module', dependencies: { 'interest-edge': `file:./${tarball}`, 'onnxruntime-web': version } }));
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: app, stdio: 'ignore', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
    writeFileSync(join(app, 'app.ts'), `import { Scorer } from 'interest-edge/browser';\nimport { createInterestEdgeClient } from 'interest-edge/client';\n(window as any).shop = { Scorer, createInterestEdgeClient };\n`);
    const out = await build({ entryPoints: [join(app, 'app.ts')], bundle: true, format: 'esm', platform: 'browser', write: false, absWorkingDir: app, logLevel: 'silent' });
    bundle = out.outputFiles[0].text;
    // thread: 'worker' with a bundler: the app bundles the package's worker entry as a file of its own.
    writeFileSync(join(app, 'scorer-worker.ts'), `import 'interest-edge/browser/worker';\n`);
    workerBundle = (await build({ entryPoints: [join(app, 'scorer-worker.ts')], bundle: true, format: 'esm', platform: 'browser', write: false, absWorkingDir: app, logLevel: 'silent' })).outputFiles[0].text;
    dev = await startWranglerDev('wrangler.toml', { EXPOSURE_LOG: 'console' });
    browser = await launchChromium({ webgpu: false });
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await dev?.stop();
    rmSync(app, { recursive: true, force: true });
  });

  /** A page on the worker's origin with the scratch app's bundle loaded (`window.shop`). */
  async function withShop(page: import('playwright-core').Page): Promise<void> {
    await page.goto(`${dev.origin}/healthz`);
    await page.addScriptTag({ type: 'module', content: bundle });
    await page.waitForFunction(() => (window as unknown as { shop?: unknown }).shop !== undefined);
  }

  it('installs from the tarball, bundles with esbuild, and scores in the page like the worker', async () => {
    const items = loadShippedModel('din-movielens').manifest.featureContract.items;
    const request = { history: items.slice(0, 12), candidates: items.slice(20, 40) };
    const page = await browser.context.newPage();
    try {
      await withShop(page);
      const inPage = (await page.evaluate(async (request) => {
        const { Scorer, createInterestEdgeClient } = (window as unknown as { shop: any }).shop; // eslint-disable-line @typescript-eslint/no-explicit-any
        const scorer = await Scorer.load({ baseUrl: location.origin, model: 'din-movielens' });
        const local = await scorer.score(request);
        const remote = await createInterestEdgeClient({ baseUrl: location.origin }).score(request);
        return { provider: scorer.executionProvider, local: local.scores, remote: remote.scores };
      }, request)) as { provider: string; local: Array<{ item: string; score: number }>; remote: Array<{ item: string; score: number }> };
      expect(inPage.provider).toBe('wasm');
      expect(inPage.local.map((s) => s.item)).toEqual(inPage.remote.map((s) => s.item));
      for (const [i, s] of inPage.local.entries()) expect(Math.abs(s.score - inPage.remote[i].score)).toBeLessThan(1e-4);
    } finally {
      await page.close();
    }
  }, 180_000);

  it('thread: "worker" with the app\'s own bundle of interest-edge/browser/worker scores like the main thread', async () => {
    const items = loadShippedModel('din-movielens').manifest.featureContract.items;
    const request = { history: items.slice(0, 12), candidates: items.slice(20, 40) };
    const page = await browser.context.newPage();
    try {
      await withShop(page);
      const same = await page.evaluate(async ({ request, workerBundle }) => {
        const { Scorer } = (window as unknown as { shop: any }).shop; // eslint-disable-line @typescript-eslint/no-explicit-any
        const workerUrl = URL.createObjectURL(new Blob([workerBundle], { type: 'text/javascript' }));
        const off = await Scorer.load({ baseUrl: location.origin, model: 'din-movielens', thread: 'worker', workerUrl });
        const on = await Scorer.load({ baseUrl: location.origin, model: 'din-movielens' });
        const [a, b] = [await off.score(request), await on.score(request)];
        await off.release();
        return JSON.stringify(a.scores) === JSON.stringify(b.scores) && a.scores.length === request.candidates.length;
      }, { request, workerBundle });
      expect(same).toBe(true);
    } finally {
      await page.close();
    }
  }, 180_000);

  it('a pointer cached from before a deploy (its version now a 404) is fetched again past the cache, once', async () => {
    const page = await browser.context.newPage();
    try {
      await withShop(page);
      const seen = (await page.evaluate(async () => {
        const { Scorer } = (window as unknown as { shop: any }).shop; // eslint-disable-line @typescript-eslint/no-explicit-any
        const calls: string[] = [];
        // What a browser's HTTP cache hands out within the pointer's max-age after a deploy: the old version.
        const stale = (input: RequestInfo | URL, init?: RequestInit) => {
          const url = String(input);
          calls.push(`${url.replace(location.origin, '')} ${init?.cache ?? 'default'}`);
          if (url.endsWith('/v1/public/models/din-movielens') && init?.cache !== 'reload') {
            return Promise.resolve(new Response(JSON.stringify({ version: '2020-01-01.00000000', manifest: '/v1/public/models/din-movielens/2020-01-01.00000000/manifest.json', onnx: '/v1/public/models/din-movielens/2020-01-01.00000000/model.onnx', sha256: '0' }), { headers: { 'content-type': 'application/json' } }));
          }
          return fetch(input, init);
        };
        const scorer = await Scorer.load({ baseUrl: location.origin, model: 'din-movielens', fetch: stale });
        return { calls, version: scorer.manifest.version };
      })) as { calls: string[]; version: string };
      expect(seen.calls.filter((c) => c.startsWith('/v1/public/models/din-movielens ')).map((c) => c.split(' ')[1])).toEqual(['default', 'reload']);
      expect(seen.version).not.toBe('2020-01-01.00000000');
    } finally {
      await page.close();
    }
  }, 180_000);
});
