/**
 * MLP activations: PReLU and Dice (DIN paper §4.3, eq. 9).
 *
 * Dice: f(s) = p(s)·s + (1 − p(s))·α·s with p(s) = sigmoid((s − E[s]) / sqrt(Var[s] + ε)).
 * Training uses the mini-batch moments; inference uses moving averages, so scoring one request
 * alone gives exactly the score it gets inside any batch. Like the official implementation the
 * normalisation has no learned scale or shift.
 */
import * as tf from '@tensorflow/tfjs';
import type { ParamStore } from './params.js';

export const DICE_EPSILON = 1e-8;
export const DICE_MOMENTUM = 0.99;

export type Activation = 'prelu' | 'dice' | 'sigmoid' | 'relu';

/** Moving-moment updates collected during a training forward pass, applied after the step. */
export interface StateUpdates {
  pending: Array<{ target: tf.Variable; batchValue: tf.Tensor }>;
}

export function createActivation(store: ParamStore, name: string, kind: Activation, units: number): void {
  if (kind === 'prelu') store.constant(`${name}.alpha`, [units], 0.25);
  if (kind === 'dice') {
    store.constant(`${name}.alpha`, [units], 0);
    store.constant(`${name}.movingMean`, [units], 0, false);
    store.constant(`${name}.movingVariance`, [units], 1, false);
  }
}

/** x [N, units] → [N, units]. */
export function applyActivation(
  store: ParamStore,
  name: string,
  kind: Activation,
  x: tf.Tensor2D,
  training: boolean,
  updates?: StateUpdates,
): tf.Tensor2D {
  switch (kind) {
    case 'relu':
      return tf.relu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'prelu': {
      const alpha = store.get(`${name}.alpha`);
      return tf.add(tf.relu(x), tf.mul(alpha, tf.minimum(x, 0))) as tf.Tensor2D;
    }
    case 'dice': {
      const alpha = store.get(`${name}.alpha`);
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      if (training) {
        ({ mean, variance } = tf.moments(x, 0));
        updates?.pending.push(
          { target: store.get(`${name}.movingMean`), batchValue: tf.keep(mean) },
          { target: store.get(`${name}.movingVariance`), batchValue: tf.keep(variance) },
        );
      } else {
        mean = store.get(`${name}.movingMean`);
        variance = store.get(`${name}.movingVariance`);
      }
      const p = tf.sigmoid(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, DICE_EPSILON)))); // [N, units]
      // p·x + (1 − p)·α·x  =  x·(α + p·(1 − α))
      return tf.mul(x, tf.add(alpha, tf.mul(p, tf.sub(1, alpha)))) as tf.Tensor2D;
    }
  }
}

/** Move each collected moving moment towards its batch value: m ← μ·m + (1 − μ)·batch. */
export function applyStateUpdates(updates: StateUpdates, momentum = DICE_MOMENTUM): void {
  tf.tidy(() => {
    for (const { target, batchValue } of updates.pending) {
      target.assign(tf.add(tf.mul(target, momentum), tf.mul(batchValue, 1 - momentum)));
    }
  });
  for (const { batchValue } of updates.pending) batchValue.dispose();
  updates.pending.length = 0;
}
