/**
 * Which embedding tables mini-batch aware L2 (layers/regularization.ts) covers for a model, which
 * batch ids select their rows, and each id's training-set frequency.
 */
import type { CtrModel } from '../models/model.js';
import { IdCounter, inverseFrequencies } from '../layers/regularization.js';
import type { Batch, EncodedDataset } from './dataset.js';
import type { BatchSource } from './fit.js';
import { arraysOf, tableIndices } from './tableIndex.js';

export interface MbaTarget {
  /** ParamStore name of an embedding table [V, D]. */
  param: string;
  /** The index arrays of a batch that look rows up in this table. */
  idsOf: (b: Batch) => Int32Array[];
  /** 1/n_j per row (0 for ids that never occur). */
  inverseFrequency: Float32Array;
}

const targetSpecs = (model: CtrModel): Array<Omit<MbaTarget, 'inverseFrequency'>> =>
  tableIndices(model.params.names()).map((t) => ({ param: t.param, idsOf: (b: Batch) => arraysOf(b, t.fields) }));

export function mbaTargets(model: CtrModel, train: EncodedDataset): MbaTarget[] {
  const specs = targetSpecs(model);
  // Frequencies over every training sample: one pass in chunks of the dataset.
  const chunks: Batch[] = [];
  const CHUNK = 4096;
  for (let start = 0; start < train.size; start += CHUNK) {
    chunks.push(train.batch(Int32Array.from({ length: Math.min(CHUNK, train.size - start) }, (_, i) => start + i)));
  }
  return specs.map((s) => ({
    ...s,
    inverseFrequency: inverseFrequencies(model.params.shape(s.param)[0], chunks.flatMap(s.idsOf)),
  }));
}

/**
 * The same targets over a streamed training set: n_j counted in one pass over the samples of
 * `epoch` (the first epoch's, as fit will draw them: its `next` negatives included), a batch at a
 * time. An extra pass of the stream before training; memory is one counter per table row.
 * The stream draws fresh negatives each epoch, so a later epoch can bring a row epoch 1 never
 * did (an item only validation users touched, drawn as a negative): it gets 1/n_j = 1, the
 * rarest an id can be, rather than no penalty at all.
 */
export async function streamedMbaTargets(model: CtrModel, train: BatchSource, epoch = 1, batchSize = 4096): Promise<MbaTarget[]> {
  const specs = targetSpecs(model);
  const counters = specs.map((s) => new IdCounter(model.params.shape(s.param)[0]));
  for await (const b of train.batches(epoch, batchSize)) specs.forEach((s, i) => s.idsOf(b).forEach((ids) => counters[i].add(ids)));
  return specs.map((s, i) => ({ ...s, inverseFrequency: counters[i].inverse(1) }));
}
