/** Random serving feeds for the shipped models; the models themselves: model-export/shippedModels.ts. */
import { FIRST_INDEX } from '../../contract/featureContract.js';
import { SERVING_INPUTS, type ModelManifest } from '../../contract/manifest.js';
import type { Feeds } from './ortRuntimes.js';

export { loadShippedModel, MODELS_DIR, REPO_ROOT, shippedModelNames, vocabularySizes, type ShippedModel } from '../../model-export/shippedModels.js';

/**
 * One request's feeds: T history and C candidate items drawn uniformly from the vocabulary (valid
 * indices ≥ 2, each with its own category). T may exceed the contract's maxHistory: the graph takes any T.
 */
export function randomServingFeeds(manifest: ModelManifest, random: () => number, T: number, C: number): Feeds {
  const { items, itemCategories } = manifest.featureContract;
  const draw = (n: number) => {
    const item = new Int32Array(n);
    const category = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const j = Math.floor(random() * items.length);
      item[i] = j + FIRST_INDEX;
      category[i] = itemCategories[j];
    }
    return { item, category };
  };
  const h = draw(T);
  const c = draw(C);
  return {
    [SERVING_INPUTS.historyItems]: { type: 'int32', data: h.item, dims: [T] },
    [SERVING_INPUTS.historyCategories]: { type: 'int32', data: h.category, dims: [T] },
    [SERVING_INPUTS.candidateItems]: { type: 'int32', data: c.item, dims: [C] },
    [SERVING_INPUTS.candidateCategories]: { type: 'int32', data: c.category, dims: [C] },
  };
}
