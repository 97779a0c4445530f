/** Creating models by type: every kind is registered in kinds.ts. */
import type { ModelType } from '../../contract/manifest.js';
import { MODEL_KINDS } from './kinds.js';
import type { CtrModel, ModelConfig } from './model.js';

export function createModel(config: ModelConfig, seed: number): CtrModel {
  if (config.features?.length && !MODEL_KINDS[config.type].features) throw new Error(`${config.type} takes item and category only: feature columns need base, din or dien`);
  // lr learns one weight per item index: a quotient-remainder product has no such row.
  if (config.itemIds && config.type === 'lr') throw new Error('lr has no embeddings to compose: hashed item ids (quotient-remainder) need base, din, dien or a multi-task kind');
  return MODEL_KINDS[config.type].create(config, seed);
}

/** Defaults from the DIN paper / issue 2: embeddings 16 + 16, attention 80-40, MLP 200-80 (Dice), then the kind's own. */
export function defaultConfig(type: ModelType, itemCount: number, categoryCount: number): ModelConfig {
  return {
    type,
    itemCount,
    categoryCount,
    embeddingDim: 16,
    mlpHidden: [200, 80],
    mlpActivation: 'dice',
    attentionHidden: [80, 40],
    ...MODEL_KINDS[type].defaults,
  };
}
