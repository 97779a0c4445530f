import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyActivation, applyStateUpdates, createActivation, DICE_EPSILON, type StateUpdates } from '../../model-export/layers/activations.js';
import { embeddingLookup } from '../../model-export/layers/embedding.js';
import { ParamStore } from '../../model-export/layers/params.js';
import { DinModel } from '../../model-export/models/din.js';
import { defaultConfig } from '../../model-export/models/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('embedding lookup gradient', () => {
  it('equals the gradient of tf.gather (duplicates summed, absent rows zero)', () => {
    const table = tf.randomNormal([6, 3], 0, 1, 'float32', 1) as tf.Tensor2D;
    const idx = tf.tensor2d([[1, 4], [4, 0]], [2, 2], 'int32');
    const weights = tf.randomNormal([2, 2, 3], 0, 1, 'float32', 2);
    const loss = (f: (t: tf.Tensor2D) => tf.Tensor) => (t: tf.Tensor) => tf.sum(tf.mul(f(t as tf.Tensor2D), weights));
    const ours = tf.grad(loss((t) => embeddingLookup(t, idx)))(table);
    const reference = tf.grad(loss((t) => tf.gather(t, idx)))(table);
    const diff = tf.max(tf.abs(tf.sub(ours, reference))).dataSync()[0];
    expect(diff).toBeLessThan(1e-6);
    // rows 2, 3, 5 never looked up → zero gradient
    const g = ours.arraySync() as number[][];
    for (const r of [2, 3, 5]) expect(g[r]).toEqual([0, 0, 0]);
  });
});

describe('Dice', () => {
  it('normalises with batch moments in training and moving moments at inference', () => {
    const store = new ParamStore(1);
    createActivation(store, 'd', 'dice', 2);
    const x = tf.tensor2d([[1, -2], [3, 0], [-1, 4]]);
    // training: p = sigmoid((x − mean) / sqrt(var + ε)); α = 0 → out = p·x
    const updates: StateUpdates = { pending: [] };
    const out = applyActivation(store, 'd', 'dice', x, true, updates).arraySync();
    const col = [[1, 3, -1], [-2, 0, 4]].map((c) => {
      const m = c.reduce((a, b) => a + b) / 3;
      const v = c.reduce((a, b) => a + (b - m) ** 2, 0) / 3;
      return { m, v };
    });
    const sig = (z: number) => 1 / (1 + Math.exp(-z));
    const expected = [[1, -2], [3, 0], [-1, 4]].map((row) => row.map((v, j) => sig((v - col[j].m) / Math.sqrt(col[j].v + DICE_EPSILON)) * v));
    out.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 5)));
    // moving moments move 1 % of the way (momentum 0.99) towards the batch moments
    applyStateUpdates(updates);
    expect(store.get('d.movingMean').arraySync()).toEqual([expect.closeTo(0.01 * col[0].m, 6), expect.closeTo(0.01 * col[1].m, 6)]);
    expect(store.get('d.movingVariance').arraySync()).toEqual([expect.closeTo(0.99 + 0.01 * col[0].v, 6), expect.closeTo(0.99 + 0.01 * col[1].v, 6)]);
  });

  it('scores a row alone exactly as inside a batch at inference', () => {
    const store = new ParamStore(2);
    createActivation(store, 'd', 'dice', 3);
    store.get('d.movingMean').assign(tf.tensor1d([0.5, -1, 2]));
    store.get('d.movingVariance').assign(tf.tensor1d([2, 0.5, 1]));
    store.get('d.alpha').assign(tf.tensor1d([0.1, 0.2, 0.3]));
    const batch = tf.randomNormal([8, 3], 0, 2, 'float32', 3) as tf.Tensor2D;
    const all = applyActivation(store, 'd', 'dice', batch, false).arraySync();
    for (let i = 0; i < 8; i++) {
      const one = applyActivation(store, 'd', 'dice', batch.slice([i, 0], [1, 3]) as tf.Tensor2D, false).arraySync()[0];
      expect(one).toEqual(all[i]);
    }
  });
});

describe('DIN attention', () => {
  const model = new DinModel(defaultConfig('din', 20, 5), 4);
  const batch = (items: number[][]) => ({
    historyItems: tf.tensor2d(items, undefined, 'int32'),
    historyCategories: tf.tensor2d(items.map((r) => r.map((i) => (i === 0 ? 0 : 2 + (i % 3)))), undefined, 'int32'),
    candidateItems: tf.tensor1d(items.map(() => 7), 'int32'),
    candidateCategories: tf.tensor1d(items.map(() => 3), 'int32'),
  });

  it('gives padded positions zero weight and is not softmax-normalised', () => {
    const w = model.attentionWeights(batch([[5, 9, 0, 0]])).arraySync()[0];
    expect(Math.abs(w[2])).toBe(0);
    expect(Math.abs(w[3])).toBe(0);
    expect(Math.abs(w[0] + w[1] - 1)).toBeGreaterThan(1e-3); // weights are raw activations, they need not sum to 1
  });

  it('does not depend on how much padding follows the history', () => {
    const a = model.logits(batch([[5, 9, 0, 0]]), false).dataSync()[0];
    const b = model.logits(batch([[5, 9, 0, 0, 0, 0, 0, 0]]), false).dataSync()[0];
    expect(b).toBeCloseTo(a, 6);
  });
});

describe('matMul with materialised-transpose gradient', () => {
  it('has the same value and gradients as tf.matMul (rank 2 and batched rank 3)', async () => {
    const { matMul } = await import('../../model-export/layers/matmul.js');
    for (const [sa, sb] of [
      [[5, 3], [3, 4]],
      [[2, 5, 3], [2, 3, 4]],
    ] as const) {
      const a = tf.randomNormal([...sa], 0, 1, 'float32', 11);
      const b = tf.randomNormal([...sb], 0, 1, 'float32', 12);
      const w = tf.randomNormal([...sa.slice(0, -1), sb[sb.length - 1]], 0, 1, 'float32', 13);
      const f = (mm: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(mm(x, y), w));
      const ours = tf.grads(f((x, y) => matMul(x, y)))([a, b]);
      const ref = tf.grads(f((x, y) => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D)))([a, b]);
      for (let i = 0; i < 2; i++) expect(tf.max(tf.abs(tf.sub(ours[i], ref[i]))).dataSync()[0]).toBeLessThan(1e-5);
      expect(tf.max(tf.abs(tf.sub(matMul(a, b), tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D)))).dataSync()[0]).toBeLessThan(1e-6);
    }
  });
});
