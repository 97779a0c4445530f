/**
 * The exporter's half of the item row store (contract/itemRows.ts): the trained item table
 * `emb.item` [V, D] → int8 rows (one scale per row, onnx/int8Weights.ts) in hash-sharded files,
 * plus the store's manifest entry. Row i + FIRST_INDEX of the table is `contract.spec.items[i]`;
 * rows 0 and 1 (padding, OOV) go into the manifest as floats.
 */
import { createHash } from 'node:crypto';
import { FIRST_INDEX, OOV_INDEX, PAD_INDEX, type FeatureContract, type FeatureContractSpec } from '../../contract/featureContract.js';
import { fingerprintOf, HOT_SHARD_FILE, shardCountFor, shardFileName, shardOf, type ItemRowStoreSpec } from '../../contract/itemRows.js';
import { encodeShard, type ShardRow } from '../../core/rows/shardFormat.js';
import { int8PerRow } from './int8Weights.js';

export const ITEM_ROWS_DIRECTORY = 'rows';

export interface ItemRowFiles {
  spec: ItemRowStoreSpec;
  /** Shard file name → bytes. */
  files: Map<string, Uint8Array>;
  /** The contract as the manifest carries it: no item vocabulary (the store holds the items). */
  contract: FeatureContractSpec;
  /** The hot set: golden requests and the warm-up sample draw from it, so a reader's load reads the hot shard and nothing else. */
  goldenItems: string[];
  /** The item table as readers see it, [V, D] by training index: int8-rounded rows, padding and OOV exact. */
  servedTable(): Float32Array;
}

/** Refusals that name the cause: what cannot move out of the graph today. */
export function externalRowsProblem(contract: FeatureContract): string | undefined {
  const withValues = contract.features.candidate.filter((e) => e.spec.itemValues !== undefined).map((e) => e.spec.name);
  if (withValues.length > 0) return `candidate features with per-item values (${withValues.join(', ')}) are stored in the manifest's vocabulary order; item rows outside the graph do not carry them yet — export with item rows in the graph, or drop those features`;
  return undefined;
}

/** Rows in the hot shard by default: 16,384 × (16 + D) bytes ≈ 0.5 MiB at D = 16, read once per reader. */
export const DEFAULT_HOT_ITEMS = 16_384;

export function itemRowFiles(table: { data: Float32Array; shape: number[] }, contract: FeatureContract, options: { shards?: number; sample?: number; hotItems?: number } = {}): ItemRowFiles {
  const problem = externalRowsProblem(contract);
  if (problem) throw new Error(`item rows outside the graph: ${problem}`);
  const [V, D] = table.shape;
  const items = contract.spec.items;
  if (V !== items.length + FIRST_INDEX) throw new Error(`emb.item has ${V} rows, the contract ${items.length} items + ${FIRST_INDEX}`);
  const shards = options.shards ?? shardCountFor(items.length);
  const q = int8PerRow(table.data, V, D);
  const storeId = createHash('sha256').update(new Uint8Array(table.data.buffer, table.data.byteOffset, table.data.byteLength)).digest('hex').slice(0, 8);
  const rowOf = (id: string, i: number): ShardRow => {
    const r = i + FIRST_INDEX;
    return { fingerprint: fingerprintOf(id), category: contract.spec.itemCategories[i], scale: q.scales[r], values: q.values.subarray(r * D, (r + 1) * D) };
  };
  // Items grouped by shard with a counting sort over typed arrays: no object per item of the
  // catalogue is alive at once (10⁷ row objects would need gigabytes), only one shard's.
  const shardOfItem = new Int32Array(items.length);
  const starts = new Int32Array(shards + 1);
  items.forEach((id, i) => {
    shardOfItem[i] = shardOf(id, shards);
    starts[shardOfItem[i] + 1]++;
  });
  for (let s = 0; s < shards; s++) starts[s + 1] += starts[s];
  const order = new Int32Array(items.length);
  const next = starts.slice(0, shards);
  for (let i = 0; i < items.length; i++) order[next[shardOfItem[i]]++] = i;
  // The vocabulary is ordered by training count (buildFeatureContract): its head is the hot set.
  const hotItems = items.slice(0, options.hotItems ?? DEFAULT_HOT_ITEMS);
  const hot = encodeShard(hotItems.map(rowOf), Number.parseInt(storeId, 16), D);
  const files = new Map<string, Uint8Array>([[HOT_SHARD_FILE, hot]]);
  let bytes = hot.byteLength;
  for (let s = 0; s < shards; s++) {
    const rows = Array.from(order.subarray(starts[s], starts[s + 1]), (i) => rowOf(items[i], i));
    const shard = encodeShard(rows, Number.parseInt(storeId, 16), D);
    files.set(shardFileName(s), shard);
    bytes += shard.byteLength;
  }
  const row = (r: number) => Array.from(table.data.subarray(r * D, (r + 1) * D));
  return {
    spec: {
      kind: 'sharded-rows',
      format: 1,
      encoding: 'int8-row',
      shards,
      dim: D,
      items: items.length,
      storeId,
      directory: ITEM_ROWS_DIRECTORY,
      bytes,
      padRow: row(PAD_INDEX),
      oovRow: row(OOV_INDEX),
      sample: items.slice(0, options.sample ?? 32),
      hot: { items: hotItems.length, bytes: hot.byteLength },
    },
    files,
    contract: { ...contract.spec, items: [], itemCategories: [], vocabularyRule: `${contract.spec.vocabularyRule}; ${items.length} items in the row store (${shards} shards), not in the manifest` },
    goldenItems: items.slice(0, Math.max(hotItems.length, 2 * contract.maxHistory + 16)),
    servedTable: () => {
      const out = new Float32Array(q.values.length);
      for (let i = 0; i < out.length; i++) out[i] = i < FIRST_INDEX * D ? table.data[i] : q.values[i] * q.scales[Math.floor(i / D)];
      return out;
    },
  };
}
