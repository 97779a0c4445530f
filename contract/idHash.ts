/**
 * The id hash every part of the system shares: training, the exporter, the worker and the browser
 * all map a canonical id (contract/featureContract.ts `canonicalId`) to the same 32-bit numbers.
 *
 * xxHash32 (js-xxhash: pure JS, synchronous, no wasm — workerd cannot compile wasm from bytes)
 * over the id's UTF-8 bytes. Different seeds give independent hashes: the hashed-ids option and
 * the row store's shards and fingerprints each use their own seed, so an id's bucket, shard and
 * fingerprint are not correlated.
 */
import { xxHash32 } from 'js-xxhash';

/** Seeds by purpose; changing one re-keys every exported model that uses it. */
export const ID_HASH_SEEDS = {
  /** Hashed-ids option: the id's virtual row. */
  bucket: 0x1d5eed01,
  /** Row store: which shard holds the id's row. */
  shard: 0x1d5eed02,
  /** Row store: the id's 64-bit fingerprint inside its shard (two 32-bit halves). */
  fingerprintHigh: 0x1d5eed03,
  fingerprintLow: 0x1d5eed04,
} as const;

/** Unsigned 32-bit hash of a canonical id. */
export function idHash(canonical: string, seed: number): number {
  return xxHash32(canonical, seed) >>> 0;
}
