/**
 * The isolate's LRU of item rows (core/rows/itemRowStore.ts): rows in one preallocated Float32Array
 * slab, categories in an Int32Array, and a Map from id to slot whose insertion order is the
 * recency order (oldest first). A cached id costs its row plus about 100 bytes (the Map entry and
 * the id string), not a row object per id: measured in Node, object-per-row entries took ≈ 350 B
 * beside a 64 B row. Ids no shard holds (out of vocabulary) are cached as misses.
 */

const MISS = -1;
/** Bytes per cached id beyond its row: Map entry and key string (measured ≈ 90–110 B in V8). */
export const ROW_CACHE_ENTRY_OVERHEAD_BYTES = 112;

export class RowCache {
  /** id → slot, or MISS; Map order = recency. */
  private readonly slots = new Map<string, number>();
  private rows: Float32Array;
  private categories: Int32Array;
  private readonly free: number[] = [];
  readonly capacity: number;

  constructor(
    private readonly dim: number,
    bytes: number,
  ) {
    this.capacity = Math.max(256, Math.floor(bytes / (dim * 4 + 4 + ROW_CACHE_ENTRY_OVERHEAD_BYTES)));
    // The slab grows by doubling up to `capacity`: a model whose traffic the hot shard answers never pays for it.
    this.rows = new Float32Array(0);
    this.categories = new Int32Array(0);
    this.grow();
  }

  /** Doubles the slab (at least 256 slots, at most `capacity`); false when it is full size. */
  private grow(): boolean {
    const slots = this.categories.length;
    if (slots >= this.capacity) return false;
    const next = Math.min(this.capacity, Math.max(256, slots * 2));
    const rows = new Float32Array(next * this.dim);
    rows.set(this.rows);
    const categories = new Int32Array(next);
    categories.set(this.categories);
    this.rows = rows;
    this.categories = categories;
    for (let s = next - 1; s >= slots; s--) this.free.push(s);
    return true;
  }

  get size(): number {
    return this.slots.size;
  }

  /** Bytes the cache holds (slab, plus the entries' estimated overhead). */
  get bytes(): number {
    return this.rows.byteLength + this.categories.byteLength + this.slots.size * ROW_CACHE_ENTRY_OVERHEAD_BYTES;
  }

  /**
   * The cached answer for `id`: a copy of its row and its category, `null` for a cached miss,
   * `undefined` when not cached. A hit becomes the most recent entry.
   */
  get(id: string): { category: number; row: Float32Array } | null | undefined {
    const slot = this.slots.get(id);
    if (slot === undefined) return undefined;
    this.slots.delete(id);
    this.slots.set(id, slot);
    if (slot === MISS) return null;
    return { category: this.categories[slot], row: this.rows.slice(slot * this.dim, (slot + 1) * this.dim) };
  }

  /** Remembers `id`'s row (or that no shard holds it), evicting the least recent entries as needed. */
  set(id: string, item: { category: number; row: Float32Array } | null): void {
    const old = this.slots.get(id);
    if (old !== undefined) {
      this.slots.delete(id);
      if (old !== MISS) this.free.push(old);
    }
    if (item === null) {
      if (this.slots.size >= this.capacity) this.evict();
      this.slots.set(id, MISS);
      return;
    }
    if (this.free.length === 0 && !this.grow()) this.evict();
    else if (this.slots.size >= this.capacity) this.evict();
    const slot = this.free.pop()!;
    this.rows.set(item.row, slot * this.dim);
    this.categories[slot] = item.category;
    this.slots.set(id, slot);
  }

  /** Drops the least recent entries until a slot is free and the entry count is under capacity. */
  private evict(): void {
    for (const [id, slot] of this.slots) {
      this.slots.delete(id);
      if (slot !== MISS) this.free.push(slot);
      if (this.free.length > 0 && this.slots.size < this.capacity) return;
    }
  }
}
