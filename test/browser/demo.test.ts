/// <reference lib="dom" />
/**
 * The demo page's bugs of issue 27, in Debian's Chromium against wrangler dev: no serious or
 * critical axe violations (contrast included, light and dark), no horizontal overflow at 390 px
 * after picks, keyboard focus never falls to <body> after Enter on a result or on "Remove", and a
 * hand-picked model the worker does not serve is never reported as "agreeing" with it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, type Chromium } from '../../bench/lib/browserHarness.js';
import { startWranglerDev, type WranglerDev } from '../../bench/lib/wranglerDev.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

describe.runIf(chromiumAvailable())('the demo page', () => {
  let dev: WranglerDev;
  let browser: Chromium;
  beforeAll(async () => {
    dev = await startWranglerDev('wrangler.toml', { EXPOSURE_LOG: 'console' });
    browser = await launchChromium({ webgpu: false });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await dev?.stop();
  });

  async function demo(options: { width?: number; dark?: boolean } = {}) {
    const page = await browser.context.newPage();
    if (options.width) await page.setViewportSize({ width: options.width, height: 900 });
    if (options.dark) await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${dev.origin}/demo`);
    await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.error !== undefined, null, { timeout: 120_000 });
    return page;
  }
  async function pick(page: import('playwright-core').Page, query: string, renders: number) {
    await page.fill('#search', query);
    await page.focus('#results button >> nth=0');
    await page.keyboard.press('Enter');
    await page.waitForFunction((n) => Number(document.body.dataset.renders) >= n, renders);
  }

  for (const dark of [false, true]) {
    it(`has no serious or critical axe violations (${dark ? 'dark' : 'light'} scheme), heat map drawn`, async () => {
      const page = await demo({ dark });
      try {
        for (const [i, q] of ['matrix', 'toy story', 'godfather'].entries()) await pick(page, q, i + 2);
        await page.evaluate(AXE); // through the DevTools protocol: the page's CSP (no inline scripts) stays as it is
        const violations = (await page.evaluate(async () => {
          const result = await (window as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }).axe.run();
          return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}, ${v.nodes.length} nodes)`);
        })) as string[];
        expect(violations).toEqual([]);
      } finally {
        await page.close();
      }
    }, 180_000);
  }

  it('at 390 px wide the page does not overflow after picks; keyboard focus stays on the list', async () => {
    const page = await demo({ width: 390 });
    try {
      for (const [i, q] of ['matrix', 'toy story', 'godfather'].entries()) {
        await pick(page, q, i + 2);
        expect(await page.evaluate(() => document.activeElement?.tagName)).not.toBe('BODY');
      }
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.focus('#picks button >> nth=1');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.querySelectorAll('#picks li').length === 2);
      expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.tagName)).toMatch(/^Remove /);
    } finally {
      await page.close();
    }
  }, 180_000);

  it('a hand-picked model the worker does not serve to this unit is not reported as agreeing', async () => {
    const page = await demo();
    try {
      const variant = (await page.textContent('#variant')) ?? '';
      const other = variant.startsWith('dien') ? 'din-movielens' : 'dien-movielens';
      await page.selectOption('#model-select', other);
      await page.waitForFunction((m) => (document.getElementById('model')?.textContent ?? '').includes(m), other);
      await pick(page, 'matrix', 2);
      await page.check('input[value=worker]');
      await page.waitForFunction(() => (document.getElementById('agreement')?.textContent ?? '').length > 0 && !/choose "On the worker"/.test(document.getElementById('agreement')!.textContent!));
      await page.waitForTimeout(500); // any later render would have overwritten it
      expect(await page.textContent('#agreement')).toMatch(/The worker serves .* pick "Your A\/B variant"/);
    } finally {
      await page.close();
    }
  }, 180_000);
});
