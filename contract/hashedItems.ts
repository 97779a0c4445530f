/**
 * Hashed item ids (feature contract format 3): bounded item embeddings without a vocabulary.
 *
 * An item id is hashed into one of N virtual buckets and encoded as the index
 *   i = FIRST_INDEX + (idHash(canonicalId(id), ID_HASH_SEEDS.bucket) mod N)
 * so the graph's item input stays one int32 per behaviour/candidate, exactly as with a vocabulary,
 * and padding stays index 0. The model does not hold N rows: it embeds i with the
 * quotient-remainder trick of Shi et al., "Compositional Embeddings Using Complementary
 * Partitions for Memory-Efficient Recommendation Systems" (KDD 2020): two small tables
 * Q[⌈(N + FIRST_INDEX)/m⌉, D] and R[m, D], looked up at ⌊i/m⌋ and i mod m and combined by an
 * element-wise product (model-export/layers/qrEmbedding.ts, model-export/onnx/qrEmbedding.ts).
 * Two ids share their whole embedding only when they fall in the same bucket (N ≫ items makes
 * that rare); ids sharing a quotient or a remainder row share only one factor.
 *
 * Pure and synchronous (no tfjs, no onnxruntime): training, the worker and the browser all hash
 * through this module, so they agree bit for bit.
 */
import { idHash, ID_HASH_SEEDS } from './idHash.js';
import { FIRST_INDEX } from './indices.js';

/** The contract's `itemIds` entry of a format-3 contract. */
export interface HashedItemIds {
  kind: 'hashed';
  scheme: 'quotient-remainder';
  /** N: virtual rows the ids are hashed into (indices FIRST_INDEX … FIRST_INDEX + N − 1). */
  buckets: number;
  /** m: rows of the remainder table; the quotient table has ⌈(N + FIRST_INDEX)/m⌉. */
  remainder: number;
}

/** Largest index space whose indices (and ⌊i/m⌋, i mod m) are exact in an int32 graph input. */
export const MAX_INDEX_SPACE = 2 ** 31 - 1;

/** Rows of the two tables and their sum (the memory the item embedding costs, in rows of D). */
export function qrRows(spec: Pick<HashedItemIds, 'buckets' | 'remainder'>): { quotient: number; remainder: number; total: number } {
  const quotient = Math.ceil((spec.buckets + FIRST_INDEX) / spec.remainder);
  return { quotient, remainder: spec.remainder, total: quotient + spec.remainder };
}

/** Why a hashed-ids spec is invalid, or undefined when it is valid. */
export function hashedItemIdsProblem(spec: HashedItemIds): string | undefined {
  if (spec.kind !== 'hashed' || spec.scheme !== 'quotient-remainder') return `itemIds must be { kind: 'hashed', scheme: 'quotient-remainder' }`;
  const { buckets: N, remainder: m } = spec;
  if (!Number.isSafeInteger(N) || N < 1) return `itemIds.buckets must be a positive integer, got ${N}`;
  if (N + FIRST_INDEX > MAX_INDEX_SPACE) return `itemIds.buckets ${N} + ${FIRST_INDEX} reserved indices exceed the int32 index space (${MAX_INDEX_SPACE})`;
  if (!Number.isSafeInteger(m) || m < 2) return `itemIds.remainder must be an integer ≥ 2, got ${m}`;
  // m ≥ N + 2 would make the quotient table a single row: a plain table with extra work.
  if (m >= N + FIRST_INDEX) return `itemIds.remainder ${m} must be smaller than buckets + ${FIRST_INDEX} (${N + FIRST_INDEX})`;
  return undefined;
}

/**
 * The spec for a budget of `rows` embedding rows (quotient + remainder): m = ⌊rows/2⌋ and
 * N = m² − FIRST_INDEX, so both tables have m rows (the index space N + 2 = m² is split evenly,
 * which is what m ≈ √N means) and N is as large as the budget allows, making full collisions
 * rare. At 10⁴ rows N ≈ 2.5·10⁷; at 578 rows N ≈ 8.4·10⁴.
 */
export function hashedItemIdsFor(rows: number): HashedItemIds {
  if (!Number.isSafeInteger(rows) || rows < 4) throw new Error(`hashed item ids need a budget of at least 4 rows, got ${rows}`);
  const m = Math.min(Math.floor(rows / 2), Math.floor(Math.sqrt(MAX_INDEX_SPACE)));
  return { kind: 'hashed', scheme: 'quotient-remainder', buckets: m * m - FIRST_INDEX, remainder: m };
}

/** The index of a canonical id: FIRST_INDEX + (xxHash32(id, bucket seed) mod N). Never padding, never OOV. */
export function hashedItemIndex(canonical: string, spec: Pick<HashedItemIds, 'buckets'>): number {
  return FIRST_INDEX + (idHash(canonical, ID_HASH_SEEDS.bucket) % spec.buckets);
}
