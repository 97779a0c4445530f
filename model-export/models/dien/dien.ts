/**
 * DIEN (Zhou et al., AAAI 2019).
 *   interest extractor: GRU over the behaviour embeddings → h_1..h_T          (eq. 1–4)
 *   auxiliary loss: [h_t, e_{t+1}] (clicked) vs [h_t, ê_{t+1}] (sampled, not
 *     clicked); L = L_target + α·L_aux                                       (eq. 6–7)
 *     σ(h, e) is a small MLP as in the official code (the paper writes an inner product)
 *   attention: a_t = softmax_t(h_t·W·e_a), the paper's bilinear form, masked (eq. 12)
 *   interest evolution: AUGRU over h_t with a_t → h'_T                         (eq. 13–14)
 *   output: MLP 200-80 (Dice) over [h'_T, e_a, Σ e_j, e_a ⊙ Σ e_j].
 */
import * as tf from '@tensorflow/tfjs';
import { matMul } from '../../layers/matmul.js';
import type { StateUpdates } from '../../layers/activations.js';
import { createBehaviourEmbedding, embedBehaviours, historyMask } from '../../layers/behaviourEmbedding.js';
import { createGru, runGru, type GruSpec } from '../../layers/gru.js';
import { applyMlp, createMlp, type MlpSpec } from '../../layers/mlp.js';
import { ParamStore } from '../../layers/params.js';
import { attributeVectors, attributeWidth, createFeatureTables, requestVector, requestWidth, type FeatureTensors } from '../../layers/featureEmbedding.js';
import type { BatchTensors, CtrModel, ForwardResult, ModelConfig } from '../model.js';
import { applyMultiTask, createMultiTask, multiTaskSpecOf, type MultiTaskSpec } from '../../layers/multiTask.js';
import { runAugru } from './augru.js';

/** Added to masked attention scores before the softmax: exp underflows to exactly 0. */
export const MASKED_SCORE = -1e9;

export class DienModel implements CtrModel {
  readonly params: ParamStore;
  readonly extractor: GruSpec;
  readonly evolution: GruSpec;
  readonly aux: MlpSpec;
  /** The output MLP, or (multi-task kinds) the multi-task head in its place. */
  readonly mlp?: MlpSpec;
  readonly multiTask?: MultiTaskSpec;
  readonly auxWeight: number;

  constructor(readonly config: ModelConfig, seed: number) {
    this.params = new ParamStore(seed);
    const D = 2 * config.embeddingDim + attributeWidth(config.features);
    const H = config.gruHidden ?? D;
    this.auxWeight = config.auxWeight ?? 1;
    createBehaviourEmbedding(this.params, { itemCount: config.itemCount, categoryCount: config.categoryCount, dim: config.embeddingDim, itemIds: config.itemIds });
    this.extractor = { name: 'gru', inputs: D, hidden: H };
    createGru(this.params, this.extractor);
    this.aux = { name: 'aux', inputs: H + D, hidden: config.auxHidden ?? [100, 50], activation: 'sigmoid', outputs: 1 };
    createMlp(this.params, this.aux);
    this.params.dense('att.W', H, D);
    this.evolution = { name: 'augru', inputs: H, hidden: H };
    createGru(this.params, this.evolution);
    const inputs = H + 3 * D + requestWidth(config.features);
    if (config.multiTask) createMultiTask(this.params, (this.multiTask = multiTaskSpecOf(config.multiTask, inputs)));
    else createMlp(this.params, (this.mlp = { name: 'mlp', inputs, hidden: config.mlpHidden, activation: config.mlpActivation, outputs: 1 }));
    createFeatureTables(this.params, config.features ?? []); // last: models without features keep their initial weights
  }

  /** Behaviour vectors e = [item, category, candidate attributes] of `prefix_*` inputs. */
  private embedAs(items: tf.Tensor, categories: tf.Tensor, features: FeatureTensors | undefined, prefix: 'hist' | 'cand' | 'neg'): tf.Tensor {
    return embedBehaviours(this.params, items, categories, attributeVectors(this.params, this.config.features ?? [], features, prefix));
  }

  /** The candidate-attribute inputs of `prefix` (`hist`, `neg`) transformed per tensor, as `hist_*` inputs. */
  private attributeInputs(features: FeatureTensors | undefined, prefix: 'hist' | 'neg', f: (x: tf.Tensor) => tf.Tensor): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const feature of this.config.features ?? []) if (feature.group === 'candidate') out[`hist_${feature.name}`] = f(features![`${prefix}_${feature.name}`]);
    return out;
  }

  logits(batch: BatchTensors, training: boolean, updates?: StateUpdates): tf.Tensor1D {
    return this.forward(batch, training, updates).logits;
  }

  /** DIEN eq. (12): a_t = softmax_t(h_t·W·e_a) over real behaviours → [B, T] (0 on padding). */
  attention(interests: tf.Tensor2D[], q: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
    const wq = matMul(q, tf.transpose(this.params.get('att.W') as tf.Tensor2D)); // W·e_a: [B, H]
    const scores = tf.stack(interests.map((h) => tf.sum(tf.mul(h, wq), 1)), 1); // h_t·W·e_a: [B, T]
    const masked = tf.add(scores, tf.mul(tf.sub(1, mask), MASKED_SCORE)); // padding → −1e9
    return tf.mul(tf.softmax(masked), mask) as tf.Tensor2D; // an all-padding row gives all zeros
  }

  /** Interest states h_1..h_T of the extractor GRU (eq. 1–4), T × [B, H]. */
  private interests(batch: BatchTensors): tf.Tensor2D[] {
    // Per-step inputs come from per-step lookups: slicing e per step would copy it T times (wasm).
    const stepItems = tf.unstack(tf.transpose(batch.historyItems)); // T × [B] int32 (small)
    const stepCategories = tf.unstack(tf.transpose(batch.historyCategories));
    const hasAttributes = (this.config.features ?? []).some((f) => f.group === 'candidate');
    const stepAttributes = hasAttributes ? this.attributeInputs(batch.features, 'hist', (x) => x) : {};
    const attributesAt = (t: number) => {
      const out: Record<string, tf.Tensor> = {};
      for (const [name, x] of Object.entries(stepAttributes)) out[name] = tf.squeeze(tf.slice(x, [0, t], [-1, 1]), [1]); // [B(, M)]
      return out;
    };
    const steps = stepItems.map((items, t) => this.embedAs(items, stepCategories[t], hasAttributes ? attributesAt(t) : undefined, 'hist') as tf.Tensor2D); // T × [B, D]
    return runGru(this.params, this.extractor, steps);
  }

  /** The evolution attention a_t (eq. 12) per history position, [B, T]: the graph's `attention` output. */
  attentionWeights(batch: BatchTensors): tf.Tensor2D {
    return tf.tidy(() => {
      const q = this.embedAs(batch.candidateItems, batch.candidateCategories, batch.features, 'cand') as tf.Tensor2D; // [B, D]
      return this.attention(this.interests(batch), q, historyMask(batch.historyItems) as tf.Tensor2D);
    });
  }

  forward(batch: BatchTensors, training: boolean, updates?: StateUpdates): ForwardResult {
    return tf.tidy(() => {
      const [B, T] = batch.historyItems.shape;
      const e = this.embedAs(batch.historyItems, batch.historyCategories, batch.features, 'hist') as tf.Tensor3D; // [B, T, D]
      const q = this.embedAs(batch.candidateItems, batch.candidateCategories, batch.features, 'cand') as tf.Tensor2D; // [B, D]
      const mask = historyMask(batch.historyItems) as tf.Tensor2D; // [B, T]
      const interests = this.interests(batch); // T × [B, H]
      const a = this.attention(interests, q, mask); // [B, T]
      const evolved = runAugru(this.params, this.evolution, interests, a); // [B, H]
      const pooled = tf.sum(tf.mul(e, mask.expandDims(2)), 1) as tf.Tensor2D; // [B, D]
      const r = requestVector(this.params, this.config.features ?? [], batch.features); // user + context [B, U]
      const x = tf.concat([evolved, q, pooled, tf.mul(q, pooled), ...(r ? [r] : [])], 1) as tf.Tensor2D; // [B, H + 3D (+ U)]
      const taskLogits = this.multiTask ? applyMultiTask(this.params, this.multiTask, x) : undefined;
      const logits = taskLogits ? taskLogits[0] : (applyMlp(this.params, this.mlp!, x, training, updates).reshape([-1]) as tf.Tensor1D);
      const tasks = taskLogits ? { taskLogits } : {};
      if (!training || this.auxWeight === 0 || T < 2 || !batch.negativeItems || !batch.negativeCategories) return { logits, ...tasks };
      // Pairs (h_t, e_{t+1}) for t = 1..T−1: the "next" behaviours come from shifted index tensors.
      const next = <X extends tf.Tensor>(x: X) => tf.slice(x, [0, 1], [B, T - 1]) as X; // [B, T−1(, M)]
      const hPrev = tf.stack(interests.slice(0, T - 1), 1) as tf.Tensor3D; // [B, T−1, H]
      const clicked = this.embedAs(next(batch.historyItems), next(batch.historyCategories), this.attributeInputs(batch.features, 'hist', next), 'hist') as tf.Tensor3D; // [B, T−1, D]
      const sampled = this.embedAs(next(batch.negativeItems), next(batch.negativeCategories), this.attributeInputs(batch.features, 'neg', next), 'hist') as tf.Tensor3D; // [B, T−1, D]
      const aux = this.auxiliaryLoss(hPrev, clicked, sampled, next(mask) as tf.Tensor2D);
      return { logits, ...tasks, auxLoss: tf.mul(aux, this.auxWeight) as tf.Scalar };
    });
  }

  /**
   * DIEN eq. (6): −Σ_t [log σ(h_t, e_{t+1}) + log(1 − σ(h_t, ê_{t+1}))] averaged over the real pairs
   * of the batch. Inputs are aligned pairs: interests h_t [B, P, H], the clicked next behaviour
   * e_{t+1} and the sampled one ê_{t+1} [B, P, D], and pairMask [B, P] (1 iff e_{t+1} is real).
   * A history of length ≤ 1 has no pair and contributes 0 (the official code crashes there).
   */
  auxiliaryLoss(interests: tf.Tensor3D, clicked: tf.Tensor3D, sampled: tf.Tensor3D, pairMask: tf.Tensor2D): tf.Scalar {
    const [B, P, H] = interests.shape;
    const D = clicked.shape[2];
    const h = interests.reshape([B * P, H]);
    const m = pairMask.reshape([-1]); // [B·P]
    const score = (x: tf.Tensor3D) => applyMlp(this.params, this.aux, tf.concat([h, x.reshape([B * P, D])], 1) as tf.Tensor2D, true).reshape([-1]); // [B·P]
    const pos = tf.losses.sigmoidCrossEntropy(tf.onesLike(m), score(clicked), m, 0, tf.Reduction.NONE);
    const neg = tf.losses.sigmoidCrossEntropy(tf.zerosLike(m), score(sampled), m, 0, tf.Reduction.NONE);
    return tf.div(tf.sum(tf.add(pos, neg)), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
  }
}
