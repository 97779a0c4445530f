import { describe, expect, it } from 'vitest';
import { RowCache, ROW_CACHE_ENTRY_OVERHEAD_BYTES } from '../../core/rows/rowCache.js';

const row = (v: number) => Float32Array.from([v, v + 0.5]);

describe('RowCache', () => {
  it('evicts the least recently used entry, and a hit makes an entry recent', () => {
    const cache = new RowCache(2, 0); // the minimum capacity: 256
    expect(cache.capacity).toBe(256);
    for (let i = 0; i < 256; i++) cache.set(`i${i}`, { category: i, row: row(i) });
    expect(cache.get('i0')?.category).toBe(0); // i0 is now the most recent
    cache.set('new', { category: 7, row: row(7) });
    expect(cache.get('i1')).toBeUndefined(); // the oldest went
    expect(cache.get('i0')?.row).toEqual(row(0));
    expect(cache.get('new')).toEqual({ category: 7, row: row(7) });
    expect(cache.size).toBe(256);
  });

  it('caches misses, returns copies, and reuses a slot when an id is set again', () => {
    const cache = new RowCache(2, 0);
    cache.set('gone', null);
    expect(cache.get('gone')).toBeNull();
    cache.set('a', { category: 3, row: row(1) });
    const got = cache.get('a')!;
    got.row[0] = 99;
    expect(cache.get('a')!.row).toEqual(row(1));
    cache.set('a', { category: 4, row: row(2) });
    expect(cache.get('a')).toEqual({ category: 4, row: row(2) });
    expect(cache.size).toBe(2);
  });

  it('grows its slab with use: a cache that holds a few rows costs a few KiB, not its bound', () => {
    const cache = new RowCache(16, 16 * 1024 * 1024);
    cache.set('a', { category: 1, row: new Float32Array(16) });
    expect(cache.bytes).toBeLessThan(32 * 1024);
  });

  it('sizes itself by bytes: rows, categories and the per-entry overhead', () => {
    const cache = new RowCache(16, 16 * 1024 * 1024);
    expect(cache.capacity).toBe(Math.floor((16 * 1024 * 1024) / (16 * 4 + 4 + ROW_CACHE_ENTRY_OVERHEAD_BYTES)));
    for (let i = 0; i < cache.capacity + 500; i++) cache.set(`i${i}`, i % 3 === 0 ? null : { category: 1, row: new Float32Array(16) });
    expect(cache.size).toBe(cache.capacity);
    expect(cache.bytes).toBeLessThanOrEqual(16 * 1024 * 1024 + 1024);
  });
});
