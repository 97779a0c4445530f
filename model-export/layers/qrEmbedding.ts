/**
 * Quotient-remainder item embedding (Shi et al., "Compositional Embeddings Using Complementary
 * Partitions for Memory-Efficient Recommendation Systems", KDD 2020) for hashed item ids
 * (contract/hashedItems.ts): index i is embedded as Q[⌊i/m⌋] ⊙ R[i mod m]. The element-wise
 * product is the combination the paper found best (ahead of sum and concatenation); (⌊i/m⌋, i mod m)
 * is unique per i, so two indices never share both rows.
 *
 * The ONNX mirror is model-export/onnx/qrEmbedding.ts; both read m off the remainder table's rows.
 */
import * as tf from '@tensorflow/tfjs';
import { qrRows, type HashedItemIds } from '../../contract/hashedItems.js';
import { embeddingLookup } from './embedding.js';
import type { ParamStore } from './params.js';

/** ParamStore names of the two tables (the exporter reads them by these names). */
export const QR_TABLES = { quotient: 'emb.item.quotient', remainder: 'emb.item.remainder' } as const;

/**
 * Each factor ~ N(0, √0.05), so the product's entries have the standard deviation 0.05 of the
 * plain item table (layers/params.ts): the model starts at the same scale either way.
 */
const FACTOR_STDDEV = Math.sqrt(0.05);

export function createQrEmbedding(store: ParamStore, spec: Pick<HashedItemIds, 'buckets' | 'remainder'>, dim: number): void {
  const rows = qrRows(spec);
  store.embedding(QR_TABLES.quotient, rows.quotient, dim, FACTOR_STDDEV);
  store.embedding(QR_TABLES.remainder, rows.remainder, dim, FACTOR_STDDEV);
}

/** Whether the store holds a quotient-remainder item embedding (rather than `emb.item`). */
export function hasQrEmbedding(store: ParamStore): boolean {
  return store.names().includes(QR_TABLES.quotient);
}

/** Q [⌈V/m⌉, D], R [m, D], indices int32 of shape S (all ≥ 0) → Q[⌊i/m⌋] ⊙ R[i mod m], [...S, D]. */
export function qrLookup(quotient: tf.Tensor2D, remainder: tf.Tensor2D, indices: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const m = tf.scalar(remainder.shape[0], 'int32');
    const q = tf.floorDiv(indices, m); // indices are ≥ 0: floor = truncation, as ONNX's integer Div
    const r = tf.sub(indices, tf.mul(q, m)); // i mod m, written as the ONNX graph computes it
    return tf.mul(embeddingLookup(quotient, q), embeddingLookup(remainder, r));
  });
}

/** The item embedding of a store with QR tables: indices S → [...S, D]. */
export function qrItemEmbedding(store: ParamStore, items: tf.Tensor): tf.Tensor {
  return qrLookup(store.get(QR_TABLES.quotient) as tf.Tensor2D, store.get(QR_TABLES.remainder) as tf.Tensor2D, items);
}
