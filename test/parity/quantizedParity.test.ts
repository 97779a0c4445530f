/**
 * The int8 exports (issue 7: `quantize: 'int8'`, int8 weight storage for every model and int8
 * attention products for DIN) stay within 5e-3 of the float32 graph and rank candidates alike, in
 * both runtimes; their accuracy on real data is measured by bench/quantized.ts.
 */
import * as ort from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import { servingBytes } from '../../model-export/onnx/exportModel.js';
import { selectBackend } from '../../model-export/train/backend.js';
import { spearman } from '../../worker/experiments/rankCorrelation.js';
import { scoreWithOrtNode } from './ortNode.js';
import { trainedFixture } from './trainedFixture.js';
import { nodeSessionOptions } from '../../model-export/onnx/nodeSessionOptions.js';

beforeAll(async () => {
  await selectBackend('wasm', () => {});
});

const TYPES = ['din', 'dien', 'base'] as const;

describe.each(TYPES)('int8 %s export', (type) => {
  it('scores within 5e-3 of float32 and ranks alike, in onnxruntime-node and -web', async () => {
    const { model, contract } = await trainedFixture(type);
    const fp32Bytes = (await servingBytes(model)).bytes;
    const int8Bytes = (await servingBytes(model, 'int8')).bytes;
    // The storage really is int8: at least 2.5× smaller (biases and small weights stay float32).
    expect(int8Bytes.length * 2.5).toBeLessThan(fp32Bytes.length);
    const fp32 = await ort.InferenceSession.create(fp32Bytes, nodeSessionOptions());
    const int8 = await ort.InferenceSession.create(int8Bytes, nodeSessionOptions());
    ortWeb.env.wasm.numThreads = 1;
    const int8Web = await ortWeb.InferenceSession.create(int8Bytes);
    const rng = seedrandom(`int8-${type}`);
    const items = contract.spec.items;
    let maxDiff = 0;
    let minRho = 1;
    let maxWebDiff = 0;
    let anyDiff = 0;
    for (let r = 0; r < 32; r++) {
      const pick = (n: number) => Array.from({ length: n }, () => items[Math.floor(rng() * items.length)]);
      const h = contract.encodeHistory(pick([1, 10, 50, 70][r % 4]), 'compact');
      const c = contract.encodeCandidates(pick(50));
      const a = await scoreWithOrtNode(fp32, h, c);
      const b = await scoreWithOrtNode(int8, h, c);
      const web = await int8Web.run(
        {
          hist_item: new ortWeb.Tensor('int32', h.items, [h.items.length]),
          hist_cat: new ortWeb.Tensor('int32', h.categories, [h.items.length]),
          cand_item: new ortWeb.Tensor('int32', c.items, [c.items.length]),
          cand_cat: new ortWeb.Tensor('int32', c.categories, [c.items.length]),
        },
        ['score'],
      );
      const w = web.score.data as Float32Array;
      for (let i = 0; i < a.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
        maxWebDiff = Math.max(maxWebDiff, Math.abs(b[i] - w[i]));
        anyDiff += Math.abs(a[i] - b[i]);
      }
      minRho = Math.min(minRho, spearman(a, b) ?? 1);
    }
    console.log(`${type} int8 vs float32: max |Δscore| ${maxDiff.toExponential(2)}, min Spearman ${minRho.toFixed(4)}; int8 node vs web ${maxWebDiff.toExponential(2)}`);
    expect(anyDiff).toBeGreaterThan(0); // the weights were rounded, so the scores moved
    expect(maxDiff).toBeLessThan(5e-3);
    expect(minRho).toBeGreaterThan(0.99);
    expect(maxWebDiff).toBeLessThan(1e-5); // the same arithmetic in both runtimes
  }, 120_000);
});
