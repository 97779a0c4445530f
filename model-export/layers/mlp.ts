/** A stack of dense layers with one activation kind, then a linear output unit. */
import * as tf from '@tensorflow/tfjs';
import { matMul } from './matmul.js';
import { applyActivation, createActivation, type Activation, type StateUpdates } from './activations.js';
import type { ParamStore } from './params.js';

export interface MlpSpec {
  name: string;
  inputs: number;
  hidden: number[];
  activation: Activation;
  /** Output units of the final linear layer (no activation). */
  outputs: number;
}

export function createMlp(store: ParamStore, spec: MlpSpec): void {
  let fanIn = spec.inputs;
  spec.hidden.forEach((units, i) => {
    store.dense(`${spec.name}.${i}.kernel`, fanIn, units);
    store.constant(`${spec.name}.${i}.bias`, [units], 0);
    createActivation(store, `${spec.name}.${i}.act`, spec.activation, units);
    fanIn = units;
  });
  store.dense(`${spec.name}.out.kernel`, fanIn, spec.outputs);
  store.constant(`${spec.name}.out.bias`, [spec.outputs], 0);
}

/** x [N, inputs] → [N, outputs]. */
export function applyMlp(
  store: ParamStore,
  spec: MlpSpec,
  x: tf.Tensor2D,
  training: boolean,
  updates?: StateUpdates,
): tf.Tensor2D {
  let h = x;
  spec.hidden.forEach((_, i) => {
    const z = tf.add(matMul(h, store.get(`${spec.name}.${i}.kernel`)), store.get(`${spec.name}.${i}.bias`)) as tf.Tensor2D;
    h = applyActivation(store, `${spec.name}.${i}.act`, spec.activation, z, training, updates);
  });
  return tf.add(matMul(h, store.get(`${spec.name}.out.kernel`)), store.get(`${spec.name}.out.bias`)) as tf.Tensor2D;
}
