/** One training run: prepare data, fit, evaluate — shared by the train CLI and the experiment runner. */
import type { BehaviourLog } from '../data/behaviourLog.js';
import type { LoadedDataset } from '../sources/registry.js';
import { createModel, defaultConfig } from '../models/index.js';
import { MODEL_KINDS } from '../models/kinds.js';
import type { CtrModel, ModelConfig } from '../models/model.js';
import type { Protocol } from '../samples/protocols.js';
import type { ModelType } from '../../contract/manifest.js';
import type { Activation } from '../layers/activations.js';
import { fit, keptEpoch, type BatchSource, type EpochReport, type FitOptions } from './fit.js';
import type { EncodedDataset } from './dataset.js';
import type { FeatureContract } from '../../contract/featureContract.js';
import { mbaTargets } from './mbaTargets.js';
import { prepareData, type PreparedData } from './pipeline.js';
import { modelFeaturesOf } from '../features/featureColumns.js';
import type { FeatureGroup } from '../../contract/features.js';
import { trainingProgress } from './progress.js';

export interface RunConfig {
  model: ModelType;
  protocol: Protocol;
  seed: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  maxHistory: number;
  minItemCount: number;
  /** Cap the item vocabulary at this many most frequent items (the rest OOV): a vocabulary forced to a row budget. */
  maxItems?: number;
  /** Hashed item ids with this budget of embedding rows (quotient + remainder, contract/hashedItems.ts) instead of a vocabulary. */
  hashedItems?: number;
  embeddingDim: number;
  /** Override the model's default MLP activation (base: prelu, din/dien: dice). */
  activation?: Activation;
  /** DIEN: weight α of the auxiliary loss (default 1; 0 turns it off). */
  auxWeight?: number;
  /** λ of mini-batch aware L2 on the embedding tables (DIN eq. 6; the paper uses 0.01). Off when absent. */
  l2?: number;
  /** Which data, when not the vendored MovieLens: `<source>:<name>` (stored runs are reused only for the same data). */
  dataset?: string;
  /** Feature groups of the dataset config to use (ablations); default every declared one. */
  featureGroups?: FeatureGroup[];
  /** Single-task models: train on clicks (default) or on click ∧ conversion ("single-task DIN for the conversion task"). */
  label?: 'click' | 'conversion';
  /** Multi-task kinds: loss weights [w_ctr, w_ctcvr] (default [1, 1]). */
  taskWeights?: [number, number];
  /** Multi-task kinds: the interest model under the head (default din). */
  backbone?: 'din' | 'dien';
  /** Attention models: the activation unit's hidden layers (default the DIN paper's [80, 40]); its cost is most of DIN's per request (docs/benchmarks.md). */
  attentionHidden?: [number, number];
  /**
   * Early stopping (train/fit.ts): this share of the training users (by a hash of the id) is held
   * out as a validation slice; `epochs` becomes the maximum. Absent or 0: fixed epochs, every
   * training user trained on (the committed experiments and shipped models).
   */
  validationFraction?: number;
  /** Early stopping: epochs without a better validation GAUC before the fit stops (default DEFAULT_PATIENCE). */
  patience?: number;
  /** Update the item embedding tables densely (every row, every step: the former path, for comparison) instead of sparsely (fit.ts). */
  denseEmbeddings?: boolean;
}

/**
 * 3, not 2: DIN on MovieLens-as-Personalize (docs/data-sources.md, worked example) had a plateau
 * at epochs 3–5 (validation GAUC +4e-5 in two epochs) before its best epoch, 7; patience 2 came
 * within 4e-5 of stopping there (test GAUC 0.858 instead of 0.872).
 */
export const DEFAULT_PATIENCE = 3;

/** prepareData for a run: the dataset's options, then the run's (history length, seed, protocol). */
export function prepareRun(input: BehaviourLog | LoadedDataset, config: RunConfig, negativeSequences = false): PreparedData {
  const dataset = 'timelines' in input ? undefined : input;
  const log = dataset ? dataset.log : (input as BehaviourLog);
  const features = dataset?.prepare.features ? { ...dataset.prepare.features, ...(config.featureGroups ? { groups: config.featureGroups } : {}) } : undefined;
  return prepareData(log, { ...dataset?.prepare, ...config, negativeSequences, features });
}

export const DEFAULT_RUN: Omit<RunConfig, 'model' | 'protocol' | 'seed'> = {
  epochs: 4,
  batchSize: 256,
  learningRate: 1e-3,
  maxHistory: 50,
  minItemCount: 2,
  embeddingDim: 16,
};

export interface RunResult {
  config: RunConfig;
  modelConfig: ModelConfig;
  backend: string;
  epochs: EpochReport[];
  trainSamples: number;
  testSamples: number;
  /** With early stopping: the validation samples, and the epoch whose weights the model ends with (1-based). */
  validationSamples?: number;
  keptEpoch?: number;
  seconds: number;
}

/**
 * `input`: a log (split and protocol options from `config` and prepareData's defaults) or a
 * dataset from sources/registry.ts, whose split, impression negatives and rating threshold apply.
 */
export async function trainRun(
  input: BehaviourLog | LoadedDataset,
  config: RunConfig,
  backend: string,
  showProgressBar = process.stderr.isTTY === true,
): Promise<{ result: RunResult; model: CtrModel; data: PreparedData }> {
  const started = performance.now();
  const withAux = MODEL_KINDS[config.model].needsNegativeSequences(config);
  const data = prepareRun(input, config, withAux);
  const modelConfig = modelConfigFor(config, data.contract);
  const model = createModel(modelConfig, config.seed);
  const label = `${config.model}/${config.protocol}/seed ${config.seed}`;
  if (data.validation?.size === 0) console.error(`${label}: the validation slice holds no sample (too few users): fixed ${config.epochs} epochs, no early stopping`);
  const l2 = config.l2 ? { l2: { lambda: config.l2, targets: mbaTargets(model, data.train) } } : {};
  const result = await fitRun(model, modelConfig, data, { config, backend, label, started, showProgressBar, fitOptions: l2 });
  return { result, model, data };
}

/** The model configuration of a run over its contract: the in-memory and the streamed runs (streamedRun.ts) share it. */
export function modelConfigFor(config: RunConfig, contract: FeatureContract): ModelConfig {
  const defaults = defaultConfig(config.model, 0, 0);
  if (!defaults.multiTask && (config.taskWeights || config.backbone)) throw new Error(`taskWeights and backbone apply to the multi-task kinds, not ${config.model}`);
  if (defaults.multiTask && config.label === 'conversion') throw new Error('label "conversion" is for single-task models: multi-task kinds train both tasks');
  return {
    ...defaultConfig(config.model, contract.itemCount, contract.categoryCount),
    embeddingDim: config.embeddingDim,
    ...(config.activation ? { mlpActivation: config.activation } : {}),
    ...(config.auxWeight !== undefined ? { auxWeight: config.auxWeight } : {}),
    ...(contract.featureSpecs.length > 0 ? { features: modelFeaturesOf(contract.featureSpecs) } : {}),
    ...(config.backbone ? { backbone: config.backbone } : {}),
    ...(config.attentionHidden ? { attentionHidden: config.attentionHidden } : {}),
    ...(contract.hashedItems ? { itemIds: contract.hashedItems } : {}),
    ...(defaults.multiTask && config.taskWeights ? { multiTask: { ...defaults.multiTask, taskWeights: config.taskWeights } } : {}),
  };
}

/**
 * Fit with the run's options — a progress display, one line per epoch on stderr, early stopping on
 * the validation slice when there is one — and the run's result. `train` is an in-memory dataset
 * or a stream of batches (streamedData.ts).
 */
export async function fitRun(
  model: CtrModel,
  modelConfig: ModelConfig,
  data: { train: EncodedDataset | BatchSource; test: EncodedDataset; validation?: EncodedDataset },
  o: { config: RunConfig; backend: string; label: string; started: number; showProgressBar: boolean; fitOptions?: Partial<FitOptions> },
): Promise<RunResult> {
  const { config, label } = o;
  const progress = trainingProgress(label, data.train.size, o.showProgressBar);
  const validation = data.validation?.size ? { data: data.validation, patience: config.patience ?? DEFAULT_PATIENCE } : undefined;
  progress.startEpoch(1);
  const epochs = await fit(model, data.train, data.test, {
    epochs: config.epochs,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    seed: config.seed,
    ...(config.label ? { label: config.label } : {}),
    ...(validation ? { validation } : {}),
    ...(config.denseEmbeddings ? { denseEmbeddings: true } : {}),
    ...o.fitOptions,
    onStep: ({ samples, loss }) => progress.update(samples, loss),
    onEpoch: (r, more) => {
      progress.stopEpoch();
      console.error(
        `${label} epoch ${r.epoch}: train loss ${r.trainLoss.toFixed(4)}${r.auxLoss ? ` (+ aux ${r.auxLoss.toFixed(4)})` : ''}${r.l2Loss ? ` (+ L2 ${r.l2Loss.toFixed(5)})` : ''}${r.validation ? `, validation GAUC ${r.validation.gauc.toFixed(4)}` : ''}, test AUC ${r.auc.toFixed(4)}, GAUC ${r.gauc.toFixed(4)}, logloss ${r.logloss.toFixed(4)}${r.tasks && (modelConfig.multiTask || config.label) ? ` | AUC ctr ${r.tasks.ctr.auc.toFixed(4)}, cvr ${r.tasks.cvr.auc.toFixed(4)}, ctcvr ${r.tasks.ctcvr.auc.toFixed(4)}` : ''}, ${r.samplesPerSecond.toFixed(0)} samples/s`,
      );
      if (more) progress.startEpoch(r.epoch + 1);
    },
  });
  return {
    config,
    modelConfig,
    backend: o.backend,
    epochs,
    trainSamples: data.train.size,
    testSamples: data.test.size,
    ...(validation ? { validationSamples: validation.data.size, keptEpoch: keptEpoch(epochs).epoch } : {}),
    seconds: (performance.now() - o.started) / 1000,
  };
}
