/**
 * BaseModel (DIN paper §4.2, "Embedding & MLP"): the history is sum-pooled (padding masked),
 * concatenated with the candidate, and fed to an MLP.
 */
import * as tf from '@tensorflow/tfjs';
import { createBehaviourEmbedding, embedBehaviours, historyMask } from '../layers/behaviourEmbedding.js';
import type { StateUpdates } from '../layers/activations.js';
import { applyMlp, createMlp, type MlpSpec } from '../layers/mlp.js';
import { ParamStore } from '../layers/params.js';
import { attributeVectors, attributeWidth, createFeatureTables, requestVector, requestWidth } from '../layers/featureEmbedding.js';
import type { BatchTensors, CtrModel, ForwardResult, ModelConfig } from './model.js';

export class BaseModel implements CtrModel {
  readonly params: ParamStore;
  readonly mlp: MlpSpec;

  constructor(readonly config: ModelConfig, seed: number) {
    this.params = new ParamStore(seed);
    const D = 2 * config.embeddingDim + attributeWidth(config.features);
    createBehaviourEmbedding(this.params, { itemCount: config.itemCount, categoryCount: config.categoryCount, dim: config.embeddingDim, itemIds: config.itemIds });
    this.mlp = { name: 'mlp', inputs: 2 * D + requestWidth(config.features), hidden: config.mlpHidden, activation: config.mlpActivation, outputs: 1 };
    createMlp(this.params, this.mlp);
    createFeatureTables(this.params, config.features ?? []); // last: models without features keep their initial weights
  }

  forward(batch: BatchTensors, training: boolean, updates?: StateUpdates): ForwardResult {
    return { logits: this.logits(batch, training, updates) };
  }

  logits(batch: BatchTensors, training: boolean, updates?: StateUpdates): tf.Tensor1D {
    return tf.tidy(() => {
      const f = this.config.features ?? [];
      const k = embedBehaviours(this.params, batch.historyItems, batch.historyCategories, attributeVectors(this.params, f, batch.features, 'hist')) as tf.Tensor3D; // [B, H, D]
      const mask = historyMask(batch.historyItems); // [B, H]
      const pooled = tf.sum(tf.mul(k, mask.expandDims(2)), 1) as tf.Tensor2D; // [B, D]
      const q = embedBehaviours(this.params, batch.candidateItems, batch.candidateCategories, attributeVectors(this.params, f, batch.features, 'cand')) as tf.Tensor2D; // [B, D]
      const r = requestVector(this.params, f, batch.features); // user + context [B, U]
      const x = tf.concat(r ? [pooled, q, r] : [pooled, q], 1); // [B, 2D (+ U)]
      return applyMlp(this.params, this.mlp, x, training, updates).reshape([-1]) as tf.Tensor1D;
    });
  }
}
