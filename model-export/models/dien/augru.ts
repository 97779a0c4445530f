/**
 * AUGRU, DIEN's interest-evolving layer (DIEN paper eq. 13–14): a GRU whose update gate is scaled
 * by the attention score of each step, ũ_t = a_t·u_t, h'_t = (1 − ũ_t)∘h'_{t−1} + ũ_t∘h̃'_t.
 * Padded steps have a_t = 0, so they leave the state unchanged and h'_T is the state after the
 * last real behaviour whatever the padding. Only DIEN uses it, so it lives with DIEN.
 */
import * as tf from '@tensorflow/tfjs';
import { gruStep, type GruSpec } from '../../layers/gru.js';
import type { ParamStore } from '../../layers/params.js';

/** interests h_1..h_T (each [B, H]), attention [B, T] → final evolved interest h'_T [B, H]. */
export function runAugru(store: ParamStore, s: GruSpec, interests: tf.Tensor2D[], attention: tf.Tensor2D): tf.Tensor2D {
  const [B, T] = attention.shape;
  const scales = tf.unstack(tf.transpose(attention).reshape([T, B, 1])) as tf.Tensor2D[]; // T × [B, 1] (small: [B, T])
  let h = tf.zeros([B, s.hidden]) as tf.Tensor2D;
  interests.forEach((x, t) => {
    h = gruStep(store, s, x, h, scales[t]);
  });
  return h;
}
