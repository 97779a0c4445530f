/**
 * The whole offline path on the real vendored data, briefly: MovieLens → `next` samples → contract
 * → BaseModel trained for a few hundred steps on wasm → test AUC far above chance. Catches a broken
 * pipeline (labels, encoding, gradients) that unit tests of the parts would miss.
 */
import { describe, expect, it } from 'vitest';
import { readMovieLens } from '../../model-export/data/movielens.js';
import { createModel, defaultConfig } from '../../model-export/models/index.js';
import { selectBackend } from '../../model-export/train/backend.js';
import { evaluate, fit } from '../../model-export/train/fit.js';
import { prepareData } from '../../model-export/train/pipeline.js';

describe('training on MovieLens', () => {
  it('BaseModel learns the next protocol in 150 steps (test AUC > 0.8)', async () => {
    await selectBackend('wasm', () => {});
    const data = prepareData(readMovieLens(), { protocol: 'next', seed: 1, maxHistory: 50, minItemCount: 2 });
    expect(data.train.positiveRate()).toBe(0.5);
    const model = createModel(defaultConfig('base', data.contract.itemCount, data.contract.categoryCount), 1);
    const before = await evaluate(model, data.test);
    const reports = await fit(model, data.train.limit(150 * 256), data.test, {
      epochs: 1,
      batchSize: 256,
      learningRate: 1e-3,
      seed: 1,
    });
    console.log(`before: AUC ${before.auc.toFixed(3)}; after 150 steps: AUC ${reports[0].auc.toFixed(3)}, GAUC ${reports[0].gauc.toFixed(3)}`);
    expect(before.auc).toBeLessThan(0.7);
    expect(reports[0].auc).toBeGreaterThan(0.8);
    model.params.dispose();
  });
});
