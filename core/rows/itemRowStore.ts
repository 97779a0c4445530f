/**
 * The item row store as a reader sees it (worker and browser alike): ids → (category, float row),
 * reading only the shards the ids hash to, with an LRU of rows for hot items.
 *
 * - Shard reads of concurrent requests are shared (one read per shard in flight).
 * - Found rows and misses (ids no shard holds: the OOV rule) are cached; the cache is bounded by
 *   bytes, so an isolate's memory does not grow with the catalogue.
 * - A shard that cannot be read or fails its checks throws RowStoreError: the caller treats the
 *   model as unavailable for that request (the route falls back), and nothing is cached from it.
 */
import { fingerprintOf, shardFileName, shardOf, type ItemRowStoreSpec } from '../../contract/itemRows.js';
import { Shard } from './shardFormat.js';

export interface ResolvedItem {
  category: number;
  row: Float32Array;
}

/** Reads one shard file's bytes (`rows/<file>` beside the model). */
export type ShardReader = (file: string) => Promise<ArrayBuffer | Uint8Array>;

export class RowStoreError extends Error {
  override name = 'RowStoreError';
  constructor(
    message: string,
    /** The model whose rows could not be read. */
    readonly model?: string,
  ) {
    super(message);
  }
}

/** Approximate bytes one cached entry holds beyond its row (Map entry, key string, objects). */
const ENTRY_OVERHEAD_BYTES = 160;
export const DEFAULT_ROW_CACHE_BYTES = 16 * 1024 * 1024;

export interface RowStoreStats {
  hits: number;
  misses: number;
  shardReads: number;
  /** Bytes of the shards read. */
  bytesRead: number;
  cachedEntries: number;
  cachedBytes: number;
}

export class ItemRowStore {
  /** id → row, or null for an id no shard holds; Map order is recency (oldest first). */
  private readonly cache = new Map<string, ResolvedItem | null>();
  private readonly inFlight = new Map<number, Promise<Shard>>();
  private readonly maxEntries: number;
  private readonly storeId: number;
  readonly stats: RowStoreStats = { hits: 0, misses: 0, shardReads: 0, bytesRead: 0, cachedEntries: 0, cachedBytes: 0 };

  private readonly model?: string;

  /** `cacheBytes`: bound of the row cache; `model`: named in errors. */
  constructor(
    readonly spec: ItemRowStoreSpec,
    private readonly read: ShardReader,
    options: { cacheBytes?: number; model?: string } = {},
  ) {
    this.model = options.model;
    this.maxEntries = Math.max(256, Math.floor((options.cacheBytes ?? DEFAULT_ROW_CACHE_BYTES) / (spec.dim * 4 + ENTRY_OVERHEAD_BYTES)));
    this.storeId = Number.parseInt(spec.storeId, 16);
  }

  /** Rows of `ids` (canonical): a row for every id a shard holds, null for the others. */
  async resolve(ids: readonly string[]): Promise<Map<string, ResolvedItem | null>> {
    const out = new Map<string, ResolvedItem | null>();
    const missing = new Map<number, string[]>();
    for (const id of ids) {
      if (out.has(id)) continue;
      const cached = this.cache.get(id);
      if (cached !== undefined) {
        this.stats.hits++;
        this.cache.delete(id); // refresh recency
        this.cache.set(id, cached);
        out.set(id, cached);
        continue;
      }
      this.stats.misses++;
      out.set(id, null);
      const s = shardOf(id, this.spec.shards);
      const list = missing.get(s);
      if (list) list.push(id);
      else missing.set(s, [id]);
    }
    await Promise.all(
      [...missing].map(async ([s, list]) => {
        const shard = await this.shard(s);
        for (const id of list) {
          const [high, low] = fingerprintOf(id);
          const i = shard.find(high, low);
          const item = i < 0 ? null : { category: shard.category(i), row: shard.row(i, this.spec.dim) };
          out.set(id, item);
          this.remember(id, item);
        }
      }),
    );
    return out;
  }

  private remember(id: string, item: ResolvedItem | null): void {
    this.cache.set(id, item);
    while (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
    this.stats.cachedEntries = this.cache.size;
    this.stats.cachedBytes = this.cache.size * (this.spec.dim * 4 + ENTRY_OVERHEAD_BYTES);
  }

  private shard(s: number): Promise<Shard> {
    let p = this.inFlight.get(s);
    if (!p) {
      const file = shardFileName(s);
      this.stats.shardReads++;
      p = (async () => {
        let bytes: ArrayBuffer | Uint8Array;
        try {
          bytes = await this.read(file);
        } catch (err) {
          throw new RowStoreError(`item rows: cannot read shard ${this.spec.directory}/${file}: ${err instanceof Error ? err.message : String(err)}`, this.model);
        }
        this.stats.bytesRead += bytes.byteLength;
        try {
          return new Shard(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), { storeId: this.storeId, dim: this.spec.dim });
        } catch (err) {
          throw new RowStoreError(`item rows: shard ${this.spec.directory}/${file} is refused: ${err instanceof Error ? err.message : String(err)}`, this.model);
        }
      })().finally(() => this.inFlight.delete(s));
      this.inFlight.set(s, p);
    }
    return p;
  }
}
