/**
 * One shard file of the item row store (contract/itemRows.ts), little-endian:
 *
 *   header  u32 magic 'IERS', u32 format (1), u32 storeId, u32 count, u32 dim, u32 checksum
 *   fpHigh  u32[count]  fingerprint halves, rows sorted by (high, low) for binary search
 *   fpLow   u32[count]
 *   cat     i32[count]  the item's category index (contract indices)
 *   scale   f32[count]  int8 row scale
 *   values  i8[count·dim]
 *
 * `checksum` is xxHash32 of every byte after the header, so a truncated or corrupted file is
 * refused like a model whose sha256 does not match. Reading never copies the shard: a lookup is a
 * binary search over the views and one row dequantised.
 */
import { xxHash32 } from 'js-xxhash';

const MAGIC = 0x53524549; // 'IERS'
const FORMAT = 1;
const HEADER_BYTES = 24;

export interface ShardRow {
  fingerprint: [number, number];
  category: number;
  scale: number;
  /** `dim` int8 values. */
  values: Int8Array;
}

export class ShardFormatError extends Error {
  override name = 'ShardFormatError';
}

export function encodeShard(rows: ShardRow[], storeId: number, dim: number): Uint8Array {
  const sorted = [...rows].sort((a, b) => a.fingerprint[0] - b.fingerprint[0] || a.fingerprint[1] - b.fingerprint[1]);
  const n = sorted.length;
  const bytes = new Uint8Array(HEADER_BYTES + n * 16 + n * dim);
  const view = new DataView(bytes.buffer);
  let at = HEADER_BYTES;
  const u32 = (v: number) => (view.setUint32(at, v, true), (at += 4));
  for (const r of sorted) u32(r.fingerprint[0]);
  for (const r of sorted) u32(r.fingerprint[1]);
  for (const r of sorted) (view.setInt32(at, r.category, true), (at += 4));
  for (const r of sorted) (view.setFloat32(at, r.scale, true), (at += 4));
  for (const r of sorted) {
    if (r.values.length !== dim) throw new Error(`shard row has ${r.values.length} values, expected ${dim}`);
    bytes.set(new Uint8Array(r.values.buffer, r.values.byteOffset, dim), at);
    at += dim;
  }
  for (let i = 1; i < n; i++) {
    if (sorted[i].fingerprint[0] === sorted[i - 1].fingerprint[0] && sorted[i].fingerprint[1] === sorted[i - 1].fingerprint[1]) {
      throw new Error('two ids share a 64-bit fingerprint in one shard; re-key the store (ID_HASH_SEEDS)');
    }
  }
  const header = [MAGIC, FORMAT, storeId >>> 0, n, dim, xxHash32(bytes.subarray(HEADER_BYTES), 0) >>> 0];
  header.forEach((v, i) => view.setUint32(i * 4, v, true));
  return bytes;
}

/** A shard checked and ready for lookups. */
export class Shard {
  private readonly view: DataView;
  readonly count: number;
  private readonly base: { low: number; cat: number; scale: number; values: number };

  /** Throws ShardFormatError when the bytes are not a shard of this store. */
  constructor(private readonly bytes: Uint8Array, expected: { storeId: number; dim: number }) {
    if (bytes.byteLength < HEADER_BYTES) throw new ShardFormatError(`shard is ${bytes.byteLength} bytes, shorter than its header`);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const h = (i: number) => this.view.getUint32(i * 4, true);
    if (h(0) !== MAGIC) throw new ShardFormatError('not a row shard (bad magic)');
    if (h(1) !== FORMAT) throw new ShardFormatError(`shard format ${h(1)}; this reader knows ${FORMAT}`);
    if (h(2) !== expected.storeId >>> 0) throw new ShardFormatError(`shard belongs to store ${h(2).toString(16).padStart(8, '0')}, the manifest names ${(expected.storeId >>> 0).toString(16).padStart(8, '0')}`);
    if (h(4) !== expected.dim) throw new ShardFormatError(`shard rows have ${h(4)} values, the manifest says ${expected.dim}`);
    this.count = h(3);
    if (bytes.byteLength !== HEADER_BYTES + this.count * (16 + expected.dim)) throw new ShardFormatError(`shard is ${bytes.byteLength} bytes, ${this.count} rows need ${HEADER_BYTES + this.count * (16 + expected.dim)}`);
    if ((xxHash32(bytes.subarray(HEADER_BYTES), 0) >>> 0) !== h(5)) throw new ShardFormatError('shard checksum does not match its contents');
    const n = this.count;
    this.base = { low: HEADER_BYTES + 4 * n, cat: HEADER_BYTES + 8 * n, scale: HEADER_BYTES + 12 * n, values: HEADER_BYTES + 16 * n };
  }

  /** Row position of a fingerprint, or -1. */
  find(high: number, low: number): number {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const h = this.view.getUint32(HEADER_BYTES + 4 * mid, true);
      const l = this.view.getUint32(this.base.low + 4 * mid, true);
      if (h === high && l === low) return mid;
      if (h < high || (h === high && l < low)) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  category(i: number): number {
    return this.view.getInt32(this.base.cat + 4 * i, true);
  }

  /** Row i as float32 (value · scale). */
  row(i: number, dim: number): Float32Array {
    const scale = this.view.getFloat32(this.base.scale + 4 * i, true);
    const out = new Float32Array(dim);
    const at = this.base.values + i * dim;
    for (let d = 0; d < dim; d++) out[d] = this.view.getInt8(at + d) * scale;
    return out;
  }
}
