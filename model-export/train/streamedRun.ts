/**
 * trainRun (run.ts) over a streamed dataset (sources/personalizeStream.ts): the fit takes each
 * epoch's batches from DuckDB through the shuffle buffer (streamedData.ts) instead of an
 * in-memory EncodedDataset; test and validation are materialised (capped). The model, its config
 * and the result are built as trainRun builds them.
 */
import { createModel } from '../models/index.js';
import { MODEL_KINDS } from '../models/kinds.js';
import type { CtrModel } from '../models/model.js';
import type { StreamedDataset } from '../sources/personalizeStream.js';
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
  const modelConfig = modelConfigFor(config, data.contract);
  const model = createModel(modelConfig, config.seed);
  const label = `${config.model}/${config.protocol}/seed ${config.seed} (streamed)`;
  const result = await fitRun(model, modelConfig, data, { config, backend, label, started, showProgressBar });
  return { result, model, data };
}
