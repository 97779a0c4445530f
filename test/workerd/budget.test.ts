/**
 * The per-request CPU budget and cascades (issue 17, item 3), on the shipped models and their
 * measured cost models (`cost` in the manifests, `npm run model-cost`). Not a timing test: which
 * requests are refused follows from the estimate, and a cascade's answer must be the full model's
 * ranking of the first stage's top K.
 */
import { describe, expect, it } from 'vitest';
import type { CostModel } from '../../contract/manifest.js';
import { createApp } from '../../worker/app.js';
import type { ScoreResponse } from '../../core/schema/score.schema.js';
import { estimateUs, maxCandidatesWithin } from '../../core/scoring/requestCost.js';
import { BASE, env, errorOf } from './helpers.js';

const DIN = 'din-movielens';
const DOT = 'din-movielens-dot';

async function manifestOf(name: string) {
  return (await (await env.ASSETS.fetch(`https://assets.invalid/${name}/manifest.json`)).json()) as { cost?: CostModel; featureContract: { items: string[] } };
}

const app = createApp({
  routes: {
    defaultRoute: 'din',
    routes: {
      din: { budgetMs: 10_000, variants: [{ name: 'din', model: DIN, weight: 1 }] },
      dot: { budgetMs: 10_000, variants: [{ name: 'dot', model: DOT, weight: 1 }] },
      refuse: { budgetMs: 2, variants: [{ name: 'din', model: DIN, weight: 1 }] },
      cascade: { budgetMs: 4, overBudget: { cascade: { firstStage: DOT } }, variants: [{ name: 'din', model: DIN, weight: 1 }] },
      keep: { budgetMs: 1, overBudget: { cascade: { firstStage: DOT, keep: 20 } }, variants: [{ name: 'din', model: DIN, weight: 1 }] },
    },
  },
});

async function post(route: string, body: object): Promise<Response> {
  return app.fetch(new Request(`${BASE}/v1/score/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }), env);
}

async function ok(route: string, body: object): Promise<ScoreResponse & { cascade?: { firstStage: { name: string }; kept: number; candidates: number } }> {
  const res = await post(route, body);
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

describe('per-request CPU budget', () => {
  it('every shipped model that serves a route carries a measured cost model', async () => {
    for (const name of [DIN, DOT, 'dien-movielens', 'ple-movielens']) {
      const cost = (await manifestOf(name)).cost;
      expect(cost, name).toBeDefined();
      expect(cost!.perPairUs + cost!.perCandidateUs, name).toBeGreaterThan(0);
    }
  });

  it('refuses an over-budget request with a 422 that states the estimate, the limit and what would fit; the largest fitting request passes', async () => {
    const m = await manifestOf(DIN);
    const items = m.featureContract.items;
    const history = items.slice(0, 50);
    const fit = maxCandidatesWithin(m.cost!, 50, 2000);
    expect(fit).toBeGreaterThan(0);
    expect(fit).toBeLessThan(1000);
    const refused = await errorOf(await post('refuse', { history, candidates: items.slice(100, 1100) }));
    expect(refused).toMatchObject({ status: 422, code: 'over_budget' });
    expect(refused.message).toMatch(/≈ \d+\.\d ms of model CPU \(1000 candidates × 50 history on "din-movielens"\); route "refuse" allows 2 ms/);
    expect(refused.issues).toEqual([{ path: 'candidates', message: `at most ${fit} candidates with 50 history behaviours` }]);
    expect((await post('refuse', { history, candidates: items.slice(100, 100 + fit) })).status).toBe(200);
    expect((await post('refuse', { history, candidates: items.slice(100, 101 + fit) })).status).toBe(422);
    // history beyond H is truncated before scoring, so it costs nothing more
    expect((await post('refuse', { history: items.slice(0, 500), candidates: items.slice(100, 100 + fit) })).status).toBe(200);
  });

  it('a cascade answers with the full model\'s ranking of the first stage\'s top K (keep = 20)', async () => {
    const items = (await manifestOf(DIN)).featureContract.items;
    const history = items.slice(5, 45);
    const candidates = items.slice(200, 500); // 300
    const cascaded = await ok('keep', { history, candidates });
    expect(cascaded.cascade).toMatchObject({ firstStage: { name: DOT }, kept: 20, candidates: 300 });
    expect(cascaded.scores).toHaveLength(20);
    // stage one by hand: the dot model's scores of all 300, best 20 …
    const first = await ok('dot', { history, candidates });
    const top = new Set(first.scores.slice(0, 20).map((s) => s.item));
    // … ranked by DIN alone
    const full = await ok('din', { history, candidates: candidates.filter((c) => top.has(c)) });
    expect(cascaded.scores.map((s) => [s.item, s.score])).toEqual(full.scores.map((s) => [s.item, s.score]));
    expect(cascaded.model.name).toBe(DIN);
  });

  it('without keep, K is as many as fit the budget after the first stage; within the budget there is no cascade', async () => {
    const din = await manifestOf(DIN);
    const dot = await manifestOf(DOT);
    const items = din.featureContract.items;
    const history = items.slice(0, 50);
    const candidates = items.slice(100, 1100);
    const expectedK = maxCandidatesWithin(din.cost!, 50, 4000 - estimateUs(dot.cost!, 1000, 50));
    const cascaded = await ok('cascade', { history, candidates, topK: 10 });
    expect(cascaded.cascade).toMatchObject({ kept: expectedK, candidates: 1000 });
    expect(cascaded.scores).toHaveLength(10);
    const small = await ok('cascade', { history, candidates: candidates.slice(0, 20) });
    expect(small.cascade).toBeUndefined();
    expect(small.scores).toHaveLength(20);
  });
});
