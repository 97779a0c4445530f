/** Mini-batch training with Adam and evaluation on the test split. */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { applyStateUpdates, type StateUpdates } from '../layers/activations.js';
import type { BatchTensors, CtrModel } from '../models/model.js';
import { distinctIds, miniBatchAwareL2 } from '../layers/regularization.js';
import type { Batch, EncodedDataset } from './dataset.js';
import type { MbaTarget } from './mbaTargets.js';
import { auc, gauc, logloss } from './metrics.js';

export interface FitOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Called after every step with the running mean loss of the epoch. */
  onStep?: (info: { epoch: number; step: number; steps: number; loss: number; samples: number }) => void;
  onEpoch?: (info: EpochReport) => void;
  /** Mini-batch aware L2 (DIN eq. 6) with weight λ on these tables; off when absent or λ = 0. */
  l2?: { lambda: number; targets: MbaTarget[] };
}

export interface EvalReport {
  auc: number;
  gauc: number;
  logloss: number;
}

export interface EpochReport extends EvalReport {
  epoch: number;
  /** Mean target (click) loss over the epoch's steps. */
  trainLoss: number;
  /** Mean weighted auxiliary loss (DIEN), 0 for models without one. */
  auxLoss: number;
  /** Mean mini-batch aware L2 term, 0 when off. */
  l2Loss: number;
  samplesPerSecond: number;
}

export function toTensors(batch: Batch, maxHistory: number): BatchTensors {
  return {
    historyItems: tf.tensor2d(batch.historyItems, [batch.size, maxHistory], 'int32'),
    historyCategories: tf.tensor2d(batch.historyCategories, [batch.size, maxHistory], 'int32'),
    candidateItems: tf.tensor1d(batch.candidateItems, 'int32'),
    candidateCategories: tf.tensor1d(batch.candidateCategories, 'int32'),
    ...(batch.negativeItems.length > 0
      ? {
          negativeItems: tf.tensor2d(batch.negativeItems, [batch.size, maxHistory], 'int32'),
          negativeCategories: tf.tensor2d(batch.negativeCategories, [batch.size, maxHistory], 'int32'),
        }
      : {}),
    ...(Object.keys(batch.features).length > 0
      ? { features: Object.fromEntries(Object.entries(batch.features).map(([name, f]) => [name, tf.tensor(f.data, f.dims, f.data instanceof Float32Array ? 'float32' : 'int32')])) }
      : {}),
  };
}

function disposeBatch(t: BatchTensors): void {
  tf.dispose([t.historyItems, t.historyCategories, t.candidateItems, t.candidateCategories, t.negativeItems, t.negativeCategories, ...Object.values(t.features ?? {})].filter((x) => x !== undefined));
}

function shuffled(n: number, rng: seedrandom.PRNG): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

export async function fit(model: CtrModel, train: EncodedDataset, test: EncodedDataset, options: FitOptions): Promise<EpochReport[]> {
  const optimizer = tf.train.adam(options.learningRate);
  const rng = seedrandom(`shuffle:${options.seed}`);
  const variables = model.params.trainable();
  const updates: StateUpdates = { pending: [] };
  const reports: EpochReport[] = [];
  const steps = Math.ceil(train.size / options.batchSize);
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const order = shuffled(train.size, rng);
    const started = performance.now();
    let lossSum = 0;
    let auxSum = 0;
    let l2Sum = 0;
    const l2 = options.l2 && options.l2.lambda > 0 ? options.l2 : undefined;
    for (let step = 0; step < steps; step++) {
      const batch = train.batch(order.subarray(step * options.batchSize, (step + 1) * options.batchSize));
      const inputs = toTensors(batch, train.maxHistory);
      const labels = tf.tensor1d(batch.labels);
      let aux: tf.Scalar | undefined;
      let reg: tf.Scalar | undefined;
      const regIds = l2?.targets.map((t) => distinctIds(...t.idsOf(batch)));
      const total = optimizer.minimize(
        () => {
          const out = model.forward(inputs, true, updates);
          let loss = tf.losses.sigmoidCrossEntropy(labels, out.logits) as tf.Scalar;
          if (out.auxLoss) {
            aux = tf.keep(out.auxLoss);
            loss = tf.add(loss, out.auxLoss) as tf.Scalar;
          }
          if (l2 && regIds) {
            const terms = l2.targets.map((t, i) => miniBatchAwareL2(model.params.get(t.param) as tf.Tensor2D, regIds[i], t.inverseFrequency, l2.lambda));
            reg = tf.keep(tf.addN(terms) as tf.Scalar);
            loss = tf.add(loss, reg) as tf.Scalar;
          }
          return loss;
        },
        true,
        variables,
      )!;
      applyStateUpdates(updates);
      const auxValue = aux ? (await aux.data())[0] : 0;
      const regValue = reg ? (await reg.data())[0] : 0;
      lossSum += (await total.data())[0] - auxValue - regValue;
      auxSum += auxValue;
      l2Sum += regValue;
      tf.dispose([total, labels, ...(aux ? [aux] : []), ...(reg ? [reg] : [])]);
      disposeBatch(inputs);
      options.onStep?.({ epoch, step: step + 1, steps, loss: lossSum / (step + 1), samples: Math.min((step + 1) * options.batchSize, train.size) });
    }
    const seconds = (performance.now() - started) / 1000;
    const report: EpochReport = { epoch, trainLoss: lossSum / steps, auxLoss: auxSum / steps, l2Loss: l2Sum / steps, samplesPerSecond: train.size / seconds, ...(await evaluate(model, test)) };
    reports.push(report);
    options.onEpoch?.(report);
  }
  optimizer.dispose();
  return reports;
}

/** Probabilities for every sample of a dataset, in inference mode (Dice moving moments). */
export async function predict(model: CtrModel, data: EncodedDataset, batchSize = 2048): Promise<Float32Array> {
  const out = new Float32Array(data.size);
  for (let start = 0; start < data.size; start += batchSize) {
    const idx = Int32Array.from({ length: Math.min(batchSize, data.size - start) }, (_, i) => start + i);
    const inputs = toTensors(data.batch(idx), data.maxHistory);
    const p = tf.tidy(() => tf.sigmoid(model.logits(inputs, false)));
    out.set((await p.data()) as Float32Array, start);
    p.dispose();
    disposeBatch(inputs);
  }
  return out;
}

export async function evaluate(model: CtrModel, data: EncodedDataset): Promise<EvalReport> {
  const p = await predict(model, data);
  const labels = data.labels.subarray(0, data.size);
  return { auc: auc(p, labels), gauc: gauc(p, labels, data.sampleUser.subarray(0, data.size)), logloss: logloss(p, labels) };
}
