/**
 * DIN (Zhou et al., KDD 2018): the history is pooled with weights from the local activation unit
 * (eq. 3, see layers/targetAttention.ts), concatenated with the candidate, and scored by an MLP
 * 200-80 with Dice (eq. 9).
 */
import * as tf from '@tensorflow/tfjs';
import { createBehaviourEmbedding, embedBehaviours, historyMask } from '../layers/behaviourEmbedding.js';
import type { StateUpdates } from '../layers/activations.js';
import { applyMlp, createMlp, type MlpSpec } from '../layers/mlp.js';
import { ParamStore } from '../layers/params.js';
import { attributeVectors, attributeWidth, createFeatureTables, requestVector, requestWidth } from '../layers/featureEmbedding.js';
import { attentionWeights, createTargetAttention, weightedSumPool, type AttentionSpec } from '../layers/targetAttention.js';
import type { BatchTensors, CtrModel, ForwardResult, ModelConfig } from './model.js';
import { applyMultiTask, createMultiTask, multiTaskSpecOf, type MultiTaskSpec } from '../layers/multiTask.js';

export class DinModel implements CtrModel {
  readonly params: ParamStore;
  /** The output MLP, or (multi-task kinds) the multi-task head in its place. */
  readonly mlp?: MlpSpec;
  readonly multiTask?: MultiTaskSpec;
  readonly attention: AttentionSpec;

  constructor(readonly config: ModelConfig, seed: number) {
    this.params = new ParamStore(seed);
    const D = 2 * config.embeddingDim + attributeWidth(config.features);
    createBehaviourEmbedding(this.params, { itemCount: config.itemCount, categoryCount: config.categoryCount, dim: config.embeddingDim, itemIds: config.itemIds });
    this.attention = { name: 'att', dim: D, hidden: config.attentionHidden };
    createTargetAttention(this.params, this.attention);
    const inputs = 2 * D + requestWidth(config.features);
    if (config.multiTask) createMultiTask(this.params, (this.multiTask = multiTaskSpecOf(config.multiTask, inputs)));
    else createMlp(this.params, (this.mlp = { name: 'mlp', inputs, hidden: config.mlpHidden, activation: config.mlpActivation, outputs: 1 }));
    createFeatureTables(this.params, config.features ?? []); // last: models without features keep their initial weights
  }

  /** Behaviours k [B, H, D] and candidates q [B, D], D = item + category + candidate attributes. */
  private embed(batch: BatchTensors): { k: tf.Tensor3D; q: tf.Tensor2D } {
    const f = this.config.features ?? [];
    return {
      k: embedBehaviours(this.params, batch.historyItems, batch.historyCategories, attributeVectors(this.params, f, batch.features, 'hist')) as tf.Tensor3D,
      q: embedBehaviours(this.params, batch.candidateItems, batch.candidateCategories, attributeVectors(this.params, f, batch.features, 'cand')) as tf.Tensor2D,
    };
  }

  /** Attention weights [B, H], DIN eq. (3) (explanations; the ONNX graph's `attention` output). */
  attentionWeights(batch: BatchTensors): tf.Tensor2D {
    return tf.tidy(() => {
      const { k, q } = this.embed(batch);
      return attentionWeights(this.params, this.attention, q, k, historyMask(batch.historyItems) as tf.Tensor2D);
    });
  }

  logits(batch: BatchTensors, training: boolean, updates?: StateUpdates): tf.Tensor1D {
    return this.forward(batch, training, updates).logits;
  }

  forward(batch: BatchTensors, training: boolean, updates?: StateUpdates): ForwardResult {
    return tf.tidy(() => {
      const { k, q } = this.embed(batch); // [B, H, D], [B, D]
      const mask = historyMask(batch.historyItems) as tf.Tensor2D; // [B, H]
      const w = attentionWeights(this.params, this.attention, q, k, mask); // [B, H]
      const pooled = weightedSumPool(w, k); // [B, D]
      const r = requestVector(this.params, this.config.features ?? [], batch.features); // user + context [B, U]
      const x = tf.concat(r ? [pooled, q, r] : [pooled, q], 1) as tf.Tensor2D; // [B, 2D (+ U)]
      if (this.multiTask) {
        const taskLogits = applyMultiTask(this.params, this.multiTask, x);
        return { logits: taskLogits[0], taskLogits };
      }
      return { logits: applyMlp(this.params, this.mlp!, x, training, updates).reshape([-1]) as tf.Tensor1D };
    });
  }
}
