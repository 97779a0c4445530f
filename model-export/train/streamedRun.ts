/**
 * trainRun (run.ts) over a streamed dataset (sources/personalizeStream.ts): the fit takes each
 * epoch's batches from DuckDB through the shuffle buffer (streamedData.ts) instead of an
 * in-memory EncodedDataset; test and validation are materialised (capped). The model, its config
 * and the result are built as trainRun builds them. DIEN's auxiliary negatives are drawn in the
 * stream; mini-batch aware L2 counts its id frequencies in one pass over the first epoch.
 */
import { createModel } from '../models/index.js';
import { MODEL_KINDS } from '../models/kinds.js';
import type { CtrModel } from '../models/model.js';
import type { StreamedDataset } from '../sources/personalizeStream.js';
import { streamedMbaTargets } from './mbaTargets.js';
import { fitRun, modelConfigFor, type RunConfig, type RunResult } from './run.js';
import { prepareStreamed, type StreamedData, type StreamedOptions } from './streamedData.js';

export async function trainStreamedRun(
  dataset: StreamedDataset,
  config: RunConfig,
  backend: string,
  options: Pick<StreamedOptions, 'shuffleBuffer' | 'maxTestSamples' | 'log'> = {},
  showProgressBar = process.stderr.isTTY === true,
): Promise<{ result: RunResult; model: CtrModel; data: StreamedData }> {
  const started = performance.now();
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
    negativeSequences: MODEL_KINDS[config.model].needsNegativeSequences(config),
    ...options,
  });
  const modelConfig = modelConfigFor(config, data.contract);
  const model = createModel(modelConfig, config.seed);
  const label = `${config.model}/${config.protocol}/seed ${config.seed} (streamed)`;
  // Mini-batch aware L2's n_j: one counting pass over the first epoch's samples before training.
  let l2 = {};
  if (config.l2) {
    const t = performance.now();
    const targets = await streamedMbaTargets(model, data.train);
    options.log?.(`mini-batch aware L2: id frequencies counted over epoch 1's ${data.train.size.toLocaleString('en-US')} samples in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    l2 = { l2: { lambda: config.l2, targets } };
  }
  const result = await fitRun(model, modelConfig, data, { config, backend, label, started, showProgressBar, fitOptions: l2 });
  return { result, model, data };
}
