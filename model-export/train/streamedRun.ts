/**
 * trainRun (run.ts) over a streamed dataset (sources/personalizeStream.ts): the fit takes each
 * epoch's batches from DuckDB through the shuffle buffer (streamedData.ts) instead of an
 * in-memory EncodedDataset; test and validation are materialised (capped). The model, its config
 * and the result are built as trainRun builds them.
 */
import { modelFeaturesOf } from '../features/featureColumns.js';
import { createModel, defaultConfig } from '../models/index.js';
import { MODEL_KINDS } from '../models/kinds.js';
import type { CtrModel, ModelConfig } from '../models/model.js';
import type { StreamedDataset } from '../sources/personalizeStream.js';
import { fit, keptEpoch } from './fit.js';
import { trainingProgress } from './progress.js';
import { DEFAULT_PATIENCE, type RunConfig, type RunResult } from './run.js';
import { prepareStreamed, type StreamedData, type StreamedOptions } from './streamedData.js';

export async function trainStreamedRun(
  dataset: StreamedDataset,
  config: RunConfig,
  backend: string,
  options: Pick<StreamedOptions, 'shuffleBuffer' | 'maxTestSamples' | 'log'> = {},
  showProgressBar = process.stderr.isTTY === true,
): Promise<{ result: RunResult; model: CtrModel; data: StreamedData }> {
  const started = performance.now();
  if (MODEL_KINDS[config.model].needsNegativeSequences(config)) throw new Error(`${config.model} with an auxiliary loss needs negative sequences, which the out-of-core stream does not build yet: --aux-weight 0, or the in-memory reader`);
  if (config.l2) throw new Error('mini-batch aware L2 (--l2) needs the in-memory training set: not supported by the out-of-core stream yet');
  if (config.protocol !== 'next' && config.protocol !== 'rating') throw new Error(`the out-of-core stream runs the next and rating protocols, not ${config.protocol}`);
  const data = await prepareStreamed(dataset.engine, dataset.users, {
    protocol: config.protocol,
    seed: config.seed,
    maxHistory: config.maxHistory,
    minItemCount: config.minItemCount,
    ...(config.maxItems !== undefined ? { maxItems: config.maxItems } : {}),
    ...(config.hashedItems !== undefined ? { hashedItems: config.hashedItems } : {}),
    ...(dataset.positiveRating !== undefined ? { positiveRating: dataset.positiveRating } : {}),
    ...(dataset.maxImpressionNegatives !== undefined ? { maxImpressionNegatives: dataset.maxImpressionNegatives } : {}),
    ...(config.validationFraction ? { validationFraction: config.validationFraction } : {}),
    ...options,
  });
  const defaults = defaultConfig(config.model, 0, 0);
  const modelConfig: ModelConfig = {
    ...defaultConfig(config.model, data.contract.itemCount, data.contract.categoryCount),
    embeddingDim: config.embeddingDim,
    ...(config.activation ? { mlpActivation: config.activation } : {}),
    ...(config.auxWeight !== undefined ? { auxWeight: config.auxWeight } : {}),
    ...(data.contract.featureSpecs.length > 0 ? { features: modelFeaturesOf(data.contract.featureSpecs) } : {}),
    ...(config.backbone ? { backbone: config.backbone } : {}),
    ...(config.attentionHidden ? { attentionHidden: config.attentionHidden } : {}),
    ...(data.contract.hashedItems ? { itemIds: data.contract.hashedItems } : {}),
    ...(defaults.multiTask && config.taskWeights ? { multiTask: { ...defaults.multiTask, taskWeights: config.taskWeights } } : {}),
  };
  if (!defaults.multiTask && (config.taskWeights || config.backbone)) throw new Error(`taskWeights and backbone apply to the multi-task kinds, not ${config.model}`);
  const model = createModel(modelConfig, config.seed);
  const label = `${config.model}/${config.protocol}/seed ${config.seed} (streamed)`;
  const progress = trainingProgress(label, data.train.size, showProgressBar);
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
    onStep: ({ samples, loss }) => progress.update(samples, loss),
    onEpoch: (r, more) => {
      progress.stopEpoch();
      console.error(
        `${label} epoch ${r.epoch}: train loss ${r.trainLoss.toFixed(4)}${r.validation ? `, validation GAUC ${r.validation.gauc.toFixed(4)}` : ''}, test AUC ${r.auc.toFixed(4)}, GAUC ${r.gauc.toFixed(4)}, logloss ${r.logloss.toFixed(4)}, ${r.samplesPerSecond.toFixed(0)} samples/s`,
      );
      if (more) progress.startEpoch(r.epoch + 1);
    },
  });
  return {
    result: {
      config,
      modelConfig,
      backend,
      epochs,
      trainSamples: data.train.size,
      testSamples: data.test.size,
      ...(validation ? { validationSamples: validation.data.size, keptEpoch: keptEpoch(epochs).epoch } : {}),
      seconds: (performance.now() - started) / 1000,
    },
    model,
    data,
  };
}
