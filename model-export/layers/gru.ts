/**
 * GRU with one weight matrix per gate, written as an explicit per-step loop (DIEN paper eq. 1–4):
 *   u_t = σ(W_u·x_t + U_u·h_{t−1} + b_u)                       update gate
 *   r_t = σ(W_r·x_t + U_r·h_{t−1} + b_r)                       reset gate
 *   h̃_t = tanh(W_h·x_t + b_h + r_t ∘ (U_h·h_{t−1} + b_hr))      candidate state
 *   h_t = (1 − u_t) ∘ h_{t−1} + u_t ∘ h̃_t
 * The reset gate multiplies the recurrent term *after* its matmul and bias: ONNX's
 * `linear_before_reset = 1` form, so the exported `GRU` op computes exactly this cell (ONNX's
 * z gate is 1 − u: the exporter negates the update-gate weights).
 *
 * Sigmoid gates, not tf.layers' hard sigmoid. Steps come and go as separate [B, ·] tensors:
 * on the wasm backend every slice/unstack copies its whole source tensor, so slicing a [B, T, ·]
 * tensor per step costs O(T²) copies (measured: 220 ms per unstack of [50, 256, 96]).
 */
import * as tf from '@tensorflow/tfjs';
import { matMul } from './matmul.js';
import type { ParamStore } from './params.js';

export interface GruSpec {
  name: string;
  inputs: number;
  hidden: number;
}

export const GRU_GATES = ['u', 'r', 'h'] as const;

export function createGru(store: ParamStore, s: GruSpec): void {
  for (const g of GRU_GATES) {
    store.dense(`${s.name}.W_${g}`, s.inputs, s.hidden);
    store.dense(`${s.name}.U_${g}`, s.hidden, s.hidden);
    store.constant(`${s.name}.b_${g}`, [s.hidden], 0);
  }
  store.constant(`${s.name}.b_hr`, [s.hidden], 0);
}

/**
 * One GRU step from input x [B, in] and state h [B, H]. `scaleUpdate` [B, 1] multiplies the update
 * gate (AUGRU's attention, DIEN eq. 13); omitted for a plain GRU.
 */
export function gruStep(store: ParamStore, s: GruSpec, x: tf.Tensor2D, h: tf.Tensor2D, scaleUpdate?: tf.Tensor2D): tf.Tensor2D {
  const p = (n: string) => store.get(`${s.name}.${n}`) as tf.Tensor2D;
  const gate = (g: 'u' | 'r') => tf.sigmoid(tf.add(tf.add(matMul(x, p(`W_${g}`)), p(`b_${g}`)), matMul(h, p(`U_${g}`)))); // [B, H]
  const u0 = gate('u');
  const r = gate('r');
  const recurrent = tf.add(matMul(h, p('U_h')), p('b_hr')); // U_h·h + b_hr: [B, H]
  const candidate = tf.tanh(tf.add(tf.add(matMul(x, p('W_h')), p('b_h')), tf.mul(r, recurrent))); // [B, H]
  const u = scaleUpdate ? tf.mul(u0, scaleUpdate) : u0; // ũ_t = a_t · u_t
  return tf.add(h, tf.mul(u, tf.sub(candidate, h))) as tf.Tensor2D; // (1 − u)∘h + u∘h̃
}

/** Run the GRU over steps x_1..x_T (each [B, in]) from a zero state → states h_1..h_T (each [B, H]). */
export function runGru(store: ParamStore, s: GruSpec, steps: tf.Tensor2D[]): tf.Tensor2D[] {
  let h = tf.zeros([steps[0].shape[0], s.hidden]) as tf.Tensor2D;
  return steps.map((x) => (h = gruStep(store, s, x, h)));
}
