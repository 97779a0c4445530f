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
 * Sigmoid gates, not tf.layers' hard sigmoid. Input projections for all steps are one matmul;
 * the loop only does the recurrent [B, H]·[H, ·] products (per-step slicing of big tensors copies
 * them on the wasm backend).
 */
import * as tf from '@tensorflow/tfjs';
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

/** Input projections of every step: x [B, T, in] → per step [B, 3H] (u | r | h parts, biases added). */
export function projectInputs(store: ParamStore, s: GruSpec, x: tf.Tensor3D): tf.Tensor2D[] {
  const [B, T, I] = x.shape;
  const W = tf.concat(GRU_GATES.map((g) => store.get(`${s.name}.W_${g}`)), 1); // [in, 3H]
  const b = tf.concat(GRU_GATES.map((g) => store.get(`${s.name}.b_${g}`)), 0); // [3H]
  const xw = tf.add(tf.matMul(x.reshape([B * T, I]), W), b).reshape([B, T, 3 * s.hidden]); // [B, T, 3H]
  return tf.unstack(tf.transpose(xw, [1, 0, 2])) as tf.Tensor2D[]; // T × [B, 3H]
}

/**
 * One GRU step from projected input xw_t [B, 3H] and state h [B, H]. `scaleUpdate` [B, 1]
 * multiplies the update gate (AUGRU's attention, DIEN eq. 13); omitted for a plain GRU.
 */
export function gruStep(store: ParamStore, s: GruSpec, xw: tf.Tensor2D, h: tf.Tensor2D, scaleUpdate?: tf.Tensor2D): tf.Tensor2D {
  const H = s.hidden;
  const [xu, xr, xh] = tf.split(xw, [H, H, H], 1); // 3 × [B, H]
  const u0 = tf.sigmoid(tf.add(xu, tf.matMul(h, store.get(`${s.name}.U_u`) as tf.Tensor2D))); // [B, H]
  const r = tf.sigmoid(tf.add(xr, tf.matMul(h, store.get(`${s.name}.U_r`) as tf.Tensor2D))); // [B, H]
  const recurrent = tf.add(tf.matMul(h, store.get(`${s.name}.U_h`) as tf.Tensor2D), store.get(`${s.name}.b_hr`)); // [B, H]
  const candidate = tf.tanh(tf.add(xh, tf.mul(r, recurrent))); // [B, H]
  const u = scaleUpdate ? tf.mul(u0, scaleUpdate) : u0; // ũ_t = a_t · u_t
  return tf.add(h, tf.mul(u, tf.sub(candidate, h))) as tf.Tensor2D; // (1 − u)∘h + u∘h̃
}

/** Run the GRU over x [B, T, in] from a zero state → states h_1..h_T [B, T, H]. */
export function runGru(store: ParamStore, s: GruSpec, x: tf.Tensor3D): tf.Tensor3D {
  const steps = projectInputs(store, s, x);
  let h = tf.zeros([x.shape[0], s.hidden]) as tf.Tensor2D;
  const states: tf.Tensor2D[] = [];
  for (const xw of steps) {
    h = gruStep(store, s, xw, h);
    states.push(h);
  }
  return tf.stack(states, 1) as tf.Tensor3D; // [B, T, H]
}
