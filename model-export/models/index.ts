import type { ModelType } from '../../contract/manifest.js';
import { BaseModel } from './base.js';
import { DinModel } from './din.js';
import { DienModel } from './dien/dien.js';
import { LrModel } from './lr.js';
import type { CtrModel, ModelConfig } from './model.js';

export function createModel(config: ModelConfig, seed: number): CtrModel {
  switch (config.type) {
    case 'lr':
      return new LrModel(config, seed);
    case 'base':
      return new BaseModel(config, seed);
    case 'din':
      return new DinModel(config, seed);
    case 'dien':
      return new DienModel(config, seed);
  }
}

/** Defaults from the DIN paper / issue 2: embeddings 16 + 16, attention 80-40, MLP 200-80. */
export function defaultConfig(type: ModelType, itemCount: number, categoryCount: number): ModelConfig {
  return {
    type,
    itemCount,
    categoryCount,
    embeddingDim: 16,
    mlpHidden: [200, 80],
    mlpActivation: type === 'base' ? 'prelu' : 'dice',
    attentionHidden: [80, 40],
    ...(type === 'dien' ? { gruHidden: 32, auxWeight: 1, auxHidden: [100, 50] as [number, number] } : {}),
  };
}
