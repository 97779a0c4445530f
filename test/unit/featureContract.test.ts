import { describe, expect, it } from 'vitest';
import { buildFeatureContract, canonicalId, FeatureContract, OOV_INDEX, PAD_INDEX } from '../../contract/featureContract.js';

// Vocabulary: a (3×), b (2×), c (1×, below minItemCount 2 → OOV). Categories: a→X, b→Y, c→Y.
const contract = buildFeatureContract(
  new Map([
    ['10', 3],
    ['20', 2],
    ['30', 1],
  ]),
  new Map([
    ['10', 'X'],
    ['20', 'Y'],
    ['30', 'Y'],
  ]),
  { maxHistory: 3, minItemCount: 2 },
);

describe('feature contract', () => {
  it('reserves 0 for padding and 1 for OOV; vocabulary by count then id', () => {
    expect(contract.spec.items).toEqual(['10', '20']);
    expect(contract.itemOf('10')).toBe(2);
    expect(contract.itemOf('20')).toBe(3);
    expect(contract.itemOf('30')).toBe(OOV_INDEX);
    expect(contract.spec.categories).toEqual(['X', 'Y']);
    expect(contract.itemCount).toBe(4);
    expect(contract.categoryCount).toBe(4);
  });

  it('treats the integer 10 and the string "10" as the same id, and rejects non-integers', () => {
    expect(contract.itemOf(10)).toBe(contract.itemOf('10'));
    expect(canonicalId(7)).toBe('7');
    expect(() => canonicalId(1.5)).toThrow(/safe integer/);
    expect(() => canonicalId(Number.NaN)).toThrow();
  });

  it('uses the vocabulary category for known items and ignores the hint', () => {
    expect(contract.encode({ item: '10', category: 'Y' })).toEqual({ item: 2, category: 2, known: true });
  });

  it('uses a known hint for unknown items, else the OOV category', () => {
    expect(contract.encode({ item: '30', category: 'Y' })).toEqual({ item: OOV_INDEX, category: 3, known: false });
    expect(contract.encode({ item: 'nope', category: 'Unheard-of' })).toEqual({ item: OOV_INDEX, category: OOV_INDEX, known: false });
    expect(contract.encode('nope')).toEqual({ item: OOV_INDEX, category: OOV_INDEX, known: false });
  });

  it('keeps the most recent maxHistory behaviours, oldest first, right-padded', () => {
    const h = contract.encodeHistory(['20', '10', '20', 'zzz'], 'full');
    expect(Array.from(h.items)).toEqual([2, 3, OOV_INDEX]); // '20' (oldest) dropped
    expect(h.length).toBe(3);
    expect(h.unknown).toBe(1);
    const short = contract.encodeHistory(['10'], 'full');
    expect(Array.from(short.items)).toEqual([2, PAD_INDEX, PAD_INDEX]);
    expect(Array.from(short.categories)).toEqual([2, PAD_INDEX, PAD_INDEX]);
  });

  it('compact width pads only an empty history, to one slot', () => {
    expect(Array.from(contract.encodeHistory([], 'compact').items)).toEqual([PAD_INDEX]);
    expect(contract.encodeHistory([], 'compact').length).toBe(0);
    expect(Array.from(contract.encodeHistory(['10', '20'], 'compact').items)).toEqual([2, 3]);
  });

  it('encodes candidates in request order and counts unknowns', () => {
    const c = contract.encodeCandidates(['20', { item: 'x', category: 'X' }, 10]);
    expect(Array.from(c.items)).toEqual([3, OOV_INDEX, 2]);
    expect(Array.from(c.categories)).toEqual([3, 2, 2]);
    expect(c.unknown).toBe(1);
  });

  it('round-trips through its JSON spec (what the manifest stores)', () => {
    const again = new FeatureContract(JSON.parse(JSON.stringify(contract.spec)));
    expect(again.encodeHistory(['10', 'zz', '20'], 'full')).toEqual(contract.encodeHistory(['10', 'zz', '20'], 'full'));
  });

  it('refuses inconsistent specs', () => {
    expect(() => new FeatureContract({ ...contract.spec, itemCategories: [2] })).toThrow(/one entry per item/);
    expect(() => new FeatureContract({ ...contract.spec, items: ['10', '10'] })).toThrow(/unique/);
    expect(() => new FeatureContract({ ...contract.spec, itemCategories: [2, 9] })).toThrow(/out of range/);
    expect(() => new FeatureContract({ ...contract.spec, maxHistory: 0 })).toThrow(/maxHistory/);
  });
});
