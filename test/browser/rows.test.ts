/// <reference lib="dom" />
/**
 * Issue 28, item 4: a page scores a model whose item rows live outside its graph, in Debian's
 * Chromium, with the browser library the worker serves: it downloads the graph, the manifest, the
 * hot shard and only the shards of the items it scores — never the whole table — and its scores
 * equal the worker's for the same requests. The deployment is a temporary one (the catalogue
 * bench's worker entry with its own route config) holding a 50,000-item DIN exported with
 * `itemRows: 'store'` (test/workerd/rowsModel.ts). Skipped, with a message, without Chromium.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardFileName, shardOf } from '../../contract/itemRows.js';
import { modelManifestSchema } from '../../contract/manifest.js';
import { chromiumAvailable, CHROMIUM, launchChromium, type Chromium } from '../../bench/lib/browserHarness.js';
import { REPO_ROOT } from '../../bench/lib/servingModels.js';
import { startWranglerDev, writeDeploymentConfig, type WranglerDev } from '../../bench/lib/wranglerDev.js';
import { buildRowsModel, ROWS_MODEL } from '../workerd/rowsModel.js';

const available = chromiumAvailable();
if (!available) console.warn(`[browser tests] skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

describe.skipIf(!available)('a row-store model in the page', () => {
  let dev: WranglerDev;
  let browser: Chromium;
  let dir: string;
  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, 'models/browser/interest-edge.js'))) execFileSync(join(REPO_ROOT, 'node_modules/.bin/tsx'), [join(REPO_ROOT, 'scripts/build-browser.ts')], { stdio: 'inherit' });
    dir = mkdtempSync(join(tmpdir(), 'rows-page-'));
    mkdirSync(join(dir, 'models'));
    cpSync(join(REPO_ROOT, 'models/browser'), join(dir, 'models/browser'), { recursive: true });
    await buildRowsModel({ items: 50_000, dir: join(dir, 'models', ROWS_MODEL) });
    const config = writeDeploymentConfig(dir, 'bench/workerd/catalogueWorker.ts');
    const routes = { defaultRoute: 'shop', routes: { shop: { browser: true, variants: [{ name: 'rows', model: ROWS_MODEL, weight: 1 }] } } };
    dev = await startWranglerDev(config, { CATALOGUE_ROUTES: JSON.stringify(routes), EXPOSURE_LOG: 'console' });
    browser = await launchChromium({ webgpu: false });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await dev?.stop();
  });

  it('fetches only the shards of the items it scores, and scores what the worker scores', async () => {
    const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(dir, 'models', ROWS_MODEL, 'manifest.json'), 'utf8')));
    const store = manifest.itemRows!;
    const rowsDir = join(dir, 'models', ROWS_MODEL, 'rows');
    const storeBytes = readdirSync(rowsDir).reduce((n, f) => n + statSync(join(rowsDir, f)).size, 0);
    const request = { history: ['sku-40001', 'sku-17', 'sku-30303', { item: 'not-in-the-shop', category: 'Hats' }], candidates: ['sku-2', 'sku-49999', 'sku-12345', 'sku-777', 'unknown-9'] };
    const page = await browser.context.newPage();
    const fetched: string[] = [];
    page.on('request', (r) => {
      const m = /\/rows\/([^/?]+)$/.exec(new URL(r.url()).pathname);
      if (m) fetched.push(m[1]);
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${dev.origin}/healthz`);
      await page.addScriptTag({ type: 'module', content: `import * as lib from '/browser/interest-edge.js'; window.__interestEdge = lib;` });
      await page.waitForFunction(() => (window as unknown as { __interestEdge?: unknown }).__interestEdge !== undefined);
      const inPage = (await page.evaluate(
        async ({ model, request }) => {
          const lib = (window as unknown as { __interestEdge: any }).__interestEdge; // eslint-disable-line @typescript-eslint/no-explicit-any
          const scorer = await lib.Scorer.load({ baseUrl: location.origin, model, executionProvider: 'wasm' });
          const afterLoad = scorer.rowTraffic;
          const scored = await scorer.score(request);
          return { afterLoad, afterScore: scorer.rowTraffic, scores: scored.scores, unknown: scored.unknown };
        },
        { model: ROWS_MODEL, request },
      )) as { afterLoad: { shards: number; bytes: number }; afterScore: { shards: number; bytes: number }; scores: Array<{ item: string; score: number }>; unknown: { history: number; candidates: number } };
      expect(errors).toEqual([]);

      // Which files: the hot shard, the golden requests' unknown id's shard, then exactly the request's non-hot ids' shards.
      const goldenUnknown = manifest.golden!.requests.flatMap((g) => [...g.history, ...g.candidates]).filter((id) => !/^sku-\d+$/.test(id));
      const hot = new Set(Array.from({ length: store.hot.items }, (_, i) => `sku-${i + 1}`)); // the vocabulary's head (rowsModel.ts: hotItems 64)
      const ids = [...request.history, ...request.candidates].map((r) => (typeof r === 'string' ? r : r.item));
      const expected = new Set(['hot.bin', ...[...goldenUnknown, ...ids.filter((id) => !hot.has(id))].map((id) => shardFileName(shardOf(id, store.shards)))]);
      expect(new Set(fetched)).toEqual(expected);
      expect(fetched.length).toBeLessThan(store.shards / 2);
      expect(inPage.afterScore.bytes).toBeLessThan(storeBytes / 4);
      expect(inPage.afterScore.shards).toBeGreaterThan(inPage.afterLoad.shards);
      expect(inPage.unknown).toEqual({ history: 1, candidates: 1 });

      const res = await fetch(`${dev.origin}/v1/score/shop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
      const worker = new Map(((await res.json()) as { scores: Array<{ item: string; score: number }> }).scores.map((s) => [s.item, s.score]));
      for (const s of inPage.scores) expect(Math.abs(s.score - worker.get(s.item)!)).toBeLessThanOrEqual(1e-5);
      console.log(`[browser tests] row store: page read ${inPage.afterScore.shards} of ${store.shards + 1} shard files, ${inPage.afterScore.bytes} of ${storeBytes} bytes`);
    } finally {
      await page.close();
    }
  }, 180_000);
});
