/**
 * Lazy Adam on host tables: only the rows a step touched get their moments and values updated,
 * as TensorFlow's LazyAdamOptimizer (tensorflow/addons) does for sparse gradients. Per touched
 * row j, with the global step t (1-based, shared with the dense Adam of the same fit):
 *   m_j ← β1·m_j + (1−β1)·g_j
 *   v_j ← β2·v_j + (1−β2)·g_j²
 *   w_j ← w_j − lr · (m_j / (1−β1^t)) / (√(v_j / (1−β2^t)) + ε)
 * which is tfjs's AdamOptimizer update written per row (Kingma & Ba 2015, Alg. 1, with ε outside
 * the bias-corrected root as tfjs places it). On a step where every row is touched it equals
 * dense Adam; untouched rows keep their value and moments (dense Adam would decay the moments and
 * keep moving the row by its old momentum).
 */
import type { SparseTable } from '../layers/sparseTable.js';

export interface AdamSettings {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  /** Default 1e-7: tfjs's float32 backend epsilon, which tf.train.adam uses when given none. */
  epsilon?: number;
}

export class LazyAdam {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private t = 0;
  private readonly moments = new Map<SparseTable, { m: Float32Array; v: Float32Array }>();

  constructor(s: AdamSettings) {
    this.learningRate = s.learningRate;
    this.beta1 = s.beta1 ?? 0.9;
    this.beta2 = s.beta2 ?? 0.999;
    this.epsilon = s.epsilon ?? 1e-7;
  }

  /** Starts step t + 1: call once per training step, before that step's `update`s. */
  beginStep(): void {
    this.t++;
  }

  get step(): number {
    return this.t;
  }

  /**
   * Apply the gradient rows `grad` ([count · dim], row-major) to rows `ids[from..count)` of `table`:
   * grad row i belongs to global row ids[i]. Each id must appear once (a batch's distinct ids).
   */
  update(table: SparseTable, ids: Int32Array, grad: Float32Array, from = 0, count = ids.length): void {
    if (this.t === 0) throw new Error('LazyAdam.update before beginStep');
    const D = table.dim;
    let state = this.moments.get(table);
    if (!state) this.moments.set(table, (state = { m: zeroed(table.values.length), v: zeroed(table.values.length) }));
    const { m, v } = state;
    const w = table.values;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    const lr = this.learningRate;
    const eps = this.epsilon;
    for (let i = from; i < count; i++) {
      const row = ids[i] * D;
      const g0 = i * D;
      for (let d = 0; d < D; d++) {
        const g = grad[g0 + d];
        const k = row + d;
        const mk = b1 * m[k] + (1 - b1) * g;
        const vk = b2 * v[k] + (1 - b2) * g * g;
        m[k] = mk;
        v[k] = vk;
        w[k] -= (lr * (mk / c1)) / (Math.sqrt(vk / c2) + eps);
      }
    }
  }
}

/**
 * A zero array with every page already written. A fresh typed array's pages are mapped lazily, so
 * otherwise the first touch of each page would cost a page fault inside some later step, spread
 * over the whole run; written here, the cost (seconds for 10^7 × 16 moments) falls on the first step.
 */
export function zeroed(length: number): Float32Array {
  return new Float32Array(length).fill(0);
}
