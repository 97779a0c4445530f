/**
 * An embedding table [rows, dim] kept as a host Float32Array outside tfjs, for the large
 * item-indexed tables during training (train/sparseBatch.ts). A step reads and writes only the rows
 * of the ids in its batch, so its cost does not grow with the catalogue; a dense tf.Variable would
 * be rewritten whole by every Adam step.
 */
export class SparseTable {
  constructor(
    readonly rows: number,
    readonly dim: number,
    /** Row-major [rows · dim]. */
    readonly values: Float32Array,
  ) {
    if (values.length !== rows * dim) throw new Error(`a ${rows}×${dim} table needs ${rows * dim} values, got ${values.length}`);
  }

  /** Rows `ids` (global ids) as one row-major [ids.length · dim] array. */
  gather(ids: ArrayLike<number>, count = ids.length): Float32Array {
    const D = this.dim;
    const out = new Float32Array(count * D);
    for (let i = 0; i < count; i++) out.set(this.values.subarray(ids[i] * D, ids[i] * D + D), i * D);
    return out;
  }

  /** A copy of every row (early stopping's best-epoch weights). */
  copy(): Float32Array {
    return this.values.slice();
  }

  restore(values: Float32Array): void {
    this.values.set(values);
  }
}
