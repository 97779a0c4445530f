/** What every trainable CTR model exposes to the fit loop and the exporters. */
import type * as tf from '@tensorflow/tfjs';
import type { ModelType } from '../../contract/manifest.js';
import type { Activation, StateUpdates } from '../layers/activations.js';
import type { ParamStore } from '../layers/params.js';
import type { FeatureTensors, ModelFeature } from '../layers/featureEmbedding.js';
import type { MultiTaskConfig } from '../layers/multiTask.js';
import type { HashedItemIds } from '../../contract/hashedItems.js';

export interface ModelConfig {
  type: ModelType;
  itemCount: number;
  categoryCount: number;
  /** Width of the item and of the category embedding. */
  embeddingDim: number;
  mlpHidden: number[];
  mlpActivation: Activation;
  /** DIN: local activation unit hidden sizes. */
  attentionHidden: [number, number];
  /** DIEN: GRU state width (interest extractor and AUGRU). */
  gruHidden?: number;
  /** DIEN: weight α of the auxiliary loss, L = L_target + α·L_aux (0 disables it). */
  auxWeight?: number;
  /** DIEN: hidden sizes of the auxiliary network. */
  auxHidden?: [number, number];
  /** Feature columns (user, candidate, context) beyond item + category; none when absent. */
  features?: ModelFeature[];
  /** Multi-task kinds (ple, cgc, mmoe, shared-bottom): the head replacing the MLP (layers/multiTask.ts). */
  multiTask?: MultiTaskConfig;
  /** Multi-task kinds: the interest model under the head (default din). */
  backbone?: 'din' | 'dien';
  /**
   * Hashed item ids (the contract's format-3 `itemIds`): the item embedding is the quotient-remainder
   * pair of tables (layers/qrEmbedding.ts), `itemCount` is the virtual index space. Not for lr.
   */
  itemIds?: HashedItemIds;
}

export interface BatchTensors {
  /** [B, H] int32, right-padded with 0 */
  historyItems: tf.Tensor2D;
  historyCategories: tf.Tensor2D;
  /** [B] int32 */
  candidateItems: tf.Tensor1D;
  candidateCategories: tf.Tensor1D;
  /** [B, H] int32: a sampled behaviour the user did not click, per history position (DIEN's auxiliary loss). */
  negativeItems?: tf.Tensor2D;
  negativeCategories?: tf.Tensor2D;
  /** Feature-column inputs by graph input name: `hist_*`, `neg_*` [B, H(, M)], `cand_*`, `user_*`, `ctx_*` [B(, M)]. */
  features?: FeatureTensors;
}

export interface ForwardResult {
  /** [B] (multi-task models: the click task's) */
  logits: tf.Tensor1D;
  /** Multi-task models: per task (TASKS order: ctr, cvr) logits [B]. */
  taskLogits?: tf.Tensor1D[];
  /** Already weighted auxiliary loss, added to the target loss in training. */
  auxLoss?: tf.Scalar;
}

export interface CtrModel {
  readonly config: ModelConfig;
  readonly params: ParamStore;
  /** Logits [B]. `updates` collects Dice moving-moment updates in training mode. */
  logits(batch: BatchTensors, training: boolean, updates?: StateUpdates): tf.Tensor1D;
  /** Logits plus any auxiliary loss (training). */
  forward(batch: BatchTensors, training: boolean, updates?: StateUpdates): ForwardResult;
  /** Attention weight of each history position for the candidate, [B, T] (0 on padding); attention models only. */
  attentionWeights?(batch: BatchTensors): tf.Tensor2D;
}
