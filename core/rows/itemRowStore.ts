/**
 * The item row store as a reader sees it (worker and browser alike): ids → (category, float row),
 * reading only the shards the ids hash to, with an LRU of rows for hot items.
 *
 * - The hot shard (the most frequent items of training) is read once and kept: typical traffic
 *   needs no read per request.
 * - Shard reads of concurrent requests are shared (one read per shard in flight).
 * - Found rows and misses (ids no shard holds: the OOV rule) are cached; the cache is bounded by
 *   bytes, so an isolate's memory does not grow with the catalogue.
 * - A shard that cannot be read or fails its checks throws RowStoreError: the caller treats the
 *   model as unavailable for that request (the route falls back), and nothing is cached from it.
 */
import { fingerprintOf, HOT_SHARD_FILE, shardFileName, shardOf, type ItemRowStoreSpec } from '../../contract/itemRows.js';
import { RowCache } from './rowCache.js';
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

export const DEFAULT_ROW_CACHE_BYTES = 16 * 1024 * 1024;
/**
 * Shards one request may need beyond the hot shard. Each read is a subrequest on Workers (1,000 per
 * request on paid plans, docs/catalogues.md); H = 50 and C = 100 need at most 150. Counted from
 * the ids alone, never from the cache, so whether a request is refused does not depend on what
 * earlier requests left cached.
 */
export const DEFAULT_MAX_SHARDS_PER_REQUEST = 256;

export interface RowStoreStats {
  hits: number;
  /** Ids answered by the hot shard. */
  hotHits: number;
  misses: number;
  shardReads: number;
  /** Bytes of the shards read. */
  bytesRead: number;
  cachedEntries: number;
  cachedBytes: number;
}

export class ItemRowStore {
  private readonly cache: RowCache;
  private readonly inFlight = new Map<number, Promise<Shard>>();
  private hot?: Promise<Shard>;
  private readonly storeId: number;
  readonly stats: RowStoreStats = { hits: 0, hotHits: 0, misses: 0, shardReads: 0, bytesRead: 0, cachedEntries: 0, cachedBytes: 0 };

  private readonly model?: string;
  readonly maxShardsPerRequest: number;

  /** `cacheBytes`: bound of the row cache; `model`: named in errors; `maxShardsPerRequest`: see DEFAULT_MAX_SHARDS_PER_REQUEST. */
  constructor(
    readonly spec: ItemRowStoreSpec,
    private readonly read: ShardReader,
    options: { cacheBytes?: number; model?: string; maxShardsPerRequest?: number } = {},
  ) {
    this.model = options.model;
    this.maxShardsPerRequest = options.maxShardsPerRequest ?? DEFAULT_MAX_SHARDS_PER_REQUEST;
    this.cache = new RowCache(spec.dim, options.cacheBytes ?? DEFAULT_ROW_CACHE_BYTES);
    this.storeId = Number.parseInt(spec.storeId, 16);
  }

  /** Distinct shards beyond the hot one that `ids` hash to: what a request costs with nothing cached. */
  async shardsFor(ids: readonly string[]): Promise<number> {
    const hot = await this.hotShard();
    const shards = new Set<number>();
    for (const id of ids) {
      const [high, low] = fingerprintOf(id);
      if (hot.find(high, low) < 0) shards.add(shardOf(id, this.spec.shards));
    }
    return shards.size;
  }

  /** Rows of `ids` (canonical): a row for every id a shard holds, null for the others. */
  async resolve(ids: readonly string[]): Promise<Map<string, ResolvedItem | null>> {
    const out = new Map<string, ResolvedItem | null>();
    const missing = new Map<number, string[]>();
    const hot = await this.hotShard();
    for (const id of ids) {
      if (out.has(id)) continue;
      const [high, low] = fingerprintOf(id);
      const h = hot.find(high, low);
      if (h >= 0) {
        this.stats.hotHits++;
        out.set(id, { category: hot.category(h), row: hot.row(h, this.spec.dim) });
        continue;
      }
      const cached = this.cache.get(id);
      if (cached !== undefined) {
        this.stats.hits++;
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
    this.stats.cachedEntries = this.cache.size;
    this.stats.cachedBytes = this.cache.bytes;
  }

  /** The hot shard, read on first use; a failed read is retried by the next request. */
  private hotShard(): Promise<Shard> {
    if (!this.hot) {
      const read = this.readShard(HOT_SHARD_FILE);
      this.hot = read;
      read.catch(() => {
        if (this.hot === read) this.hot = undefined;
      });
    }
    return this.hot;
  }

  private shard(s: number): Promise<Shard> {
    let p = this.inFlight.get(s);
    if (!p) {
      p = this.readShard(shardFileName(s)).finally(() => this.inFlight.delete(s));
      this.inFlight.set(s, p);
    }
    return p;
  }

  private async readShard(file: string): Promise<Shard> {
    this.stats.shardReads++;
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
  }
}
