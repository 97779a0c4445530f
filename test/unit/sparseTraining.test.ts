/**
 * Sparse embedding updates (issue 28): the lazy Adam against tfjs's Adam, the id remapping, and
 * sparse against dense training of whole models from the same initial weights.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import { SparseTable } from '../../model-export/layers/sparseTable.js';
import { createModel, defaultConfig } from '../../model-export/models/index.js';
import type { CtrModel } from '../../model-export/models/model.js';
import { selectBackend } from '../../model-export/train/backend.js';
import { evaluate, fit, type FitOptions } from '../../model-export/train/fit.js';
import { LazyAdam } from '../../model-export/train/lazyAdam.js';
import { mbaTargets } from '../../model-export/train/mbaTargets.js';
import { prepareData, type PreparedData } from '../../model-export/train/pipeline.js';
import { IdRemapper } from '../../model-export/train/sparseBatch.js';
import { measureTrainingThroughput } from '../../bench/catalogueTraining.js';
import { syntheticLog } from '../parity/trainedFixture.js';

beforeAll(async () => {
  await selectBackend('cpu', () => {});
});

function gradients(steps: number, rows: number, dim: number): Float32Array[] {
  const rng = seedrandom('grads');
  return Array.from({ length: steps }, () => Float32Array.from({ length: rows * dim }, () => (rng() - 0.5) * (rng() < 0.2 ? 10 : 1)));
}

describe('lazy Adam', () => {
  const rows = 6;
  const dim = 3;
  const init = () => Float32Array.from({ length: rows * dim }, (_, i) => Math.sin(i + 1) * 0.1);

  it('equals tfjs Adam on a dense table when every row is touched every step', () => {
    const lr = 0.01;
    const grads = gradients(20, rows, dim);
    const dense = tf.variable(tf.tensor2d(init(), [rows, dim]));
    const adam = tf.train.adam(lr);
    for (const g of grads) tf.tidy(() => adam.applyGradients({ [dense.name]: tf.tensor2d(g, [rows, dim]) as unknown as tf.Variable }));
    const table = new SparseTable(rows, dim, init());
    const lazy = new LazyAdam({ learningRate: lr, epsilon: tf.backend().epsilon() });
    // Rows listed out of order: the update goes by id, not by position.
    const ids = Int32Array.from([3, 0, 5, 1, 4, 2]);
    for (const g of grads) {
      lazy.beginStep();
      lazy.update(table, ids, Float32Array.from({ length: rows * dim }, (_, k) => g[ids[Math.floor(k / dim)] * dim + (k % dim)]));
    }
    const expected = dense.dataSync();
    let worst = 0;
    for (let k = 0; k < expected.length; k++) worst = Math.max(worst, Math.abs(expected[k] - table.values[k]));
    expect(worst).toBeLessThan(1e-6);
    expect(Math.abs(expected[0] - init()[0])).toBeGreaterThan(0.05); // the weights did move (20 steps of ~lr)
    adam.dispose();
    dense.dispose();
  });

  it('never changes the rows a step did not touch', () => {
    const table = new SparseTable(rows, dim, init());
    const lazy = new LazyAdam({ learningRate: 0.1 });
    const touched = [Int32Array.from([1, 4]), Int32Array.from([4]), Int32Array.from([2, 1])];
    const before = table.copy();
    let previous = table.copy();
    for (const ids of touched) {
      lazy.beginStep();
      lazy.update(table, ids, Float32Array.from({ length: ids.length * dim }, () => 1));
      for (let r = 0; r < rows; r++) {
        const row = (a: Float32Array) => Array.from(a.subarray(r * dim, r * dim + dim));
        if (ids.includes(r)) expect(row(table.values)).not.toEqual(row(previous));
        else expect(row(table.values)).toEqual(row(previous)); // bit-identical: no decaying momentum step
      }
      previous = table.copy();
    }
    for (const r of [0, 3, 5]) expect(Array.from(table.values.subarray(r * dim, r * dim + dim))).toEqual(Array.from(before.subarray(r * dim, r * dim + dim)));
  });

  it('bias-corrects with the global step, not the row’s own count', () => {
    // Row 1 is first touched at step 3: with gradient g its first update is −lr·ĝ/(|ĝ|+ε) scaled by
    // the global step's corrections, (1−β1)/(1−β1³) over √((1−β2)/(1−β2³)).
    const table = new SparseTable(2, 1, new Float32Array(2));
    const lazy = new LazyAdam({ learningRate: 0.1, epsilon: 0 });
    for (let t = 0; t < 3; t++) {
      lazy.beginStep();
      lazy.update(table, Int32Array.from([t < 2 ? 0 : 1]), Float32Array.from([1]));
    }
    const expected = -0.1 * ((1 - 0.9) / (1 - 0.9 ** 3)) / Math.sqrt((1 - 0.999) / (1 - 0.999 ** 3));
    expect(table.values[1]).toBeCloseTo(expected, 6);
  });
});

describe('id remapping', () => {
  it('maps a batch’s ids to dense local positions, padding to 0, and resets between batches', () => {
    const remapper = new IdRemapper(100);
    const history = Int32Array.from([7, 42, 0, 0, 42, 9, 7, 0]);
    const candidates = Int32Array.from([9, 55]);
    const { ids, padding, local } = remapper.remap([history, candidates]);
    expect(padding).toBe(true);
    expect(Array.from(ids)).toEqual([0, 7, 42, 9, 55]); // first-occurrence order after the padding row
    expect(Array.from(local[0])).toEqual([1, 2, 0, 0, 2, 3, 1, 0]);
    expect(Array.from(local[1])).toEqual([3, 4]);
    [history, candidates].forEach((a, k) => a.forEach((g, i) => expect(ids[local[k][i]]).toBe(g)));
    // The next batch must not see the previous batch's slots.
    const next = remapper.remap([Int32Array.from([55, 3, 55])]);
    expect(next.padding).toBe(false);
    expect(Array.from(next.ids)).toEqual([0, 55, 3]);
    expect(Array.from(next.local[0])).toEqual([1, 2, 1]);
  });

  it('refuses ids outside the table', () => {
    expect(() => new IdRemapper(10).remap([Int32Array.from([10])])).toThrow(/outside/);
  });
});

describe('sparse against dense training', () => {
  let data: PreparedData;
  let dienData: PreparedData;
  beforeAll(() => {
    data = prepareData(syntheticLog(), { protocol: 'next', seed: 1, maxHistory: 50, minItemCount: 2, negativeSequences: false });
    dienData = prepareData(syntheticLog(), { protocol: 'next', seed: 1, maxHistory: 50, minItemCount: 2, negativeSequences: true });
  });

  async function trainBoth(type: 'din' | 'dien' | 'lr', steps: number, extra: (model: CtrModel) => Partial<FitOptions> = () => ({})) {
    const d = type === 'dien' ? dienData : data;
    const run = async (denseEmbeddings: boolean) => {
      const model = createModel(defaultConfig(type, d.contract.itemCount, d.contract.categoryCount), 5); // same seed: same initial weights
      const losses: number[] = [];
      const reports = await fit(model, d.train.limit(steps * 64), d.test.limit(256), {
        epochs: 1,
        batchSize: 64,
        learningRate: 3e-3,
        seed: 1,
        denseEmbeddings,
        ...extra(model),
        onStep: ({ step, loss }) => losses.push(loss * step - losses.reduce((a, b) => a + b, 0)), // per-step loss from the running mean
      });
      return { model, losses, reports, weights: await model.params.snapshot() };
    };
    return { sparse: await run(false), dense: await run(true) };
  }

  function maxDifference(a: Map<string, { data: Float32Array }>, b: Map<string, { data: Float32Array }>): number {
    let worst = 0;
    for (const [name, w] of a) {
      const other = b.get(name)!.data;
      expect(other.length).toBe(w.data.length);
      for (let k = 0; k < w.data.length; k++) worst = Math.max(worst, Math.abs(w.data[k] - other[k]));
    }
    return worst;
  }

  for (const type of ['din', 'dien', 'lr'] as const) {
    it(`${type}: the first step gives the same loss and, Adam's first step being per-element, the same weights`, async () => {
      const { sparse, dense } = await trainBoth(type, 1);
      expect(sparse.losses[0]).toBeCloseTo(dense.losses[0], 5);
      expect([...sparse.weights.keys()]).toEqual([...dense.weights.keys()]); // export sees the same names, order, shapes
      for (const [name, w] of sparse.weights) expect(w.shape).toEqual(dense.weights.get(name)!.shape);
      expect(maxDifference(sparse.weights, dense.weights)).toBeLessThan(1e-5);
      sparse.model.params.dispose();
      dense.model.params.dispose();
    });
  }

  it('din with mini-batch aware L2: the same first step, then losses that stay close', async () => {
    const { sparse, dense } = await trainBoth('din', 6, (model) => ({ l2: { lambda: 0.01, targets: mbaTargets(model, data.train) } }));
    expect(sparse.reports[0].l2Loss).toBeGreaterThan(0);
    expect(sparse.losses[0]).toBeCloseTo(dense.losses[0], 5);
    for (let s = 0; s < 6; s++) expect(Math.abs(sparse.losses[s] - dense.losses[s])).toBeLessThan(0.02);
    expect(sparse.reports[0].l2Loss).toBeCloseTo(dense.reports[0].l2Loss, 3);
    sparse.model.params.dispose();
    dense.model.params.dispose();
  });

  it('evaluation during a sparse fit (batch-local tables) equals evaluation of the model after it', async () => {
    const { sparse, dense } = await trainBoth('din', 3);
    const after = await evaluate(sparse.model, data.test.limit(256));
    expect(after.auc).toBe(sparse.reports[0].auc);
    expect(after.logloss).toBeCloseTo(sparse.reports[0].logloss, 6);
    expect(sparse.model.params.hostNames()).toEqual([]); // back in tfjs after the fit
    sparse.model.params.dispose();
    dense.model.params.dispose();
  });
});

describe('catalogue training throughput', () => {
  it('measures samples/s of sparse and dense DIN steps over a small catalogue', async () => {
    for (const sparse of [true, false]) {
      const r = await measureTrainingThroughput({ items: 2000, steps: 2, batchSize: 16, sparse, warmupSteps: 1, maxHistory: 10 });
      expect(r.sparse).toBe(sparse);
      expect(r.samplesPerSecond).toBeGreaterThan(0);
      expect(Number.isFinite(r.samplesPerSecond)).toBe(true);
      expect(r.distinctItemsPerBatch).toBeGreaterThan(10);
      expect(r.distinctItemsPerBatch).toBeLessThanOrEqual(16 * 11);
    }
  });
});
