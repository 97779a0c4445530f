/**
 * Issue 26, item 4 (short form): the A/B loop end to end inside workerd — simulated users score on
 * a route through the real worker, report clicks with their assignment tokens, the worker stores
 * both in D1, and the readout computed from the store recovers the planted lift within its 95 %
 * interval, covers zero when nothing is planted, and flags a planted 52/48 split on a 50/50 route.
 * Seeded: the same users, assignments and clicks every run. The 20-seed coverage is the benchmark
 * `npm run bench -- ab` (bench/results/<date>-ab.md).
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import { parseRouteConfig } from '../../core/experiments/routeConfig.js';
import { buildReadout } from '../../readout/readout.js';
import { summarise } from '../../readout/summary.js';
import { simulate } from '../../bench/ab/simulate.js';
import { createApp } from '../../worker/app.js';
import { BASE, env } from './helpers.js';

const variants = [
  { name: 'control', model: 'din-movielens', weight: 50 },
  { name: 'treatment', model: 'din-movielens', weight: 50 },
];
const config = { defaultRoute: 'ab-lift', routes: { 'ab-lift': { salt: 'ab-lift-1', variants }, 'ab-null': { salt: 'ab-null-1', variants }, 'ab-srm': { salt: 'ab-srm-1', variants } } };
const routes = parseRouteConfig(config);
const app = createApp({ routes: config });
const bindings = { ...env, EXPOSURE_LOG: 'd1', RATE_LIMIT_KEY: 'off' };
const items = inject('servedModel').vocabularySample;

async function post(path: string, body: unknown): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${BASE}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }), bindings, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}
const run = async (sql: string) => (await env.EVENTS_DB!.prepare(sql).all<Record<string, unknown>>()).results;

async function experiment(route: string, lift: number, users: number, plantedSplit?: number[]) {
  const sim = await simulate(post, routes.routes.get(route)!, { seed: route, users, baseCtr: 0.2, lift, ...(plantedSplit ? { plantedSplit } : {}), maxViews: 4, items, concurrency: 4 });
  expect(sim.failures).toEqual([]);
  return { sim, readout: buildReadout(route, variants, await summarise(run, route)) };
}

describe('the A/B loop, end to end in workerd', () => {
  it('recovers a planted +30 % click-through lift within its 95 % interval, with a clean SRM check', async () => {
    const { sim, readout } = await experiment('ab-lift', 0.3, 1500);
    expect(readout.srm.ok).toBe(true);
    expect(readout.variants.reduce((n, v) => n + v.units, 0)).toBe(sim.users);
    expect(readout.variants.reduce((n, v) => n + (v.outcomes.click ?? 0), 0)).toBe(sim.clicks);
    const lift = readout.variants[1].metrics.ctr.lift!;
    expect(lift.ci95[0]).toBeLessThan(0.3);
    expect(lift.ci95[1]).toBeGreaterThan(0.3);
    expect(lift.ci95[0]).toBeGreaterThan(0); // 1,500 users are enough to see +30 %
  }, 120_000);

  it('with nothing planted the interval covers zero', async () => {
    const { readout } = await experiment('ab-null', 0, 1500);
    const lift = readout.variants[1].metrics.ctr.lift!;
    expect(lift.ci95[0]).toBeLessThan(0);
    expect(lift.ci95[1]).toBeGreaterThan(0);
  }, 120_000);

  it('a planted 52/48 split on a 50/50 route is flagged: the readout says not to trust it', async () => {
    // Units arrive 52/48. χ² = N·0.0016 passes 10.83 (p = 0.001) above ≈ 6,800 units.
    const { readout } = await experiment('ab-srm', 0.3, 9000, [52, 48]);
    const [c, t] = readout.variants.map((v) => v.units);
    expect(c / (c + t)).toBeCloseTo(0.52, 2);
    expect(readout.srm.ok).toBe(false);
    expect(readout.srm.pValue).toBeLessThan(0.001);
    expect(readout.warnings.join(' ')).toMatch(/SAMPLE RATIO MISMATCH.*do not trust/);
  }, 120_000);
});
