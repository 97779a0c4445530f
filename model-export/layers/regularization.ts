/**
 * Mini-batch aware L2 regularisation (DIN paper §4.3.1, eq. 4–6).
 *
 * Full L2 over embedding tables with millions of rows would touch every row on every step. The
 * paper regularises, per mini-batch, only the rows of ids that occur in it, each scaled by the
 * inverse of the id's frequency in the training set:
 *   L2(W) ≈ Σ_j (α_mj / n_j)·‖w_j‖²      (eq. 6; α_mj = 1 iff id j occurs in mini-batch m)
 * times λ. Rare ids are penalised more per occurrence than frequent ones, which keeps frequent ids
 * from being shrunk on every one of their many steps.
 */
import * as tf from '@tensorflow/tfjs';
import { embeddingLookup } from './embedding.js';

/** λ·Σ_{j ∈ ids} ‖table[j]‖² / n_j. `ids`: distinct ids of the batch; `inverseFrequency[j]` = 1/n_j. */
export function miniBatchAwareL2(table: tf.Tensor2D, ids: Int32Array, inverseFrequency: Float32Array, lambda: number): tf.Scalar {
  return weightedRowsL2(table, ids, Float32Array.from(ids, (j) => inverseFrequency[j]), lambda);
}

/**
 * λ·Σ_i weights[i]·‖table[rows[i]]‖²: eq. 6 once the rows and their 1/n_j are known. Sparse training
 * passes a batch-local table, its local rows and the global ids' inverse frequencies.
 */
export function weightedRowsL2(table: tf.Tensor2D, rows: Int32Array, weights: Float32Array, lambda: number): tf.Scalar {
  return tf.tidy(() => {
    if (rows.length === 0) return tf.scalar(0);
    const w = embeddingLookup(table, tf.tensor1d(rows, 'int32')); // [N, D]; the gradient only reaches these rows
    return tf.mul(tf.sum(tf.mul(tf.sum(tf.square(w), 1), tf.tensor1d(weights))), lambda) as tf.Scalar;
  });
}

/** Distinct non-padding ids (index 0 is padding and never regularised) of the given index arrays. */
export function distinctIds(...arrays: Int32Array[]): Int32Array {
  const seen = new Set<number>();
  for (const a of arrays) for (let i = 0; i < a.length; i++) if (a[i] !== 0) seen.add(a[i]);
  return Int32Array.from([...seen].sort((x, y) => x - y));
}

/**
 * 1/n_j per id, n_j = occurrences of id j in the training samples (as a history behaviour or as
 * the candidate). Ids that never occur get 0: they never appear in a batch either.
 */
export function inverseFrequencies(rows: number, occurrences: Iterable<Int32Array>): Float32Array {
  const counter = new IdCounter(rows);
  for (const ids of occurrences) counter.add(ids);
  return counter.inverse();
}

/** n_j counted a batch at a time, so a streamed training set is counted without being held. */
export class IdCounter {
  private readonly counts: Float64Array;
  constructor(rows: number) {
    this.counts = new Float64Array(rows);
  }
  add(ids: Int32Array): void {
    const counts = this.counts;
    for (let i = 0; i < ids.length; i++) if (ids[i] !== 0) counts[ids[i]]++;
  }
  /** 1/n_j per row; `unseen` where n_j = 0 (0: such a row never reaches a batch). */
  inverse(unseen = 0): Float32Array {
    return Float32Array.from(this.counts, (n) => (n > 0 ? 1 / n : unseen));
  }
}
