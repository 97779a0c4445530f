/**
 * Golden requests (contract/goldenRequests.ts): what they cover, how a mismatch is told, and that
 * every shipped model carries them and reproduces them in onnxruntime-node. (The worker replays
 * them in workerd at every model load: test/workerd/faults.test.ts and everyModel.test.ts.)
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { shippedModelNames } from '../../bench/lib/servingModels.js';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { goldenMismatch, goldenRequestsFor, type GoldenRequest } from '../../contract/goldenRequests.js';
import { contractOf, modelManifestSchema } from '../../contract/manifest.js';
import { goldenFor } from '../../model-export/onnx/goldenScores.js';

const shipped = shippedModelNames().map((name) => join('models', name));
const load = (dir: string) => modelManifestSchema.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));

describe('golden requests', () => {
  it('cover a typical history with an unknown candidate, an empty history and a truncated one', () => {
    const contract = contractOf(load('models/din-movielens'));
    const requests = goldenRequestsFor(contract);
    const known = new Set(contract.spec.items);
    expect(requests.some((r) => r.candidates.some((c) => !known.has(c)))).toBe(true);
    expect(requests.some((r) => r.history.length === 0)).toBe(true);
    expect(requests.some((r) => r.history.length > contract.spec.maxHistory)).toBe(true);
    expect(new Set(requests.flatMap((r) => r.candidates)).size).toBeGreaterThan(10); // spread over the vocabulary
  });

  it('a value off by more than the tolerance, a NaN or a missing output is a mismatch that names it', () => {
    const request: GoldenRequest = { history: [], candidates: ['a', 'b'], time: 0, route: 'r', expected: { score: [0.25, 0.5], ctr: [0.25, 0.5] } };
    expect(goldenMismatch(request, 0, { score: [0.25, 0.500009], ctr: [0.25, 0.5] }, 1e-5)).toBeUndefined();
    expect(goldenMismatch(request, 2, { score: [0.25, 0.50002], ctr: [0.25, 0.5] }, 1e-5)).toMatch(/golden request 2: output "score" candidate 1 is 0.50002, expected 0.5/);
    expect(goldenMismatch(request, 0, { score: [Number.NaN, 0.5], ctr: [0.25, 0.5] }, 1e-5)).toMatch(/candidate 0 is NaN/);
    expect(goldenMismatch(request, 0, { score: [0.25, 0.5] }, 1e-5)).toMatch(/output "ctr" has 0 values, expected 2/);
  });

  for (const dir of shipped) {
    it(`${dir} carries golden requests that onnxruntime-node reproduces exactly`, async () => {
      const manifest = load(dir);
      expect(manifest.golden?.requests.length).toBeGreaterThanOrEqual(3);
      const onnx = readFileSync(join(dir, manifest.onnx.file));
      expect(createHash('sha256').update(onnx).digest('hex')).toBe(manifest.onnx.sha256);
      const again = await goldenFor(onnx, contractOf(manifest));
      expect(again.requests).toEqual(manifest.golden!.requests);
      if (manifest.type === 'ple') expect(Object.keys(manifest.golden!.requests[0].expected).sort()).toEqual(['ctcvr', 'ctr', 'cvr', 'score']);
    });
  }
});
