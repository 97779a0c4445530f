/**
 * Mini-batch training with Adam and evaluation on the test split.
 *
 * By default the item-indexed embedding tables train sparsely: for the fit they live on the host
 * (layers/sparseTable.ts), each step binds the batch's rows as a small local table
 * (sparseBatch.ts) and updates only those rows with a lazy Adam (lazyAdam.ts), so a step costs the
 * same whatever the catalogue size. Every other weight goes to tfjs's Adam as before.
 * `denseEmbeddings: true` is the former path: tfjs's Adam over every row of every table each step.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { applyStateUpdates, type StateUpdates } from '../layers/activations.js';
import type { BatchTensors, CtrModel } from '../models/model.js';
import { distinctIds, weightedRowsL2 } from '../layers/regularization.js';
import type { Batch, EncodedDataset } from './dataset.js';
import { LazyAdam } from './lazyAdam.js';
import type { MbaTarget } from './mbaTargets.js';
import { SparseBatcher, type BatchView } from './sparseBatch.js';
import { itemTables } from './tableIndex.js';
import { auc, gauc, logloss } from './metrics.js';

export interface FitOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Called after every step with the running mean loss of the epoch. */
  onStep?: (info: { epoch: number; step: number; steps: number; loss: number; samples: number }) => void;
  /** Called after every epoch; `more` says whether another epoch follows (false after the last, or when early stopping ends the fit). */
  onEpoch?: (info: EpochReport, more: boolean) => void;
  /** Mini-batch aware L2 (DIN eq. 6) with weight λ on these tables; off when absent or λ = 0. */
  l2?: { lambda: number; targets: MbaTarget[] };
  /** Single-task models: train on clicks (default) or on click ∧ conversion over all samples. */
  label?: 'click' | 'conversion';
  /**
   * Early stopping: `data` (held-out training users) is evaluated after every epoch; the fit stops
   * once its GAUC has not improved for `patience` epochs and ends with the weights of the epoch
   * with the best validation GAUC (`keptEpoch`), so whatever runs next (export, test metrics) sees those.
   */
  validation?: { data: EncodedDataset; patience: number };
  /**
   * Update the item-indexed embedding tables densely, every row every step (tfjs Adam over the
   * whole table: the path before sparse updates, kept to compare against). Default false: sparse.
   */
  denseEmbeddings?: boolean;
}

export interface EvalReport {
  auc: number;
  gauc: number;
  logloss: number;
  /**
   * Multi-task models, per task: `ctr` (click labels, all samples), `cvr` (conversion labels of the
   * clicked samples only: the space CVR is defined on), `ctcvr` (click ∧ conversion, all samples).
   */
  tasks?: Record<'ctr' | 'cvr' | 'ctcvr', { auc: number; gauc: number }>;
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
  /** With early stopping: the validation users' metrics after this epoch. */
  validation?: { auc: number; gauc: number; logloss: number };
}

/** A validation GAUC better than `best` (a NaN GAUC — no user with both labels — never is). */
function improves(gauc: number, best: number): boolean {
  return gauc > best || (Number.isNaN(best) && !Number.isNaN(gauc));
}

/**
 * The epoch whose weights a fit ended with: the best validation GAUC (the earliest on ties) when
 * the fit had a validation split, else the last epoch.
 */
export function keptEpoch<E extends Pick<EpochReport, 'validation'>>(reports: readonly E[]): E {
  if (!reports.some((r) => r.validation)) return reports[reports.length - 1];
  return reports.reduce((best, r) => (r.validation && (!best.validation || improves(r.validation.gauc, best.validation.gauc)) ? r : best));
}

type WeightCopy = tf.Tensor | Float32Array;

/** Copies of every weight, trainable and state (Dice's moving moments), host tables included: what inference depends on. */
function copyWeights(model: CtrModel): Map<string, WeightCopy> {
  const host = new Set(model.params.hostNames());
  return new Map(model.params.names().map((name) => [name, host.has(name) ? model.params.host(name).copy() : model.params.get(name).clone()]));
}

function restoreWeights(model: CtrModel, weights: Map<string, WeightCopy>): void {
  for (const [name, value] of weights) {
    if (value instanceof Float32Array) model.params.host(name).restore(value);
    else model.params.get(name).assign(value);
  }
}

const tensorsOf = (weights: Map<string, WeightCopy>) => [...weights.values()].filter((w): w is tf.Tensor => w instanceof tf.Tensor);

/**
 * The rows mini-batch aware L2 covers in a batch and their 1/n_j: the distinct non-padding ids; for
 * a bound host table, its local rows 1..U−1 (exactly those ids) with the global ids' frequencies.
 */
function regularizedRows(target: MbaTarget, raw: Batch, view: BatchView | undefined): { rows: Int32Array; weights: Float32Array } {
  const local = view?.locals.find((l) => l.param === target.param);
  if (local) {
    const rows = Int32Array.from({ length: local.ids.length - 1 }, (_, i) => i + 1);
    return { rows, weights: Float32Array.from(rows, (r) => target.inverseFrequency[local.ids[r]]) };
  }
  const ids = distinctIds(...target.idsOf(raw));
  return { rows: ids, weights: Float32Array.from(ids, (j) => target.inverseFrequency[j]) };
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

/** A seeded Fisher–Yates permutation of 0 … n − 1. */
export function shuffled(n: number, rng: seedrandom.PRNG): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * ESMM (Ma et al., SIGIR 2018) over the entire space: pCTR = σ(l_ctr) is supervised by the click,
 * pCTCVR = pCTR · σ(l_cvr) by click ∧ conversion, both on every sample, so the CVR tower is never
 * trained on the clicked subset alone (sample-selection bias) and conversions' sparsity is shared
 * with the click task. L = w_ctr · BCE(click, pCTR) + w_ctcvr · BCE(click ∧ conv, pCTCVR).
 */
export function esmmLoss(taskLogits: tf.Tensor1D[], clicks: tf.Tensor1D, conversions: tf.Tensor1D, weights: readonly [number, number]): tf.Scalar {
  const ctr = tf.losses.sigmoidCrossEntropy(clicks, taskLogits[0]) as tf.Scalar;
  // log pCTCVR = log σ(l_ctr) + log σ(l_cvr), computed from the logits (no log of a product underflowing).
  // log σ(l) = −softplus(−l) (tf.logSigmoid's custom gradient fails inside minimize on the wasm backend).
  const logSigmoid = (l: tf.Tensor1D) => tf.neg(tf.softplus(tf.neg(l)));
  const logP = tf.add(logSigmoid(taskLogits[0]), logSigmoid(taskLogits[1]));
  const log1mP = tf.log(tf.maximum(tf.sub(1, tf.exp(logP)), 1e-7));
  const ctcvr = tf.neg(tf.mean(tf.add(tf.mul(conversions, logP), tf.mul(tf.sub(1, conversions), log1mP)))) as tf.Scalar;
  return tf.add(tf.mul(ctr, weights[0]), tf.mul(ctcvr, weights[1])) as tf.Scalar;
}

/**
 * Training batches that are not an in-memory EncodedDataset: each epoch's batches come from
 * `batches` (train/streamedData.ts streams them out of DuckDB, shuffled within a buffer). The fit
 * draws nothing from its own shuffle for them.
 */
export interface BatchSource {
  readonly maxHistory: number;
  readonly hasConversions: boolean;
  /** Samples per epoch: exact once an epoch has streamed, an estimate before (progress only). */
  readonly size: number;
  batches(epoch: number, batchSize: number): AsyncIterable<Batch>;
}

const isBatchSource = (train: EncodedDataset | BatchSource): train is BatchSource => typeof (train as BatchSource).batches === 'function';

/** An in-memory dataset's batches for one epoch: its samples in `order`, `batchSize` at a time. */
function* datasetBatches(train: EncodedDataset, order: Int32Array, batchSize: number): Generator<Batch> {
  for (let start = 0; start < train.size; start += batchSize) yield train.batch(order.subarray(start, start + batchSize));
}

export async function fit(model: CtrModel, train: EncodedDataset | BatchSource, test: EncodedDataset, options: FitOptions): Promise<EpochReport[]> {
  const multiTask = model.config.multiTask;
  if ((multiTask || options.label === 'conversion') && !train.hasConversions) {
    throw new Error(`${model.config.type} is multi-task (click and conversion): the data has no conversion labels — use protocol next on a source with conversions (MovieLens ratings ≥ 4, Taobao buy/cart/fav, Personalize with "conversion" in the dataset config)`);
  }
  const hostTables = options.denseEmbeddings ? [] : itemTables(model.params.names());
  for (const t of hostTables) model.params.toHost(t.param);
  try {
    return await fitLoop(model, train, test, options, hostTables.length > 0 ? new SparseBatcher(model.params, hostTables) : undefined);
  } finally {
    for (const t of hostTables) model.params.toDevice(t.param); // whatever runs next (export, tests) sees ordinary variables
  }
}

async function fitLoop(model: CtrModel, train: EncodedDataset | BatchSource, test: EncodedDataset, options: FitOptions, batcher: SparseBatcher | undefined): Promise<EpochReport[]> {
  const multiTask = model.config.multiTask;
  const optimizer = tf.train.adam(options.learningRate);
  // Same β1, β2 (tfjs defaults 0.9, 0.999) and ε (the backend's, as tf.train.adam takes it) as the dense Adam.
  const lazyAdam = new LazyAdam({ learningRate: options.learningRate, epsilon: tf.backend().epsilon() });
  const rng = seedrandom(`shuffle:${options.seed}`);
  const variables = model.params.trainable();
  const updates: StateUpdates = { pending: [] };
  const reports: EpochReport[] = [];
  const source = isBatchSource(train) ? train : undefined;
  const validation = options.validation && options.validation.data.size > 0 ? options.validation : undefined;
  let best: { epoch: number; gauc: number; weights: Map<string, WeightCopy> } | undefined;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const batches = source ? source.batches(epoch, options.batchSize) : datasetBatches(train as EncodedDataset, shuffled(train.size, rng), options.batchSize);
    const started = performance.now();
    let lossSum = 0;
    let auxSum = 0;
    let l2Sum = 0;
    let step = 0;
    let samples = 0;
    const l2 = options.l2 && options.l2.lambda > 0 ? options.l2 : undefined;
    for await (const raw of batches) {
      const steps = Math.max(step + 1, Math.ceil(train.size / options.batchSize));
      const view = batcher?.bind(raw, true);
      const batch = view ? view.batch : raw;
      const inputs = toTensors(batch, train.maxHistory);
      const labels = tf.tensor1d(options.label === 'conversion' && !multiTask ? batch.conversions : batch.labels);
      const conversions = multiTask ? tf.tensor1d(batch.conversions) : undefined;
      let aux: tf.Scalar | undefined;
      let reg: tf.Scalar | undefined;
      const regRows = l2?.targets.map((t) => regularizedRows(t, raw, view));
      const lossOf = (): tf.Scalar => {
          const out = model.forward(inputs, true, updates);
          let loss = multiTask && out.taskLogits ? esmmLoss(out.taskLogits, labels, conversions!, multiTask.taskWeights) : (tf.losses.sigmoidCrossEntropy(labels, out.logits) as tf.Scalar);
          if (out.auxLoss) {
            aux = tf.keep(out.auxLoss);
            loss = tf.add(loss, out.auxLoss) as tf.Scalar;
          }
          if (l2 && regRows) {
            const terms = l2.targets.map((t, i) => weightedRowsL2(model.params.get(t.param) as tf.Tensor2D, regRows[i].rows, regRows[i].weights, l2.lambda));
            reg = tf.keep(tf.addN(terms) as tf.Scalar);
            loss = tf.add(loss, reg) as tf.Scalar;
          }
          return loss;
        };
      const total = view ? await sparseStep(lossOf, variables, view, optimizer, lazyAdam) : optimizer.minimize(lossOf, true, variables)!;
      applyStateUpdates(updates);
      const auxValue = aux ? (await aux.data())[0] : 0;
      const regValue = reg ? (await reg.data())[0] : 0;
      lossSum += (await total.data())[0] - auxValue - regValue;
      auxSum += auxValue;
      l2Sum += regValue;
      tf.dispose([total, labels, ...(conversions ? [conversions] : []), ...(aux ? [aux] : []), ...(reg ? [reg] : [])]);
      disposeBatch(inputs);
      step++;
      samples += raw.size;
      options.onStep?.({ epoch, step, steps, loss: lossSum / step, samples });
    }
    const seconds = (performance.now() - started) / 1000;
    const steps = step;
    const report: EpochReport = { epoch, trainLoss: lossSum / steps, auxLoss: auxSum / steps, l2Loss: l2Sum / steps, samplesPerSecond: samples / seconds, ...(await evaluate(model, test, options.label)) };
    if (validation) {
      const { auc, gauc, logloss } = await evaluate(model, validation.data, options.label);
      report.validation = { auc, gauc, logloss };
      if (!best || improves(gauc, best.gauc)) {
        if (best) tf.dispose(tensorsOf(best.weights));
        best = { epoch, gauc, weights: copyWeights(model) };
      }
    }
    reports.push(report);
    const stop = best !== undefined && epoch - best.epoch >= validation!.patience;
    options.onEpoch?.(report, !stop && epoch < options.epochs);
    if (stop) break;
  }
  optimizer.dispose();
  if (best) {
    // Back to the best epoch's weights (a no-op copy when it was the last one).
    if (best.epoch !== reports.length) restoreWeights(model, best.weights);
    tf.dispose(tensorsOf(best.weights));
  }
  return reports;
}

/**
 * One training step with host tables bound: gradients of every dense variable and of the local
 * rows; the dense ones go to tfjs's Adam exactly as `minimize` would pass them, the local rows'
 * to the lazy Adam at their global ids. Releases the view; returns the loss.
 */
async function sparseStep(lossOf: () => tf.Scalar, variables: tf.Variable[], view: BatchView, optimizer: tf.AdamOptimizer, lazyAdam: LazyAdam): Promise<tf.Scalar> {
  const { value, grads } = tf.variableGrads(lossOf, [...variables, ...view.locals.map((l) => l.variable)]);
  const dense: Record<string, tf.Variable> = {}; // tfjs types applyGradients' map as variables; gradients are plain tensors
  for (const v of variables) if (grads[v.name]) dense[v.name] = grads[v.name] as tf.Variable; // minimize's order: tfjs Adam keys its moments by position
  optimizer.applyGradients(dense);
  lazyAdam.beginStep();
  for (const l of view.locals) {
    const g = grads[l.variable.name];
    // Local row 0 is the padding row; when no padding occurred it is a placeholder and is not updated.
    if (g) lazyAdam.update(l.table, l.ids, (await g.data()) as Float32Array, l.padding ? 0 : 1);
  }
  tf.dispose(Object.values(grads));
  view.release();
  return value;
}

/** Batches of a dataset for inference, with the host tables (during a sparse fit) bound per batch. */
function inferenceBatches(model: CtrModel, data: EncodedDataset, batchSize: number): Array<() => { start: number; inputs: BatchTensors; release: () => void }> {
  const batcher = SparseBatcher.forHostTables(model.params, itemTables(model.params.names()));
  const out: Array<() => { start: number; inputs: BatchTensors; release: () => void }> = [];
  for (let start = 0; start < data.size; start += batchSize) {
    out.push(() => {
      const idx = Int32Array.from({ length: Math.min(batchSize, data.size - start) }, (_, i) => start + i);
      const raw = data.batch(idx);
      const view = batcher?.bind(raw, false);
      const inputs = toTensors(view ? view.batch : raw, data.maxHistory);
      return {
        start,
        inputs,
        release: () => {
          disposeBatch(inputs);
          view?.release();
        },
      };
    });
  }
  return out;
}

/** Probabilities for every sample of a dataset, in inference mode (Dice moving moments). */
export async function predict(model: CtrModel, data: EncodedDataset, batchSize = 2048): Promise<Float32Array> {
  const out = new Float32Array(data.size);
  for (const next of inferenceBatches(model, data, batchSize)) {
    const { start, inputs, release } = next();
    const p = tf.tidy(() => tf.sigmoid(model.logits(inputs, false)));
    out.set((await p.data()) as Float32Array, start);
    p.dispose();
    release();
  }
  return out;
}

/**
 * Test metrics of the trained label (click, or for `label: 'conversion'` click ∧ conversion), and
 * when the data has conversions, every task's: a multi-task model's own heads (pCTR, pCVR,
 * pCTCVR = pCTR·pCVR); a single-task model's one score stands in for all three, so the
 * multi-task table compares like with like.
 */
export async function evaluate(model: CtrModel, data: EncodedDataset, label: 'click' | 'conversion' = 'click'): Promise<EvalReport> {
  const n = data.size;
  const clicks = data.labels.subarray(0, n);
  const conversions = data.conversions.subarray(0, n);
  const users = data.sampleUser.subarray(0, n);
  let ctr: Float32Array;
  let cvr: Float32Array;
  let ctcvr: Float32Array;
  if (model.config.multiTask) {
    ({ ctr, cvr } = await predictTasks(model, data));
    ctcvr = ctr.map((p, i) => p * cvr[i]);
  } else {
    ctr = cvr = ctcvr = await predict(model, data);
  }
  const metric = (p: Float32Array, y: Float32Array, u: Int32Array) => ({ auc: auc(p, y), gauc: gauc(p, y, u) });
  const main = label === 'conversion' ? { ...metric(ctcvr, conversions, users), logloss: logloss(ctcvr, conversions) } : { ...metric(ctr, clicks, users), logloss: logloss(ctr, clicks) };
  if (!data.hasConversions) return main;
  const clicked = Int32Array.from([...clicks.keys()].filter((i) => clicks[i] === 1));
  const onClicked = (a: Float32Array) => Float32Array.from(clicked, (i) => a[i]);
  return {
    ...main,
    tasks: {
      ctr: metric(ctr, clicks, users),
      cvr: metric(onClicked(cvr), onClicked(conversions), Int32Array.from(clicked, (i) => users[i])),
      ctcvr: metric(ctcvr, conversions, users),
    },
  };
}

/** Multi-task models: pCTR and pCVR of every sample (inference mode). */
export async function predictTasks(model: CtrModel, data: EncodedDataset, batchSize = 2048): Promise<{ ctr: Float32Array; cvr: Float32Array }> {
  const ctr = new Float32Array(data.size);
  const cvr = new Float32Array(data.size);
  for (const next of inferenceBatches(model, data, batchSize)) {
    const { start, inputs, release } = next();
    const [a, b] = tf.tidy(() => model.forward(inputs, false).taskLogits!.map((l) => tf.sigmoid(l)));
    ctr.set((await a.data()) as Float32Array, start);
    cvr.set((await b.data()) as Float32Array, start);
    tf.dispose([a, b]);
    release();
  }
  return { ctr, cvr };
}
