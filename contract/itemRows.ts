/**
 * Item embedding rows outside the graph (issue 28): the contract between the exporter that writes
 * the rows, and the worker and the browser that read them per request.
 *
 * A model exported this way takes the request's item rows as graph inputs (`hist_item_emb` [T, D],
 * `cand_item_emb` [C, D]) instead of an item table inside the ONNX file. The rows live in shard
 * files beside the model (`<model>/rows/<shard>.bin`, static assets); an id's shard and its 64-bit
 * fingerprint inside the shard are hashes of its canonical form, so no reader needs a vocabulary:
 * the manifest stays small at any catalogue size and each request reads only the shards of the
 * ids it carries.
 *
 * The OOV rule is unchanged: an id no shard holds is out of vocabulary — it gets the trained OOV
 * row and its category from the client's hint — and padding positions get the padding row. Both
 * rows are in the manifest.
 */
import { ID_HASH_SEEDS, idHash } from './idHash.js';

/** Graph inputs of a model whose item rows live outside the graph. */
export const ITEM_ROW_INPUTS = { history: 'hist_item_emb', candidates: 'cand_item_emb' } as const;

export interface ItemRowStoreSpec {
  kind: 'sharded-rows';
  /** Shard file format (core/rows/shardFormat.ts); readers refuse versions they do not know. */
  format: 1;
  /** Rows are int8 with one float scale per row (symmetric, scale = max|w|/127). */
  encoding: 'int8-row';
  /** Number of shard files, a power of two. */
  shards: number;
  /** Width of one item row (the item embedding dimension). */
  dim: number;
  /** Rows stored (known items). */
  items: number;
  /** Written into every shard's header: a shard from another export is refused. 8 hex digits. */
  storeId: string;
  /** Directory of the shards, relative to the model's directory. */
  directory: string;
  /** Total bytes of all shards. */
  bytes: number;
  /** The trained padding and OOV rows, float (D each). */
  padRow: number[];
  oovRow: number[];
  /** A few known ids (warm-up and probe requests need real items without a vocabulary). */
  sample: string[];
  /**
   * The most frequent items of training (`items` of them) in one more shard, `<directory>/hot.bin`,
   * read once when a reader starts and kept: typical traffic, concentrated on popular items, is
   * answered without per-request reads. Golden requests and `sample` draw their ids from it.
   */
  hot: { items: number; bytes: number };
}

/** File name of the hot shard. */
export const HOT_SHARD_FILE = 'hot.bin';

/** The shard that holds `canonical`'s row (`shards` is a power of two). */
export function shardOf(canonical: string, shards: number): number {
  return idHash(canonical, ID_HASH_SEEDS.shard) & (shards - 1);
}

/** The id's 64-bit fingerprint as two unsigned 32-bit halves (rows are sorted by it inside a shard). */
export function fingerprintOf(canonical: string): [number, number] {
  return [idHash(canonical, ID_HASH_SEEDS.fingerprintHigh), idHash(canonical, ID_HASH_SEEDS.fingerprintLow)];
}

/** File name of shard `s`: five hex digits (up to 2^20 shards). */
export function shardFileName(s: number): string {
  return `${s.toString(16).padStart(5, '0')}.bin`;
}

/**
 * Shards for `items` rows of `dim` bytes: the smallest power of two that keeps a shard near
 * `targetRows` rows (≈ 32–64 KiB at D = 16: one cold read per id stays cheap), at least 1. At
 * 10⁷ items that is 8,192 files, inside the 20,000 static-asset files of the free plan.
 */
export function shardCountFor(items: number, targetRows = 1024): number {
  let s = 1;
  while (items / s > targetRows * 1.5) s *= 2;
  return s;
}
