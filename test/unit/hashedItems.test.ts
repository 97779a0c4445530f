import { describe, expect, it } from 'vitest';
import { buildFeatureContract, FeatureContract, FIRST_INDEX, PAD_INDEX, type FeatureContractSpec } from '../../contract/featureContract.js';
import { hashedItemIdsFor, hashedItemIndex, hashedItemIdsProblem, qrRows, type HashedItemIds } from '../../contract/hashedItems.js';
import { contractOf, modelManifestSchema } from '../../contract/manifest.js';
import type { FeatureSpec } from '../../contract/features.js';

const counts = new Map([
  ['10', 3],
  ['20', 2],
  ['30', 1],
]);
const categories = new Map([
  ['10', 'X'],
  ['20', 'Y'],
  ['30', 'Z'],
]);
const itemIds = hashedItemIdsFor(578);
const hashed = buildFeatureContract(counts, categories, { maxHistory: 3, minItemCount: 2, itemIds });

describe('hashed item ids (contract format 3)', () => {
  it('chooses N and m from a row budget: both tables m rows, N = m² − 2', () => {
    expect(itemIds).toEqual({ kind: 'hashed', scheme: 'quotient-remainder', buckets: 83_519, remainder: 289 });
    expect(qrRows(itemIds)).toEqual({ quotient: 289, remainder: 289, total: 578 });
    expect(qrRows(hashedItemIdsFor(10_001))).toEqual({ quotient: 5000, remainder: 5000, total: 10_000 });
    expect(() => hashedItemIdsFor(3)).toThrow(/at least 4 rows/);
  });

  it('encodes ids deterministically: FIRST_INDEX + xxHash32(id, bucket seed) mod N (pinned values)', () => {
    // Pinned: changing the hash, the seed or the formula re-keys every hashed model.
    expect(hashedItemIndex('1', itemIds)).toBe(17_542);
    expect(hashedItemIndex('42', itemIds)).toBe(8_540);
    expect(hashedItemIndex('abc', itemIds)).toBe(41_137);
    expect(hashedItemIndex('é', itemIds)).toBe(70_707);
    expect(hashed.itemOf(42)).toBe(8_540); // integer and string ids are the same id
    expect(hashed.itemOf('42')).toBe(8_540);
    for (let k = 0; k < 1000; k++) {
      const i = hashed.itemOf(`id-${k}`);
      expect(i).toBeGreaterThanOrEqual(FIRST_INDEX);
      expect(i).toBeLessThan(itemIds.buckets + FIRST_INDEX);
    }
  });

  it('carries no item vocabulary; every id is known, the category is the hint; padding stays 0', () => {
    expect(hashed.spec.formatVersion).toBe(3);
    expect(hashed.spec.items).toEqual([]);
    expect(hashed.spec.itemCategories).toEqual([]);
    expect(hashed.spec.categories).toEqual(['X', 'Y']); // categories of the items the vocabulary rule keeps
    expect(hashed.itemCount).toBe(83_521);
    expect(hashed.itemRows).toBe(578);
    expect(hashed.encode({ item: '30', category: 'Y' })).toEqual({ item: hashedItemIndex('30', itemIds), category: 3, known: true });
    expect(hashed.encode({ item: '10' })).toEqual({ item: hashedItemIndex('10', itemIds), category: 1, known: true });
    const h = hashed.encodeHistory(['10', '20'], 'full');
    expect(Array.from(h.items)).toEqual([hashedItemIndex('10', itemIds), hashedItemIndex('20', itemIds), PAD_INDEX]);
    expect(h.unknown).toBe(0);
  });

  it('takes candidate attributes from hints (no stored item values)', () => {
    const genre: FeatureSpec = { name: 'genre', group: 'candidate', kind: 'sparse', source: { column: 'genre' }, vocabulary: ['a', 'b'], embeddingDim: 4 };
    const c = buildFeatureContract(counts, categories, { maxHistory: 3, minItemCount: 2, itemIds }, { specs: [genre], itemValue: () => 'a' });
    expect(c.spec.features?.[0].itemValues).toBeUndefined();
    const encoded = c.encodeCandidates([{ item: '10', attributes: { genre: 'b' } }, { item: '10' }]);
    expect(Array.from(encoded.features[0].data)).toEqual([FIRST_INDEX + 1, 1]);
  });

  it('refuses bad N and m', () => {
    const bad = (patch: Partial<HashedItemIds>) => hashedItemIdsProblem({ ...itemIds, ...patch });
    expect(bad({})).toBeUndefined();
    expect(bad({ buckets: 0 })).toMatch(/buckets/);
    expect(bad({ buckets: 1.5 })).toMatch(/buckets/);
    expect(bad({ buckets: 2 ** 31 })).toMatch(/int32/);
    expect(bad({ remainder: 1 })).toMatch(/remainder/);
    expect(bad({ remainder: 83_521 })).toMatch(/smaller than buckets/);
    const spec = (patch: Partial<FeatureContractSpec>) => () => new FeatureContract({ ...hashed.spec, ...patch });
    expect(spec({ itemIds: { ...itemIds, remainder: 0 } })).toThrow(/remainder/);
    expect(spec({ items: ['10'], itemCategories: [2] })).toThrow(/no item vocabulary/);
    expect(spec({ formatVersion: 2 })).toThrow(/itemIds need formatVersion 3/);
    expect(spec({ itemIds: undefined })).toThrow(/formatVersion 3 needs itemIds/);
    expect(spec({ formatVersion: 4 as never })).toThrow(/not supported/);
  });

  it('a format-3 manifest round-trips through the manifest schema', () => {
    const manifest = {
      name: 'hashed',
      type: 'din',
      version: '2026-01-01.00000000',
      created: '2026-01-01T00:00:00.000Z',
      onnx: { file: 'model.onnx', sha256: '0'.repeat(64), bytes: 1, irVersion: 8, opset: 17 },
      inputs: [],
      outputs: [],
      featureContract: hashed.spec,
      metrics: {},
      training: {},
    };
    const parsed = modelManifestSchema.parse(JSON.parse(JSON.stringify(manifest)));
    expect(parsed.featureContract).toEqual(hashed.spec);
    const back = contractOf(parsed);
    expect(back.itemOf('abc')).toBe(hashed.itemOf('abc'));
    expect(back.hashedItems).toEqual(itemIds);
    const unknownVersion = { ...manifest, featureContract: { ...hashed.spec, formatVersion: 4 } };
    expect(modelManifestSchema.safeParse(unknownVersion).success).toBe(false);
    const badScheme = { ...manifest, featureContract: { ...hashed.spec, itemIds: { ...itemIds, scheme: 'double-hash' } } };
    expect(modelManifestSchema.safeParse(badScheme).success).toBe(false);
  });

  it('leaves vocabulary contracts as they were (format 2), and --max-items keeps the most frequent', () => {
    const vocabulary = buildFeatureContract(counts, categories, { maxHistory: 3, minItemCount: 1 });
    expect(vocabulary.spec.formatVersion).toBe(2);
    expect(vocabulary.spec.itemIds).toBeUndefined();
    expect(vocabulary.spec.items).toEqual(['10', '20', '30']);
    const small = buildFeatureContract(counts, categories, { maxHistory: 3, minItemCount: 1, maxItems: 2 });
    expect(small.spec.items).toEqual(['10', '20']);
    expect(small.itemRows).toBe(4);
    expect(small.spec.vocabularyRule).toMatch(/2 most frequent/);
  });
});
