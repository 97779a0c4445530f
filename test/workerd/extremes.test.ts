/**
 * Issue 24, item 1: no value a client sends can take a model down. Dense values outside the
 * training range are clamped (contract/features.ts `denseInput`), in every group: user (`profile`),
 * context, candidate attributes and history attributes; a manifest without a training range clamps
 * the z-score to ±DENSE_Z_LIMIT. After every extreme request the next valid request gets 200 with
 * bit-identical scores, `/healthz` says ok and the model is still `ready`.
 */
import { exports } from 'cloudflare:workers';
import { describe, expect, inject, it } from 'vitest';
import { DENSE_Z_LIMIT } from '../../contract/features.js';
import { createApp } from '../../worker/app.js';
import type { ScoreResponse } from '../../core/schema/score.schema.js';
import { BASE, bindingsWithModel, errorOf } from './helpers.js';

const fixture = inject('extremesModel');
const bindings = bindingsWithModel(fixture);
const app = createApp({ routes: { defaultRoute: 'x', routes: { x: { variants: [{ name: 'only', model: fixture.name, weight: 1 }] } } } });
const items = fixture.items;

type Body = { history: unknown[]; candidates: unknown[]; profile: Record<string, unknown>; context: Record<string, unknown> };
/** A valid request touching every feature: known and unknown items, price hints in history and candidates. */
function reference(): Body {
  return {
    history: [items[3], { item: 'new-1', category: 'Drama', attributes: { price: 12, tags: ['sale'] } }, items[9], items[14]],
    candidates: [items[0], items[5], { item: 'new-2', category: 'Comedy', attributes: { price: 40 } }, items[22]],
    profile: { age: 41 },
    context: { load: 0.6, device: 'mobile', hour: '10', weekday: 'Mon' },
  };
}

async function score(body: unknown): Promise<Response> {
  return app.fetch(new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }), bindings);
}
async function scoresOf(body: unknown): Promise<Map<string, number>> {
  const res = await score(body);
  if (res.status !== 200) throw new Error(`expected 200, got ${res.status}: ${await res.text()}`);
  return new Map(((await res.json()) as ScoreResponse).scores.map((s) => [s.item, s.score]));
}

const EXTREMES = [1e300, -1e300, 1e39, -1e39, -0, 5e-324, 2 ** -1070, 2 ** 53, -(2 ** 53), Number.MAX_VALUE, -Number.MAX_VALUE];
const PLACES: Array<[string, (b: Body, v: number) => void]> = [
  ['profile.age (user)', (b, v) => void (b.profile.age = v)],
  ['context.load (context, no training range: z bound)', (b, v) => void (b.context.load = v)],
  ['candidates.2.attributes.price (candidate)', (b, v) => void ((b.candidates[2] as { attributes: Record<string, unknown> }).attributes.price = v)],
  ['history.1.attributes.price (history attributes)', (b, v) => void ((b.history[1] as { attributes: Record<string, unknown> }).attributes.price = v)],
];

describe('extreme dense values are the request’s, never the model’s', () => {
  it.each(PLACES)('%s: every extreme scores like the bound it clamps to; the next valid request is bit-identical; the model stays ready', async (_place, set) => {
    const before = await scoresOf(reference());
    for (const v of EXTREMES) {
      const body = reference();
      set(body, v);
      const res = await score(body);
      expect(res.status, `value ${v}`).toBe(200);
      const got = (await res.json()) as ScoreResponse;
      expect(got.scores.every((s) => s.score >= 0 && s.score <= 1)).toBe(true);
      expect(await scoresOf(reference())).toEqual(before);
    }
    const health = (await (await app.fetch(new Request(`${BASE}/healthz`), bindings)).json()) as { status: string; models: Array<{ name: string; status: string }> };
    expect(health.status).toBe('ok');
    expect(health.models.find((m) => m.name === fixture.name)?.status).toBe('ready');
  });

  it('clamps to the training range the manifest carries (candidate price: min 1, max 99; user age: 18 … 90)', async () => {
    const at = (price: number, age: number) => {
      const b = reference();
      (b.candidates[2] as { attributes: Record<string, unknown> }).attributes.price = price;
      b.profile.age = age;
      return scoresOf(b);
    };
    expect(await at(1e300, 1e300)).toEqual(await at(99, 90));
    expect(await at(-1e39, -5)).toEqual(await at(1, 18));
    expect(await at(50, 40)).not.toEqual(await at(99, 90)); // inside the range nothing is clamped
  });

  it(`clamps the z-score to ±${DENSE_Z_LIMIT} when the manifest has no training range (context load: mean 0.5, std 0.2)`, async () => {
    const at = (load: number) => scoresOf({ ...reference(), context: { ...reference().context, load } });
    expect(await at(1e300)).toEqual(await at(0.5 + DENSE_Z_LIMIT * 0.2));
    expect(await at(-1e300)).toEqual(await at(0.5 - DENSE_Z_LIMIT * 0.2));
  });

  it('a value of the wrong type is still a 400 naming the field', async () => {
    const body = reference();
    body.profile.age = 'old';
    const e = await errorOf(await score(body));
    expect(e).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(e.issues).toContainEqual({ path: 'profile.age', message: expect.stringMatching(/dense feature "age": expected a finite number/) });
  });
});

describe('the red team’s request against the shipped browse model', () => {
  it('{"year": 1e300} on /v1/score/browse is a 200, and the next valid request on the route is too', async () => {
    const post = (body: unknown) => exports.default.fetch(new Request(`${BASE}/v1/score/browse`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
    for (const year of [1e300, -1e300, 1e39]) {
      expect((await post({ candidates: [{ item: 'x', attributes: { year } }] })).status).toBe(200);
      expect((await post({ candidates: ['1', '2'], history: ['3'] })).status).toBe(200);
    }
    const health = (await (await exports.default.fetch(new Request(`${BASE}/healthz`))).json()) as { status: string; models: Array<{ name: string; status: string }> };
    expect(health.status).toBe('ok');
    expect(health.models.find((m) => m.name === 'din-movielens-features')?.status).toBe('ready');
  });
});
