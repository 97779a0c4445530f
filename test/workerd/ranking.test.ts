/**
 * Ranking objectives inside workerd, on the shipped multi-task model: every task's score per item,
 * rankBy a task or by eCPM / eCPA with bids, bid validation, objectives per A/B variant recorded in
 * exposures, and single-task models refusing task objectives.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, inject, it, vi } from 'vitest';
import { createApp } from '../../worker/app.js';
import type { RouteConfigInput } from '../../core/experiments/routeConfig.js';
import type { ScoreResponse } from '../../core/schema/score.schema.js';
import { BASE, env, errorOf } from './helpers.js';

const fixtures = inject('modelFixtures');
const multiTask = Object.entries(fixtures).find(([, f]) => f.servedModel.tasks.length > 0);
const singleTask = Object.entries(fixtures).find(([, f]) => f.servedModel.tasks.length === 0)!;

describe.runIf(multiTask !== undefined)('ranking objectives', () => {
  const [name, fixture] = multiTask!;
  const routes = (extra: Partial<RouteConfigInput['routes'][string]> = {}): RouteConfigInput => ({
    defaultRoute: 'r',
    routes: {
      r: { variants: [{ name: 'only', model: name, weight: 1 }], ...extra },
      single: { variants: [{ name: 'only', model: singleTask[0], weight: 1 }] },
      ab: {
        salt: 'objectives',
        variants: [
          { name: 'by-ctr', model: name, weight: 1, rankBy: 'ctr' },
          { name: 'by-ecpm', model: name, weight: 1, rankBy: 'ecpm' },
        ],
      },
    },
  });
  const app = createApp({ routes: routes() });
  const post = (body: unknown, route = 'r', a = app) => a.fetch(new Request(`${BASE}/v1/score/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }), env);
  const ok = async (body: unknown, route = 'r'): Promise<ScoreResponse> => {
    const res = await post(body, route);
    if (res.status !== 200) throw new Error(`expected 200, got ${res.status}: ${await res.text()}`);
    return res.json();
  };
  const items = fixture.servedModel.vocabularySample.slice(0, 30);
  const bids = items.map((_, i) => ((i * 37) % 11) / 4); // 0 … 2.5, some 0
  const candidates = items.map((item, i) => ({ item, bid: bids[i] }));
  const history = fixture.servedModel.vocabularySample.slice(100, 120);

  it('gives every task per item, ranks by ctr by default; score = ctr; ctcvr = ctr·cvr', async () => {
    const r = await ok({ history, candidates: items });
    expect(r.rankBy).toBe('ctr');
    for (const s of r.scores) {
      expect(s.tasks).toBeDefined();
      expect(s.score).toBe(s.tasks!.ctr);
      expect(Math.abs(s.tasks!.ctcvr - s.tasks!.ctr * s.tasks!.cvr)).toBeLessThan(1e-6);
      expect(s.value).toBeUndefined();
    }
    const ctr = r.scores.map((s) => s.score);
    expect(ctr).toEqual([...ctr].sort((a, b) => b - a));
  });

  it('rankBy a task sorts by that task', async () => {
    for (const task of ['cvr', 'ctcvr'] as const) {
      const r = await ok({ history, candidates: items, rankBy: task });
      expect(r.rankBy).toBe(task);
      const v = r.scores.map((s) => s.value!);
      expect(v).toEqual(r.scores.map((s) => s.tasks![task]));
      expect(v).toEqual([...v].sort((a, b) => b - a));
    }
  });

  it('ecpm = bid × pCTR × 1000 and ecpa = bid × pCTCVR × 1000, sorted by value', async () => {
    for (const [rankBy, task] of [['ecpm', 'ctr'], ['ecpa', 'ctcvr']] as const) {
      const r = await ok({ history, candidates, rankBy, topK: 10 });
      expect(r.scores).toHaveLength(10);
      for (const s of r.scores) expect(s.value).toBeCloseTo(bids[items.indexOf(s.item)] * s.tasks![task] * 1000, 3);
      const v = r.scores.map((s) => s.value!);
      expect(v).toEqual([...v].sort((a, b) => b - a));
    }
  });

  it('a bid objective needs a finite bid ≥ 0 on every candidate: a 400 naming each one', async () => {
    const missing = await errorOf(await post({ history, candidates: [candidates[0], items[1], { item: items[2] }], rankBy: 'ecpm' }));
    expect(missing.status).toBe(400);
    expect(missing.issues.map((i) => i.path)).toEqual(['candidates.1.bid', 'candidates.2.bid']);
    const negative = await errorOf(await post({ history, candidates: [{ item: items[0], bid: -1 }], rankBy: 'ecpm' }));
    expect(negative.issues.map((i) => i.path)).toEqual(['candidates.0.bid']);
    const text = await errorOf(await post({ history, candidates: [{ item: items[0], bid: '1.5' }], rankBy: 'ecpm' }));
    expect(text.issues.map((i) => i.path)).toEqual(['candidates.0.bid']);
  });

  it('issue 24, item 6: a bid above MAX_BID (default 1e6) is a 400 naming candidates.i.bid, under any objective; every ranked value is finite', async () => {
    for (const rankBy of ['ecpm', 'ecpa', 'ctr'] as const) {
      const huge = await errorOf(await post({ history, candidates: [{ item: items[0], bid: 2 }, { item: items[1], bid: 1.7e308 }], rankBy }));
      expect(huge).toMatchObject({ status: 400, code: 'invalid_request' });
      expect(huge.issues).toEqual([{ path: 'candidates.1.bid', message: expect.stringMatching(/from 0 to 1000000 \(the worker's MAX_BID\)/) }]);
    }
    const top = await ok({ history, candidates: [{ item: items[0], bid: 1e6 }, { item: items[1], bid: 0 }], rankBy: 'ecpa' });
    expect(top.scores.every((s) => Number.isFinite(s.value))).toBe(true);
    // MAX_BID is configurable
    const res = await app.fetch(new Request(`${BASE}/v1/score/r`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ history, candidates: [{ item: items[0], bid: 5e6 }], rankBy: 'ecpm' }) }), { ...env, MAX_BID: '1e7' });
    expect(res.status).toBe(200);
  });

  it('a single-task model ranks by ctr and ecpm, and refuses task objectives with a 400 on rankBy', async () => {
    const r = await ok({ history, candidates: [{ item: items[0], bid: 2 }], rankBy: 'ecpm' }, 'single');
    expect(r.scores[0].value).toBeCloseTo(2 * r.scores[0].score * 1000, 3);
    expect(r.scores[0].tasks).toBeUndefined();
    const error = await errorOf(await post({ history, candidates: items, rankBy: 'ctcvr' }, 'single'));
    expect(error.status).toBe(400);
    expect(error.issues[0].path).toBe('rankBy');
  });

  it('variants can differ by objective alone; exposures record the objective', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const seen = new Map<string, string>();
      for (let u = 0; u < 40 && seen.size < 2; u++) {
        const ctx = createExecutionContext();
        const res = await app.fetch(
          new Request(`${BASE}/v1/score/ab`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ history, candidates, user: `u${u}` }) }),
          { ...env, EXPOSURE_LOG: 'console' },
          ctx,
        );
        await waitOnExecutionContext(ctx);
        const body = (await res.json()) as ScoreResponse;
        seen.set(body.variant, body.rankBy);
      }
      expect(Object.fromEntries(seen)).toEqual({ 'by-ctr': 'ctr', 'by-ecpm': 'ecpm' });
      const records = log.mock.calls.map((a) => String(a[0])).filter((l) => l.startsWith('[exposure] ')).map((l) => JSON.parse(l.slice(11)));
      for (const r of records) expect(r.objective).toBe(r.variant === 'by-ecpm' ? 'ecpm' : 'ctr');
    } finally {
      log.mockRestore();
    }
  });

  it('explanations still work on the multi-task model (attention of the DIN part)', async () => {
    const r = await ok({ history, candidates: items.slice(0, 5), explain: true, rankBy: 'ctcvr' });
    for (const s of r.scores) expect(s.because?.length).toBeGreaterThan(0);
  });
});
