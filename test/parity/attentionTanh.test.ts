/**
 * The attention-tanh serving pass (onnx/attentionTanh.ts) rewrites DIN's activation unit from
 * sigmoid to tanh with the factors folded into the weights: the same function. On float32 graphs
 * (factored and tiled), before and after must agree to float rounding; on the int8 export the
 * activation's dynamic quantisation grid moves, so they agree to int8 noise (the int8 bound,
 * test/parity/quantizedParity.test.ts, is against float32). The pass applies once.
 */
import { fromBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { ModelProtoSchema } from 'onnx-buf';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FeatureContract } from '../../contract/featureContract.js';
import type { DinModel } from '../../model-export/models/din.js';
import { attentionTanh } from '../../model-export/onnx/attentionTanh.js';
import { buildDinGraph } from '../../model-export/onnx/exportDin.js';
import { selectBackend } from '../../model-export/train/backend.js';
import { attentionWithOrtNode, scoreWithOrtNode } from './ortNode.js';
import { trainedFixture } from './trainedFixture.js';
import { nodeSessionOptions } from '../../model-export/onnx/nodeSessionOptions.js';

let model: DinModel;
let contract: FeatureContract;

beforeAll(async () => {
  await selectBackend('wasm', () => {});
  const fixture = await trainedFixture('din');
  model = fixture.model as DinModel;
  contract = fixture.contract;
});

const opTypes = (bytes: Uint8Array) => fromBinary(ModelProtoSchema, bytes).graph!.node.map((n) => n.opType);

async function maxDifference(before: Uint8Array, after: Uint8Array): Promise<{ score: number; attention: number }> {
  const options = nodeSessionOptions({ interOpNumThreads: 1 });
  const [a, b] = await Promise.all([ort.InferenceSession.create(before, options), ort.InferenceSession.create(after, options)]);
  const rng = seedrandom('attention-tanh');
  const items = contract.spec.items;
  const pick = (n: number) => Array.from({ length: n }, () => ({ item: rng() < 0.05 ? `unknown-${n}` : items[Math.floor(rng() * items.length)] }));
  let score = 0;
  let attention = 0;
  for (let r = 0; r < 24; r++) {
    const h = contract.encodeHistory(pick(1 + Math.floor(rng() * 60)), 'compact');
    const c = contract.encodeCandidates(pick([1, 7, 100][r % 3]));
    const [sa, sb, aa, ab] = await Promise.all([scoreWithOrtNode(a, h, c), scoreWithOrtNode(b, h, c), attentionWithOrtNode(a, h, c), attentionWithOrtNode(b, h, c)]);
    sa.forEach((v, i) => (score = Math.max(score, Math.abs(v - sb[i]))));
    aa.forEach((v, i) => (attention = Math.max(attention, Math.abs(v - ab[i]) / Math.max(1, Math.abs(v)))));
  }
  return { score, attention };
}

describe('attention-tanh serving pass', () => {
  it.each(['factored', 'tiled'] as const)('keeps the %s float32 DIN graph\'s scores and attention (≤ 2e-6)', async (attention) => {
    const before = buildDinGraph(model, await model.params.snapshot(), { attention }).toBytes();
    const after = attentionTanh(before);
    expect(after).toBeDefined();
    expect(opTypes(before).filter((t) => t === 'Sigmoid').length - opTypes(after!).filter((t) => t === 'Sigmoid').length).toBe(2);
    expect(opTypes(after!).filter((t) => t === 'Tanh')).toHaveLength(2);
    const d = await maxDifference(before, after!);
    console.log(`attention-tanh, ${attention} float32: max |Δ| score ${d.score.toExponential(2)}, attention ${d.attention.toExponential(2)}`);
    expect(d.score).toBeLessThanOrEqual(2e-6);
    expect(d.attention).toBeLessThanOrEqual(2e-6);
    expect(attentionTanh(after!)).toBeUndefined(); // applies once
  });

  it('keeps the int8 DIN graph within int8 noise', async () => {
    const before = buildDinGraph(model, await model.params.snapshot(), { quantize: 'int8' }).toBytes();
    const after = attentionTanh(before)!;
    const d = await maxDifference(before, after);
    console.log(`attention-tanh, int8: max |Δ| score ${d.score.toExponential(2)}, attention ${d.attention.toExponential(2)}`);
    expect(d.score).toBeGreaterThan(0); // the activations' int8 grid moved
    expect(d.score).toBeLessThan(5e-3);
  });

  it('leaves graphs without the activation unit alone', async () => {
    const dien = await trainedFixture('dien');
    const { servingBytes } = await import('../../model-export/onnx/exportModel.js');
    const { bytes, passes } = await servingBytes(dien.model);
    expect(passes).toEqual([]);
    expect(attentionTanh(bytes)).toBeUndefined();
  });
});
