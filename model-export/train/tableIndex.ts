/**
 * Which batch index arrays look rows up in which embedding table, per model family. Mini-batch
 * aware L2 (mbaTargets.ts) covers all of them; sparse training (sparseBatch.ts) keeps the
 * item-indexed ones — the tables that grow with the catalogue — on the host.
 */
import { LR_TABLES } from '../models/lr.js';
import { QR_TABLES } from '../layers/qrEmbedding.js';
import type { Batch } from './dataset.js';

export type IndexField = 'historyItems' | 'candidateItems' | 'negativeItems' | 'historyCategories' | 'candidateCategories' | 'negativeCategories';

export interface TableIndex {
  /** ParamStore name of an embedding table [V, D]. */
  param: string;
  /** The batch arrays whose values are rows of this table. */
  fields: IndexField[];
  /** Rows are item ids (the table has one row per catalogue item). */
  items: boolean;
}

export function tableIndices(paramNames: readonly string[]): TableIndex[] {
  const names = new Set(paramNames);
  if (names.has(QR_TABLES.quotient)) {
    // Hashed item ids: the batch's item values index the quotient-remainder tables through ⌊i/m⌋
    // and i mod m, not one row per id, and the two tables are small: they stay dense and outside
    // mini-batch aware L2 (each of their rows is shared by ≈ √N ids and in nearly every batch, so
    // eq. 6's per-id frequency does not apply). Only the category table is indexed by id.
    return [{ param: 'emb.category', fields: ['historyCategories', 'candidateCategories', 'negativeCategories'], items: false }];
  }
  if (names.has('emb.item')) {
    return [
      { param: 'emb.item', fields: ['historyItems', 'candidateItems', 'negativeItems'], items: true },
      { param: 'emb.category', fields: ['historyCategories', 'candidateCategories', 'negativeCategories'], items: false },
    ];
  }
  if (names.has(LR_TABLES.candidateItem)) {
    return [
      { param: LR_TABLES.candidateItem, fields: ['candidateItems'], items: true },
      { param: LR_TABLES.candidateCategory, fields: ['candidateCategories'], items: false },
      { param: LR_TABLES.historyItem, fields: ['historyItems'], items: true },
      { param: LR_TABLES.historyCategory, fields: ['historyCategories'], items: false },
    ];
  }
  return [];
}

/** The item-indexed tables of a model (DIN/Base/DIEN/multi-task `emb.item`; LR's two item tables). */
export function itemTables(paramNames: readonly string[]): TableIndex[] {
  return tableIndices(paramNames).filter((t) => t.items);
}

export function arraysOf(b: Batch, fields: readonly IndexField[]): Int32Array[] {
  return fields.map((f) => b[f]);
}
