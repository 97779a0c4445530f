/**
 * The public API surface: explanations (attention weights), the OpenAPI document validating real
 * responses, and the typed client against the worker's real fetch entry.
 */
import { Validator, type Schema } from '@cfworker/json-schema';
import { exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createInterestEdgeClient, InterestEdgeError } from '../../client/index.js';
import { createApp } from '../../worker/app.js';
import type { ScoreResponse } from '../../core/schema/score.schema.js';
import { BASE, call, env } from './helpers.js';

const fixtures = inject('modelFixtures');
const served = inject('servedModel');
const TOLERANCE = 1e-5;

describe.each(Object.keys(fixtures))('explanations from %s', (name) => {
  const app = createApp({ routes: { defaultRoute: 'only', routes: { only: { variants: [{ name: 'only', model: name, weight: 1 }] } } } });
  const post = (payload: unknown) =>
    app.fetch(new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) }), env);

  // Expected: the top 3 of onnxruntime-node's `attention` output (globalSetup.ts), which equals the
  // tfjs model's attentionWeights to 1e-6 (test/parity/exportParity.test.ts).
  it.each(fixtures[name].parityCases)('$name: the top-3 behaviours match the attention output', async (c) => {
    const res = await post({ ...c.body, explain: true, user: 'explain' });
    expect(res.status).toBe(200);
    const json = (await res.json()) as ScoreResponse;
    if (!c.attention) {
      expect(json.explainUnavailable).toMatch(/no attention output/);
      expect(json.scores.every((s) => s.because === undefined)).toBe(true);
      return;
    }
    const { values, T, kept, start } = c.attention;
    const byItem = new Map(c.candidateIds.map((id, i) => [id, i]));
    for (const s of json.scores) {
      const row = values.slice(byItem.get(s.item)! * T, byItem.get(s.item)! * T + kept);
      const expected = row
        .map((weight, t) => ({ t, weight }))
        .sort((a, b) => b.weight - a.weight || b.t - a.t)
        .slice(0, 3);
      expect(s.because).toHaveLength(Math.min(3, kept));
      s.because!.forEach((b, k) => {
        expect(Math.abs(b.weight - expected[k].weight)).toBeLessThanOrEqual(TOLERANCE);
        expect(b.position).toBeGreaterThanOrEqual(start);
        const history = c.body.history[b.position];
        expect(b.item).toBe(String(typeof history === 'object' && history !== null ? (history as { item: unknown }).item : history));
        // weights can tie to float precision; the position must then carry the same weight
        expect(Math.abs(row[b.position - start] - b.weight)).toBeLessThanOrEqual(TOLERANCE);
      });
    }
  });

  it('explain changes no score', async () => {
    const c = fixtures[name].parityCases[1];
    const plain = (await (await post({ ...c.body, user: 'x' })).json()) as ScoreResponse;
    const explained = (await (await post({ ...c.body, user: 'x', explain: true })).json()) as ScoreResponse;
    // Everything but `because` is unchanged (scores, and task scores of multi-task models).
    expect(explained.scores.map(({ because: _because, ...rest }) => rest)).toEqual(plain.scores);
  });
});

describe('GET /openapi.json', () => {
  let document: { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, Schema> } };
  const validator = (name: string) => new Validator(document.components.schemas[name], '2020-12', false);
  const expectValid = (name: string, value: unknown) => {
    const result = validator(name).validate(value);
    expect(result.errors.map((e) => `${e.instanceLocation}: ${e.error}`), `${name}`).toEqual([]);
  };

  beforeAll(async () => {
    const res = await call('/openapi.json');
    expect(res.status).toBe(200);
    document = await res.json();
  });

  it('is OpenAPI 3.1 and lists every route', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths).sort()).toEqual(['/healthz', '/openapi.json', '/v1/assignments/{route}', '/v1/exposures/{route}', '/v1/models', '/v1/outcomes/{route}', '/v1/routes', '/v1/score', '/v1/score/{route}']);
  });

  it('validates real responses of every endpoint', async () => {
    const score = await call('/v1/score/home', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ history: served.vocabularySample.slice(0, 5), candidates: served.vocabularySample.slice(5, 25), explain: true }) });
    expectValid('ScoreResponse', await score.json());
    expectValid('ModelsResponse', await (await call('/v1/models')).json());
    expectValid('RoutesResponse', await (await call('/v1/routes')).json());
    expectValid('HealthResponse', await (await call('/healthz')).json());
    const bad = await call('/v1/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ candidates: [] }) });
    expectValid('Error', await bad.json());
  });

  it('its request schema accepts what the worker accepts and rejects what it rejects', () => {
    const ok = { history: ['1', 2, { item: 'x', category: 'Drama' }], candidates: ['3'], topK: 1, user: 'u', explain: true };
    expect(validator('ScoreRequest').validate(ok).valid).toBe(true);
    expect(validator('ScoreRequest').validate({ candidates: [] }).valid).toBe(false);
    expect(validator('ScoreRequest').validate({ candidates: ['1'], surprise: 1 }).valid).toBe(false);
    expect(validator('ScoreRequest').validate({ candidates: [{ item: 1.5 }] }).valid).toBe(false);
  });

  it('a response that breaks the contract fails validation (the check can fail)', () => {
    expect(validator('ScoreResponse').validate({ route: 'r', variant: 'v', model: { name: 'm', version: '1' }, scores: [{ item: 'a', score: 1.5 }], unknown: { history: 0, candidates: 0 } }).valid).toBe(false);
  });
});

describe('typed client', () => {
  const client = createInterestEdgeClient({ baseUrl: BASE, fetch: (request) => exports.default.fetch(request) });

  it('scores on a route and reads models and routes', async () => {
    const result = await client.score({ history: served.vocabularySample.slice(0, 10), candidates: served.vocabularySample.slice(10, 20), topK: 3, user: 'client' }, { route: 'home' });
    expect(result.route).toBe('home');
    expect(result.scores).toHaveLength(3);
    expect(result.modelVersion).toBe(result.model.version);
    expect((await client.models()).models.map((m) => m.name)).toContain(served.name);
    expect((await client.routes()).routes.map((r) => r.name)).toContain('home');
  });

  it('reports an outcome of a scored response in one line; a bad event is an InterestEdgeError naming it', async () => {
    const scored = await client.score({ candidates: served.vocabularySample.slice(0, 5), user: 'client-outcome' }, { route: 'home' });
    await expect(client.reportOutcome(scored, 'click', { item: scored.scores[0].item })).resolves.toBeUndefined();
    await expect(client.reportOutcome(scored, 'teleport')).rejects.toMatchObject({ status: 400, body: { issues: [{ path: 'event' }] } });
  });

  it('keeps a generated unit id sticky through unitId', async () => {
    const first = await client.score({ candidates: served.vocabularySample.slice(0, 5) }, { route: 'home' });
    expect(first.unitId).toBeDefined();
    for (let i = 0; i < 3; i++) {
      const again = await client.score({ candidates: served.vocabularySample.slice(0, 5) }, { route: 'home', unitId: first.unitId! });
      expect(again.variant).toBe(first.variant);
    }
  });

  it('throws InterestEdgeError with the error body', async () => {
    const err = await client.score({ candidates: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterestEdgeError);
    expect(err).toMatchObject({ status: 400, body: { code: 'invalid_request', issues: [{ path: 'candidates' }] } });
    await expect(client.score({ candidates: ['1'] }, { route: 'nope' })).rejects.toMatchObject({ status: 404 });
  });
});
