/**
 * Hashed item ids in the worker: a format-3 model (test/workerd/hashedModel.ts, exported by
 * globalSetup) loads — its golden requests replay in onnxruntime-web — and scores requests like
 * onnxruntime-node in Node, so the worker hashes ids exactly as the exporter did.
 */
import { describe, expect, inject, it } from 'vitest';
import { createApp } from '../../worker/app.js';
import type { ScoreResponse } from '../../core/schema/score.schema.js';
import { BASE, bindingsWithModel } from './helpers.js';

const fixture = inject('hashedModel');
const bindings = bindingsWithModel(fixture);
const app = createApp({ routes: { defaultRoute: 'x', routes: { x: { variants: [{ name: 'only', model: fixture.name, weight: 1 }] } } } });

describe('hashed item ids (format 3) in workerd', () => {
  it('scores like onnxruntime-node (≤ 1e-5)', async () => {
    for (const c of fixture.cases) {
      const res = await app.fetch(new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(c.body) }), bindings);
      expect(res.status, await res.clone().text()).toBe(200);
      const body = (await res.json()) as ScoreResponse;
      expect(body.scores.length).toBe(Object.keys(c.expected).length);
      for (const s of body.scores) expect(Math.abs(s.score - c.expected[s.item])).toBeLessThanOrEqual(1e-5);
    }
  });
});
