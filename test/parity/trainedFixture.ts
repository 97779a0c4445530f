/**
 * A small but non-trivial trained model for parity tests: the real default architecture (H = 50,
 * embeddings 16 + 16, attention 80-40, MLP 200-80) over a synthetic vocabulary, trained for a few
 * steps so weights and Dice moving moments are far from their initial values.
 */
import seedrandom from 'seedrandom';
import type { FeatureContract } from '../../contract/featureContract.js';
import type { BehaviourLog } from '../../model-export/data/behaviourLog.js';
import { createModel, defaultConfig } from '../../model-export/models/index.js';
import type { CtrModel } from '../../model-export/models/model.js';
import type { ModelType } from '../../contract/manifest.js';
import { fit } from '../../model-export/train/fit.js';
import { prepareData } from '../../model-export/train/pipeline.js';

/** Synthetic log: 200 users, 300 items in 12 categories, users prefer 2 categories each. */
export function syntheticLog(seed = 7): BehaviourLog {
  const rng = seedrandom(`synthetic:${seed}`);
  const itemCategory = new Map<string, string>();
  for (let i = 0; i < 300; i++) itemCategory.set(String(1000 + i), `cat${i % 12}`);
  const timelines = new Map<string, Array<{ item: string; time: number; value: number }>>();
  for (let u = 1; u <= 200; u++) {
    const liked = [Math.floor(rng() * 12), Math.floor(rng() * 12)];
    const n = 5 + Math.floor(rng() * 80);
    const tl = [];
    for (let t = 0; t < n; t++) {
      const fav = rng() < 0.7;
      const cat = fav ? liked[Math.floor(rng() * 2)] : Math.floor(rng() * 12);
      const item = 1000 + cat + 12 * Math.floor(rng() * 25);
      tl.push({ item: String(item), time: t, value: fav ? 4 + Math.round(rng()) : 1 + Math.floor(rng() * 3) });
    }
    timelines.set(String(u), tl);
  }
  return { timelines, itemCategory, source: 'synthetic' };
}

export async function trainedFixture(type: ModelType, steps = 30): Promise<{ model: CtrModel; contract: FeatureContract; log: BehaviourLog }> {
  const log = syntheticLog();
  const data = prepareData(log, { protocol: 'next', seed: 1, maxHistory: 50, minItemCount: 2, negativeSequences: type === 'dien' });
  const model = createModel(defaultConfig(type, data.contract.itemCount, data.contract.categoryCount), 3);
  await fit(model, data.train.limit(steps * 64), data.test, { epochs: 1, batchSize: 64, learningRate: 3e-3, seed: 1 });
  return { model, contract: data.contract, log };
}
