/**
 * A model trained on a distributed engine serves like one trained here (issue 29): DIN trained by
 * the PyTorch reference trainer under `torchrun --nproc_per_node 2`, exported to ONNX, imported by
 * `npm run import-model`'s code, loaded by the worker (its golden requests replayed in
 * onnxruntime-web at load) and scored through /v1/score: every candidate of every golden request
 * within 1e-5 of the torch model's own score (test/workerd/pytorchModel.ts builds it in globalSetup).
 */
import { describe, expect, inject, it } from 'vitest';
import type { ScoreResponse } from '../../core/schema/score.schema.js';
import { createApp } from '../../worker/app.js';
import { BASE, bindingsWithModel } from './helpers.js';

const fixture = inject('pytorchModel');
const skipped = 'skipped' in fixture ? fixture.skipped : undefined;
if (skipped) console.warn(`[pytorch.test] skipped: ${skipped}`);

describe.skipIf(skipped !== undefined)('PyTorch DDP → ONNX → import → workerd', () => {
  if ('skipped' in fixture) return;
  const bindings = bindingsWithModel(fixture);
  const app = createApp({ routes: { defaultRoute: 'x', routes: { x: { variants: [{ name: 'torch', model: fixture.name, weight: 1 }] } } } });

  it('was trained by two ranks', () => {
    expect(fixture.run.worldSize).toBe(2);
    expect(fixture.run.rankSamples).toHaveLength(2);
    for (const n of fixture.run.rankSamples) expect(n).toBeGreaterThan(0);
  });

  it('the worker scores the golden requests within 1e-5 of PyTorch', async () => {
    let compared = 0;
    let worst = 0;
    for (const c of fixture.cases) {
      const res = await app.fetch(new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(c.body) }), bindings);
      expect(res.status, await res.clone().text()).toBe(200);
      const body = (await res.json()) as ScoreResponse;
      expect(body.model.name).toBe(fixture.name);
      expect(body.scores.map((s) => s.item).sort()).toEqual(Object.keys(c.torch).sort());
      for (const s of body.scores) {
        worst = Math.max(worst, Math.abs(s.score - c.torch[s.item]));
        compared++;
      }
    }
    console.log(`[pytorch.test] ${compared} scores: max |PyTorch − worker| = ${worst.toExponential(2)}`);
    expect(compared).toBeGreaterThanOrEqual(10);
    expect(worst).toBeLessThanOrEqual(1e-5);
  });
});
