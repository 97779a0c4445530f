/// <reference lib="dom" />
/**
 * examples/ in Debian's Chromium (issue 27): the plain page and the React app, served from their
 * own origin (a static server here) against the worker under wrangler dev with that origin in
 * CORS_ORIGINS. Each scores off the main thread and shows the ranking; from an origin the worker
 * does not allow, the plain page says why instead of sitting on "loading…".
 */
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExample } from '../../examples/react-shop/build.js';
import { chromiumAvailable, launchChromium, type Chromium } from '../../bench/lib/browserHarness.js';
import { REPO_ROOT } from '../../bench/lib/servingModels.js';
import { startWranglerDev, type WranglerDev } from '../../bench/lib/wranglerDev.js';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json' };

describe.runIf(chromiumAvailable())('examples/', () => {
  let server: Server;
  let port: number;
  let dev: WranglerDev;
  let browser: Chromium;
  beforeAll(async () => {
    await buildExample();
    const root = join(REPO_ROOT, 'examples');
    server = createServer((req, res) => {
      const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
      try {
        if (!path.startsWith(root) || !statSync(path).isFile()) throw new Error('not found');
        res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    dev = await startWranglerDev('wrangler.toml', { EXPOSURE_LOG: 'console', CORS_ORIGINS: `http://127.0.0.1:${port}` });
    browser = await launchChromium({ webgpu: false });
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await dev?.stop();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('the plain page scores from its own origin, off the main thread', async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(`http://127.0.0.1:${port}/plain-html/index.html?edge=${encodeURIComponent(dev.origin)}`);
      await page.waitForFunction(() => document.body.dataset.done !== undefined, null, { timeout: 120_000 });
      expect(await page.textContent('#status')).toMatch(/Scored in this page on wasm/);
      expect(await page.locator('#ranking li').count()).toBe(5);
    } finally {
      await page.close();
    }
  }, 180_000);

  it('from an origin the worker does not allow, the page says so', async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(`http://localhost:${port}/plain-html/index.html?edge=${encodeURIComponent(dev.origin)}`);
      await page.waitForFunction(() => document.body.dataset.done !== undefined, null, { timeout: 60_000 });
      expect(await page.evaluate(() => document.body.dataset.done)).toBe('error');
      expect(await page.textContent('#status')).toMatch(/CORS_ORIGINS/);
    } finally {
      await page.close();
    }
  }, 120_000);

  it('the React app (esbuild) ranks the shelf and re-ranks on a click', async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`http://127.0.0.1:${port}/react-shop/dist/index.html?edge=${encodeURIComponent(dev.origin)}`);
      await page.waitForFunction(() => document.querySelectorAll('ol[data-provider] li').length === 8, null, { timeout: 120_000 });
      await page.click('ol li button >> nth=0');
      await page.waitForFunction(() => document.querySelectorAll('ol[data-provider] li').length === 7, null, { timeout: 60_000 });
      expect(await page.getAttribute('ol', 'data-provider')).toBe('wasm');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 180_000);
});
