/**
 * Feature columns through the worker inside workerd, on a shipped model that has them (a
 * candidate `multi`/`dense` attribute and derived hour/weekday context): derived time context in
 * the client's zone, wrong types → 400 naming the field, unused entries counted, attribute hints
 * for unknown items. Scores are compared with the worker's own answers for explicit values, so
 * these tests do not depend on the clock beyond the hour the request falls in.
 */
import { describe, expect, inject, it } from 'vitest';
import { createApp } from '../../worker/app.js';
import type { ScoreResponse } from '../../core/schema/score.schema.js';
import { timeContext } from '../../contract/timeContext.js';
import { BASE, env, errorOf } from './helpers.js';

const fixtures = inject('modelFixtures');
const withFeatures = Object.entries(fixtures).find(([, f]) => f.servedModel.features.some((x) => x.derived === 'hour') && f.servedModel.features.some((x) => x.group === 'candidate'));

describe.runIf(withFeatures !== undefined)('feature columns (model %s)', () => {
  const [name, fixture] = withFeatures!;
  const app = createApp({ routes: { defaultRoute: 'only', routes: { only: { variants: [{ name: 'only', model: name, weight: 1 }] } } } });
  const post = (body: unknown) => app.fetch(new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }), env);
  const ok = async (body: unknown): Promise<ScoreResponse> => {
    const res = await post(body);
    if (res.status !== 200) throw new Error(`expected 200, got ${res.status}: ${await res.text()}`);
    return res.json();
  };
  const items = fixture.servedModel.vocabularySample;
  const base = { history: items.slice(0, 20), candidates: items.slice(100, 140) };
  const scoresOf = (r: ScoreResponse) => Object.fromEntries(r.scores.map((s) => [s.item, s.score]));
  const candidate = fixture.servedModel.features.find((f) => f.group === 'candidate')!;

  it('derives hour and weekday from the request time in context.tz', async () => {
    for (const tz of ['UTC', 'Asia/Kolkata', 'America/Los_Angeles']) {
      const before = timeContext(Date.now() / 1000, tz);
      const derived = scoresOf(await ok({ ...base, context: { tz } }));
      const after = timeContext(Date.now() / 1000, tz);
      // The same as sending that hour and weekday explicitly (either side of a boundary crossed meanwhile).
      const explicit = await Promise.all([before, after].map(async (t) => scoresOf(await ok({ ...base, context: { hour: t.hour, weekday: t.weekday } }))));
      const same = explicit.some((e) => Object.keys(e).every((k) => Math.abs(e[k] - derived[k]) <= 1e-6));
      expect(same, `derived context in ${tz} equals explicit ${before.weekday} ${before.hour}h`).toBe(true);
    }
  });

  it('different hours give different scores (the context reaches the graph)', async () => {
    const a = scoresOf(await ok({ ...base, context: { hour: '3', weekday: 'Sun' } }));
    const b = scoresOf(await ok({ ...base, context: { hour: '20', weekday: 'Wed' } }));
    expect(Math.max(...Object.keys(a).map((k) => Math.abs(a[k] - b[k])))).toBeGreaterThan(1e-5);
  });

  it('a wrong type is a 400 naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ ...base, context: { hour: ['3', '4'] } }, 'context.hour'],
      [{ ...base, context: { tz: 'Mars/Olympus_Mons' } }, 'context.tz'],
      [{ ...base, candidates: [{ item: 'new-item', attributes: { [candidate.name]: candidate.kind === 'dense' ? 'old' : [{}] } }] }, `candidates.0.attributes.${candidate.name}`],
      [{ ...base, profile: { age: { years: 3 } } }, 'profile.age'],
    ];
    for (const [body, path] of cases) {
      const error = await errorOf(await post(body));
      expect(error.status).toBe(400);
      // The schema may name the exact element (`…genres.0`): the issue is at the field or below it.
      expect(error.issues.some((i) => i.path === path || i.path.startsWith(`${path}.`)), JSON.stringify(error.issues)).toBe(true);
    }
  });

  it('entries the model does not use are ignored and counted', async () => {
    const plain = await ok(base);
    const extra = await ok({ ...base, profile: { gender: 'F', age: 31 }, context: { device: 'mobile', tz: 'UTC' } });
    expect(extra.unknown).toMatchObject({ history: plain.unknown.history, candidates: plain.unknown.candidates, profile: 2, context: 1 });
    expect(plain.unknown.profile).toBeUndefined();
  });

  it("an unknown item's attribute hints change its score; a known item's are ignored", async () => {
    const values = candidate.kind === 'dense' ? [1950, 2015] : [[candidate.values![0]], [candidate.values![candidate.values!.length - 1]]];
    const context = { hour: '12', weekday: 'Mon' };
    // One candidate per request: an int8 model quantises the candidates together, so a candidate's
    // score may move by ~1e-4 with the others in the same request (docs/models.md, int8 exports).
    const score = async (item: string, v: unknown) => (await ok({ history: base.history, candidates: [{ item, attributes: { [candidate.name]: v } }], context })).scores[0].score;
    const [newA, newB, knownA, knownB] = await Promise.all([score('brand-new', values[0]), score('brand-new', values[1]), score(items[100], values[0]), score(items[100], values[1])]);
    expect(Math.abs(newA - newB)).toBeGreaterThan(1e-6);
    expect(knownA).toBe(knownB);
  });
});
