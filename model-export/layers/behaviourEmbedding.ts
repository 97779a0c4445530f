/** Item + category embeddings concatenated: every behaviour and candidate is a 2D-vector e = [e_item, e_cat]. */
import * as tf from '@tensorflow/tfjs';
import { embeddingLookup } from './embedding.js';
import type { ParamStore } from './params.js';
import type { HashedItemIds } from '../../contract/hashedItems.js';
import { createQrEmbedding, hasQrEmbedding, qrItemEmbedding } from './qrEmbedding.js';

export interface EmbeddingSpec {
  itemCount: number;
  categoryCount: number;
  /** Width of each of the two embeddings (the behaviour vector is 2× this). */
  dim: number;
  /** Hashed item ids: quotient-remainder tables (layers/qrEmbedding.ts) instead of `emb.item`. */
  itemIds?: HashedItemIds;
}

export function createBehaviourEmbedding(store: ParamStore, spec: EmbeddingSpec): void {
  if (spec.itemIds) createQrEmbedding(store, spec.itemIds, spec.dim);
  else store.embedding('emb.item', spec.itemCount, spec.dim);
  store.embedding('emb.category', spec.categoryCount, spec.dim);
}

/**
 * items, categories int32 of shape S → [...S, 2D]; with candidate-attribute vectors (each
 * [...S, w], layers/featureEmbedding.ts) → [...S, 2D + Σw]: e = [e_item, e_cat, e_attr…].
 */
export function embedBehaviours(store: ParamStore, items: tf.Tensor, categories: tf.Tensor, attributes: readonly tf.Tensor[] = []): tf.Tensor {
  const e = hasQrEmbedding(store) ? qrItemEmbedding(store, items) : embeddingLookup(store.get('emb.item') as tf.Tensor2D, items);
  const c = embeddingLookup(store.get('emb.category') as tf.Tensor2D, categories);
  return tf.concat([e, c, ...attributes], -1);
}

/** 1 for real behaviours, 0 for padding (index 0): [B, H] float32. */
export function historyMask(items: tf.Tensor): tf.Tensor {
  return tf.cast(tf.notEqual(items, 0), 'float32');
}
