/**
 * Which embedding tables mini-batch aware L2 (layers/regularization.ts) covers for a model, which
 * batch ids select their rows, and each id's training-set frequency.
 */
import type { CtrModel } from '../models/model.js';
import { LR_TABLES } from '../models/lr.js';
import { QR_TABLES } from '../layers/qrEmbedding.js';
import { inverseFrequencies } from '../layers/regularization.js';
import type { Batch, EncodedDataset } from './dataset.js';

export interface MbaTarget {
  /** ParamStore name of an embedding table [V, D]. */
  param: string;
  /** The index arrays of a batch that look rows up in this table. */
  idsOf: (b: Batch) => Int32Array[];
  /** 1/n_j per row (0 for ids that never occur). */
  inverseFrequency: Float32Array;
}

export function mbaTargets(model: CtrModel, train: EncodedDataset): MbaTarget[] {
  const names = new Set(model.params.names());
  // Hashed item ids: only the category table. MBA's 1/n_j is a per-id frequency for tables whose
  // rows are mostly absent from a batch; each quotient/remainder row is shared by ≈ √N ids and the
  // two tables are small, so their rows are in nearly every batch and ordinary weight decay would
  // be the right tool there, not eq. 6. They are left unregularised.
  const specs: Array<Omit<MbaTarget, 'inverseFrequency'>> = names.has(QR_TABLES.quotient)
    ? [{ param: 'emb.category', idsOf: (b) => [b.historyCategories, b.candidateCategories, b.negativeCategories] }]
    : names.has('emb.item')
    ? [
        { param: 'emb.item', idsOf: (b) => [b.historyItems, b.candidateItems, b.negativeItems] },
        { param: 'emb.category', idsOf: (b) => [b.historyCategories, b.candidateCategories, b.negativeCategories] },
      ]
    : names.has(LR_TABLES.candidateItem)
      ? [
          { param: LR_TABLES.candidateItem, idsOf: (b) => [b.candidateItems] },
          { param: LR_TABLES.candidateCategory, idsOf: (b) => [b.candidateCategories] },
          { param: LR_TABLES.historyItem, idsOf: (b) => [b.historyItems] },
          { param: LR_TABLES.historyCategory, idsOf: (b) => [b.historyCategories] },
        ]
      : [];
  // Frequencies over every training sample: one pass in chunks of the dataset.
  const chunks: Batch[] = [];
  const CHUNK = 4096;
  for (let start = 0; start < train.size; start += CHUNK) {
    chunks.push(train.batch(Int32Array.from({ length: Math.min(CHUNK, train.size - start) }, (_, i) => start + i)));
  }
  return specs.map((s) => ({
    ...s,
    inverseFrequency: inverseFrequencies(model.params.get(s.param).shape[0], chunks.flatMap(s.idsOf)),
  }));
}
