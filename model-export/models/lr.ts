/**
 * LR: logistic regression on the same one-hot features the other models see (the DIN paper's
 * first baseline). One weight per candidate item and category id, one per history item and
 * category id (a multi-hot bag: the history's weights are summed, padding masked):
 *   logit = b + w_item[c] + w_cat[c_cat] + Σ_t m_t·(u_item[h_t] + u_cat[h_cat_t])
 * The weight tables are [V, 1] "embeddings", so the same lookup and L2 code serve them.
 */
import * as tf from '@tensorflow/tfjs';
import { historyMask } from '../layers/behaviourEmbedding.js';
import { embeddingLookup } from '../layers/embedding.js';
import { ParamStore } from '../layers/params.js';
import type { BatchTensors, CtrModel, ForwardResult, ModelConfig } from './model.js';

export const LR_TABLES = {
  candidateItem: 'lr.cand_item',
  candidateCategory: 'lr.cand_cat',
  historyItem: 'lr.hist_item',
  historyCategory: 'lr.hist_cat',
  bias: 'lr.bias',
} as const;

export class LrModel implements CtrModel {
  readonly params: ParamStore;

  constructor(readonly config: ModelConfig, seed: number) {
    if (config.features?.length) throw new Error('lr takes item and category only: feature columns need base, din or dien');
    this.params = new ParamStore(seed);
    this.params.embedding(LR_TABLES.candidateItem, config.itemCount, 1, 0.01);
    this.params.embedding(LR_TABLES.candidateCategory, config.categoryCount, 1, 0.01);
    this.params.embedding(LR_TABLES.historyItem, config.itemCount, 1, 0.01);
    this.params.embedding(LR_TABLES.historyCategory, config.categoryCount, 1, 0.01);
    this.params.constant(LR_TABLES.bias, [1], 0);
  }

  forward(batch: BatchTensors, training: boolean): ForwardResult {
    return { logits: this.logits(batch, training) };
  }

  logits(batch: BatchTensors, _training: boolean): tf.Tensor1D {
    return tf.tidy(() => {
      const w = (name: string, ids: tf.Tensor) => embeddingLookup(this.params.get(name) as tf.Tensor2D, ids);
      const candidate = tf.add(w(LR_TABLES.candidateItem, batch.candidateItems), w(LR_TABLES.candidateCategory, batch.candidateCategories)).reshape([-1]); // [B]
      const perBehaviour = tf.add(w(LR_TABLES.historyItem, batch.historyItems), w(LR_TABLES.historyCategory, batch.historyCategories)).squeeze([2]); // [B, H]
      const history = tf.sum(tf.mul(perBehaviour, historyMask(batch.historyItems)), 1); // [B]
      return tf.add(tf.add(candidate, history), this.params.get(LR_TABLES.bias)) as tf.Tensor1D;
    });
  }
}
