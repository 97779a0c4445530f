/** Mini-batch aware L2 (DIN eq. 6) on a hand-computed case. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { distinctIds, inverseFrequencies, miniBatchAwareL2 } from '../../model-export/layers/regularization.js';
import { selectBackend } from '../../model-export/train/backend.js';

beforeAll(async () => {
  await selectBackend('cpu', () => {});
});

describe('mini-batch aware L2', () => {
  // 5 rows × 2: row j = [j, 1] so ‖w_j‖² = j² + 1.
  const table = () => tf.variable(tf.tensor2d([0, 1, 1, 1, 2, 1, 3, 1, 4, 1], [5, 2]));

  it('counts training-set frequencies, ignoring padding', () => {
    const inv = inverseFrequencies(5, [Int32Array.from([0, 2, 2, 3]), Int32Array.from([2, 3, 4, 4, 4, 4])]);
    expect(Array.from(inv)).toEqual(Array.from(Float32Array.from([0, 0, 1 / 3, 1 / 2, 1 / 4]))); // id 1 never occurs
  });

  it('distinct ids of a batch, without padding', () => {
    expect(Array.from(distinctIds(Int32Array.from([3, 0, 2, 3]), Int32Array.from([2, 4, 0])))).toEqual([2, 3, 4]);
  });

  it('penalises only the rows present, each by ‖w_j‖² / n_j, times λ', () => {
    const w = table();
    const inv = Float32Array.from([0, 1, 1 / 3, 1 / 2, 1 / 4]);
    const ids = Int32Array.from([2, 4]); // rows 2 and 4 are in the batch
    const value = miniBatchAwareL2(w, ids, inv, 0.01).arraySync() as number;
    // λ·(‖w_2‖²/3 + ‖w_4‖²/4) = 0.01·((4 + 1)/3 + (16 + 1)/4)
    expect(value).toBeCloseTo(0.01 * (5 / 3 + 17 / 4), 6);
  });

  it('its gradient is 2λ·w_j/n_j on present rows and exactly 0 on absent rows', () => {
    const w = table();
    const inv = Float32Array.from([0, 1, 1 / 3, 1 / 2, 1 / 4]);
    const ids = Int32Array.from([2, 4]);
    const { grads } = tf.variableGrads(() => miniBatchAwareL2(w, ids, inv, 0.5), [w]);
    const g = grads[w.name].arraySync() as number[][];
    expect(g[0]).toEqual([0, 0]);
    expect(g[1]).toEqual([0, 0]); // frequent in the training set but absent from this batch
    expect(g[3]).toEqual([0, 0]);
    expect(g[2][0]).toBeCloseTo(2 * 0.5 * 2 * (1 / 3), 6);
    expect(g[2][1]).toBeCloseTo(2 * 0.5 * 1 * (1 / 3), 6);
    expect(g[4][0]).toBeCloseTo(2 * 0.5 * 4 * (1 / 4), 6);
  });

  it('an empty batch costs nothing', () => {
    expect(miniBatchAwareL2(table(), new Int32Array(0), new Float32Array(5), 1).arraySync()).toBe(0);
  });
});

describe('training with mini-batch aware L2', () => {
  it('adds a positive L2 term on the embedding tables of every model type', async () => {
    const { syntheticLog } = await import('../parity/trainedFixture.js');
    const { prepareData } = await import('../../model-export/train/pipeline.js');
    const { createModel, defaultConfig } = await import('../../model-export/models/index.js');
    const { fit } = await import('../../model-export/train/fit.js');
    const { mbaTargets } = await import('../../model-export/train/mbaTargets.js');
    const data = prepareData(syntheticLog(), { protocol: 'next', seed: 1, maxHistory: 50, minItemCount: 2, negativeSequences: false });
    for (const type of ['lr', 'din'] as const) {
      const model = createModel(defaultConfig(type, data.contract.itemCount, data.contract.categoryCount), 1);
      const targets = mbaTargets(model, data.train);
      expect(targets.map((t) => t.param)).toEqual(type === 'lr' ? ['lr.cand_item', 'lr.cand_cat', 'lr.hist_item', 'lr.hist_cat'] : ['emb.item', 'emb.category']);
      const [report] = await fit(model, data.train.limit(256), data.test.limit(256), { epochs: 1, batchSize: 64, learningRate: 1e-3, seed: 1, l2: { lambda: 0.01, targets } });
      expect(report.l2Loss).toBeGreaterThan(0);
      expect(Number.isFinite(report.trainLoss)).toBe(true);
      model.params.dispose();
    }
  });
});
