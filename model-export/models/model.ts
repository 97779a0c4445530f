/** What every trainable CTR model exposes to the fit loop and the exporters. */
import type * as tf from '@tensorflow/tfjs';
import type { ModelType } from '../../contract/manifest.js';
import type { Activation, StateUpdates } from '../layers/activations.js';
import type { ParamStore } from '../layers/params.js';

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
}

export interface BatchTensors {
  /** [B, H] int32, right-padded with 0 */
  historyItems: tf.Tensor2D;
  historyCategories: tf.Tensor2D;
  /** [B] int32 */
  candidateItems: tf.Tensor1D;
  candidateCategories: tf.Tensor1D;
}

export interface CtrModel {
  readonly config: ModelConfig;
  readonly params: ParamStore;
  /** Logits [B]. `updates` collects Dice moving-moment updates in training mode. */
  logits(batch: BatchTensors, training: boolean, updates?: StateUpdates): tf.Tensor1D;
}
