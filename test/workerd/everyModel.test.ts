/**
 * Every model shipped in models/ (DIN, DIEN, …) served by the same worker code inside workerd:
 * the model type comes from its manifest, not from a code path chosen by name. Each model's
 * scores equal onnxruntime-node's on the same contract-encoded inputs (globalSetup.ts).
 */
import { describe, expect, inject, it } from 'vitest';
import { createApp } from '../../worker/app.js';
import type { ScoreResponse } from '../../core/schema/score.schema.js';
import { BASE, env } from './helpers.js';

const TOLERANCE = 1e-5;
const fixtures = inject('modelFixtures');

describe.each(Object.keys(fixtures))('model %s', (name) => {
  // Its own registry and a one-route config serving only `name`.
  const app = createApp({ routes: { defaultRoute: 'only', routes: { only: { variants: [{ name: 'only', model: name, weight: 1 }] } } } });
  const fetchWith = (path: string, init?: RequestInit) => app.fetch(new Request(`${BASE}${path}`, init), env);
  const { parityCases, servedModel } = fixtures[name];

  it('is listed by GET /v1/models with its manifest type', async () => {
    const res = await fetchWith('/v1/models');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { models: Array<{ name: string; type: string; version: string }> };
    expect(body.models[0]).toMatchObject({ name, version: servedModel.version });
    expect(['base', 'din', 'dien', 'ple', 'cgc', 'mmoe', 'shared-bottom', 'dot']).toContain(body.models[0].type);
  });

  it.each(parityCases)('$name: same scores as onnxruntime-node', async (c) => {
    const res = await fetchWith('/v1/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(c.body) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ScoreResponse;
    expect(body.model).toEqual({ name, version: servedModel.version });
    expect(body.unknown).toEqual(c.unknown);
    const expected = new Map(c.candidateIds.map((item, i) => [item, c.expected[i]]));
    for (const { item, score } of body.scores) expect(Math.abs(score - expected.get(item)!), `score of ${item}`).toBeLessThanOrEqual(TOLERANCE);
    if (c.tasks) {
      for (const s of body.scores) {
        const i = c.candidateIds.indexOf(s.item);
        for (const t of ['ctr', 'cvr', 'ctcvr'] as const) expect(Math.abs(s.tasks![t] - c.tasks[t][i]), `${t} of ${s.item}`).toBeLessThanOrEqual(TOLERANCE);
      }
    } else expect(body.scores.every((s) => s.tasks === undefined)).toBe(true);
  });
});
