import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGru, gruStep, runGru, type GruSpec } from '../../model-export/layers/gru.js';
import { ParamStore } from '../../model-export/layers/params.js';
import { runAugru } from '../../model-export/models/dien/augru.js';
import { DienModel } from '../../model-export/models/dien/dien.js';
import { defaultConfig } from '../../model-export/models/index.js';

const sig = (x: number) => 1 / (1 + Math.exp(-x));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function scalarGru(): { store: ParamStore; spec: GruSpec } {
  const store = new ParamStore(1);
  const spec = { name: 'g', inputs: 1, hidden: 1 };
  createGru(store, spec);
  const set = (n: string, v: number) => store.get(`g.${n}`).assign(tf.tensor(v, store.get(`g.${n}`).shape));
  set('W_u', 0.5), set('U_u', -1), set('b_u', 0.1);
  set('W_r', 2), set('U_r', 0.3), set('b_r', -0.2);
  set('W_h', 1.5), set('U_h', 0.7), set('b_h', 0.05), set('b_hr', -0.4);
  return { store, spec };
}

/** Reference: DIEN eq. 1–4 with the reset gate after the recurrent matmul (linear_before_reset). */
function referenceStep(x: number, h: number, a = 1): number {
  const u = sig(0.5 * x - 1 * h + 0.1) * a;
  const r = sig(2 * x + 0.3 * h - 0.2);
  const cand = Math.tanh(1.5 * x + 0.05 + r * (0.7 * h - 0.4));
  return (1 - u) * h + u * cand;
}

describe('GRU cell', () => {
  it('follows DIEN eq. 1–4 step by step', () => {
    const { store, spec } = scalarGru();
    const xs = [0.3, -1.2, 0.8];
    const states = runGru(store, spec, xs.map((v) => tf.tensor2d([[v]]))).map((h) => h.arraySync()[0][0]);
    let h = 0;
    xs.forEach((x, t) => {
      h = referenceStep(x, h);
      expect(states[t]).toBeCloseTo(h, 6);
    });
  });

  it('AUGRU scales the update gate by attention (a = 0 keeps the state, eq. 13–14)', () => {
    const { store, spec } = scalarGru();
    const interests = [0.3, -1.2, 0.8].map((v) => tf.tensor2d([[v]]));
    const a = [0.5, 0, 0.9];
    const out = runAugru(store, spec, interests, tf.tensor2d([a])).arraySync()[0][0];
    let h = 0;
    [0.3, -1.2, 0.8].forEach((x, t) => (h = referenceStep(x, h, a[t])));
    expect(out).toBeCloseTo(h, 6);
    const zero = runAugru(store, spec, interests, tf.tensor2d([[0, 0, 0]])).arraySync()[0][0];
    expect(zero).toBe(0);
  });

  it('one step with a scaled update gate equals the reference', () => {
    const { store, spec } = scalarGru();
    expect(gruStep(store, spec, tf.tensor2d([[0.3]]), tf.tensor2d([[0.2]]), tf.tensor2d([[0.4]])).arraySync()[0][0]).toBeCloseTo(referenceStep(0.3, 0.2, 0.4), 6);
  });
});

describe('DIEN auxiliary loss (eq. 6)', () => {
  // Tiny aux net: inputs [h (1), e (2)] → 1 (sigmoid) → 1 (sigmoid) → 1 linear, all weights 1, biases 0:
  // logit(h, e) = σ(σ(h + e₁ + e₂)).
  const model = new DienModel({ ...defaultConfig('dien', 4, 4), embeddingDim: 1, gruHidden: 1, auxHidden: [1, 1] }, 1);
  for (const n of ['aux.0.kernel', 'aux.1.kernel', 'aux.out.kernel']) model.params.get(n).assign(tf.onesLike(model.params.get(n)));
  const logit = (h: number, e: number[]) => sig(sig(h + e[0] + e[1]));
  // h_1, h_2 paired with the next behaviours e_2, e_3 (clicked) and ê_2, ê_3 (sampled).
  const interests = tf.tensor3d([[[0.2], [-0.5]]]);
  const clicked = tf.tensor3d([[[0.4, -0.2], [0.7, 0.7]]]);
  const sampled = tf.tensor3d([[[-0.6, 0.1], [0.0, -0.9]]]);
  const term = (h: number, e: number[], n: number[]) => -Math.log(sig(logit(h, e))) - Math.log(1 - sig(logit(h, n)));

  it('averages −log σ(h_t, e_{t+1}) − log(1 − σ(h_t, ê_{t+1})) over real pairs', () => {
    const loss = model.auxiliaryLoss(interests, clicked, sampled, tf.tensor2d([[1, 1]])).arraySync();
    const expected = (term(0.2, [0.4, -0.2], [-0.6, 0.1]) + term(-0.5, [0.7, 0.7], [0.0, -0.9])) / 2;
    expect(loss).toBeCloseTo(expected, 5);
  });

  it('ignores pairs whose next behaviour is padding', () => {
    const loss = model.auxiliaryLoss(interests, clicked, sampled, tf.tensor2d([[1, 0]])).arraySync();
    expect(loss).toBeCloseTo(term(0.2, [0.4, -0.2], [-0.6, 0.1]), 5);
  });

  it('is 0 (not NaN, no crash) when no pair is real (histories of length ≤ 1)', () => {
    expect(model.auxiliaryLoss(interests, clicked, sampled, tf.tensor2d([[0, 0]])).arraySync()).toBe(0);
  });
});

describe('DIEN forward', () => {
  const model = new DienModel(defaultConfig('dien', 30, 6), 2);
  const batch = (hist: number[][], withNegatives = true) => ({
    historyItems: tf.tensor2d(hist, undefined, 'int32'),
    historyCategories: tf.tensor2d(hist.map((r) => r.map((i) => (i === 0 ? 0 : 2 + (i % 4)))), undefined, 'int32'),
    candidateItems: tf.tensor1d(hist.map(() => 9), 'int32'),
    candidateCategories: tf.tensor1d(hist.map(() => 3), 'int32'),
    ...(withNegatives
      ? {
          negativeItems: tf.tensor2d(hist.map((r) => r.map((i) => (i === 0 ? 0 : 20 + (i % 7)))), undefined, 'int32'),
          negativeCategories: tf.tensor2d(hist.map((r) => r.map((i) => (i === 0 ? 0 : 2))), undefined, 'int32'),
        }
      : {}),
  });

  it('scores histories of length 0, 1 and more, with a finite auxiliary loss', () => {
    const out = model.forward(batch([[0, 0, 0, 0], [5, 0, 0, 0], [5, 7, 11, 0]]), true, { pending: [] });
    expect(out.logits.arraySync().every(Number.isFinite)).toBe(true);
    expect(out.auxLoss!.arraySync()).toBeGreaterThan(0);
    const short = model.forward(batch([[5, 0], [0, 0]]), true, { pending: [] }); // no real pair at all
    expect(short.auxLoss!.arraySync()).toBe(0);
    const single = model.forward(batch([[5]]), true, { pending: [] }); // T = 1
    expect(Number.isFinite(single.logits.arraySync()[0])).toBe(true);
  });

  it('does not depend on the padding after the history', () => {
    const a = model.logits(batch([[5, 7, 11]], false), false).arraySync()[0];
    const b = model.logits(batch([[5, 7, 11, 0, 0, 0]], false), false).arraySync()[0];
    expect(b).toBeCloseTo(a, 5);
  });
});
