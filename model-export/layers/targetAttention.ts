/**
 * DIN's local activation unit (DIN paper §4.3, eq. 3):
 *   v_U(A) = Σ_j a(e_j, v_A)·e_j,   a = MLP([v_A, e_j, v_A − e_j, v_A ⊙ e_j])  (80 → 40 → 1, sigmoid hidden)
 * with weights NOT normalised by softmax (the paper keeps the intensity of interest) and padded
 * positions masked to 0.
 *
 * The first layer is linear, so W·[q, k, q−k, q⊙k] = (W_q + W_d)·q + (W_k − W_d)·k + W_p·(q⊙k):
 * the k-term is computed once per behaviour and the q-term once per candidate. Training uses the
 * same split (half the multiply-adds of the concatenated form) and the ONNX exporter relies on it.
 */
import * as tf from '@tensorflow/tfjs';
import { matMul } from './matmul.js';
import type { ParamStore } from './params.js';

export interface AttentionSpec {
  name: string;
  /** Width of q and k (2 × embedding dim). */
  dim: number;
  hidden: [number, number];
}

export function createTargetAttention(store: ParamStore, s: AttentionSpec): void {
  const [h1, h2] = s.hidden;
  for (const part of ['q', 'k', 'd', 'p']) store.dense(`${s.name}.0.${part}`, s.dim, h1);
  store.constant(`${s.name}.0.bias`, [h1], 0);
  store.dense(`${s.name}.1.kernel`, h1, h2);
  store.constant(`${s.name}.1.bias`, [h2], 0);
  store.dense(`${s.name}.out.kernel`, h2, 1);
  store.constant(`${s.name}.out.bias`, [1], 0);
}

/**
 * q [B, D] candidates, k [B, H, D] behaviours, mask [B, H] → attention weights [B, H] (masked).
 */
export function attentionWeights(store: ParamStore, s: AttentionSpec, q: tf.Tensor2D, k: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  const [B, H, D] = k.shape;
  const [h1] = s.hidden;
  const p = (n: string) => store.get(`${s.name}.${n}`) as tf.Tensor2D;
  const qTerm = tf.add(matMul(q, tf.add(p('0.q'), p('0.d'))), store.get(`${s.name}.0.bias`)).reshape([B, 1, h1]); // [B, 1, h1]
  const kFlat = k.reshape([B * H, D]); // [B·H, D]
  const kTerm = matMul(kFlat, tf.sub(p('0.k'), p('0.d'))).reshape([B, H, h1]); // [B, H, h1]
  const qk = tf.mul(q.reshape([B, 1, D]), k).reshape([B * H, D]); // [B·H, D]
  const pTerm = matMul(qk, p('0.p')).reshape([B, H, h1]); // [B, H, h1]
  const a1 = tf.sigmoid(tf.add(tf.add(pTerm, kTerm), qTerm)).reshape([B * H, h1]); // [B·H, h1]
  const a2 = tf.sigmoid(tf.add(matMul(a1, p('1.kernel')), store.get(`${s.name}.1.bias`))); // [B·H, h2]
  const w = tf.add(matMul(a2, p('out.kernel')), store.get(`${s.name}.out.bias`)).reshape([B, H]); // [B, H]
  return tf.mul(w, mask) as tf.Tensor2D;
}

/** Σ_j w_j·e_j: weights [B, H], k [B, H, D] → [B, D]. */
export function weightedSumPool(weights: tf.Tensor2D, k: tf.Tensor3D): tf.Tensor2D {
  const [B, H, D] = k.shape;
  return matMul(weights.reshape([B, 1, H]), k).reshape([B, D]); // [B, 1, H]·[B, H, D] → [B, D]
}
