import { describe, expect, it } from 'vitest';
import { toTimelines, type BehaviourLog } from '../../model-export/data/behaviourLog.js';
import type seedrandom from 'seedrandom';
import { unseenSampler } from '../../model-export/samples/negativeSampler.js';
import { negativeSequences } from '../../model-export/samples/negativeSequences.js';
import { buildSamples } from '../../model-export/samples/protocols.js';
import { moduloFiveSplit } from '../../model-export/samples/sample.js';
import { buildFeatureContract } from '../../contract/featureContract.js';
import { EncodedDataset } from '../../model-export/train/dataset.js';

const log: BehaviourLog = {
  source: 'test',
  itemCategory: new Map(['1', '2', '3', '4', '5', '6'].map((i) => [i, Number(i) % 2 ? 'odd' : 'even'])),
  timelines: toTimelines([
    { user: '5', item: '3', time: 20, value: 5 },
    { user: '5', item: '1', time: 10, value: 2 },
    { user: '5', item: '2', time: 10, value: 4 }, // same time as item 1: ordered by id
    { user: '7', item: '4', time: 1, value: 3 },
    { user: '7', item: '5', time: 2, value: 4.5 },
  ]),
};

describe('sample protocols', () => {
  it('timelines are sorted by (time, item id)', () => {
    expect(log.timelines.get('5')!.map((b) => b.item)).toEqual(['1', '2', '3']);
  });

  it('rating: every behaviour after the first, label = rating ≥ 4', () => {
    const s = buildSamples(log, 'rating', { seed: 1 });
    expect(s).toEqual([
      { user: '5', position: 1, candidate: '2', label: 1 },
      { user: '5', position: 2, candidate: '3', label: 1 },
      { user: '7', position: 1, candidate: '5', label: 1 },
    ]);
  });

  it('next: one positive and one unseen negative per behaviour, deterministic per seed', () => {
    const s = buildSamples(log, 'next', { seed: 1 });
    expect(s).toHaveLength(6);
    for (let i = 0; i < s.length; i += 2) {
      expect(s[i].label).toBe(1);
      expect(s[i + 1]).toMatchObject({ user: s[i].user, position: s[i].position, label: 0 });
      const seen = new Set(log.timelines.get(s[i].user)!.map((b) => b.item));
      expect(seen.has(s[i + 1].candidate)).toBe(false);
    }
    expect(buildSamples(log, 'next', { seed: 1 })).toEqual(s);
  });

  it('next: a user who touched every item of the pool gives no drawn-negative sample (and is reported), positions with impressions stay', () => {
    const pool = ['1', '2', '3', '4', '5'];
    const all: BehaviourLog = {
      ...log,
      timelines: toTimelines([
        ...pool.map((item, k) => ({ user: 'power', item, time: k })),
        { user: 'power', item: '1', time: 9, shown: ['1', '6'] }, // an impression: its negative is shown, not drawn
        { user: 'casual', item: '1', time: 1 },
        { user: 'casual', item: '2', time: 2 },
      ]),
    };
    const noNegative = new Set<string>();
    const s = buildSamples(all, 'next', { seed: 1, negativePool: pool, noNegative });
    expect([...noNegative]).toEqual(['power']);
    expect(s.filter((x) => x.user === 'power')).toEqual([
      { user: 'power', position: 5, candidate: '1', label: 1 },
      { user: 'power', position: 5, candidate: '6', label: 0 },
    ]);
    expect(s.filter((x) => x.user === 'casual').map((x) => x.label)).toEqual([1, 0]);
    // DIEN's auxiliary negatives for such a user: pool items (none is unclicked), not an error.
    const sequences = negativeSequences(all, 1, pool);
    expect(sequences.get('power')!.every((item) => pool.includes(item))).toBe(true);
    expect(sequences.get('casual')!.every((item) => !['1', '2'].includes(item))).toBe(true);
  });

  it('negatives for a user who touched most of the pool come from the pool’s unseen items, one random number a draw', () => {
    const pool = Array.from({ length: 1000 }, (_, i) => `i${String(i).padStart(4, '0')}`);
    const crawler = new Set(pool.filter((_, i) => i !== 617 && i !== 3));
    let calls = 0;
    const rng = Object.assign(() => (calls++, 0.75), { int32: () => 0, quick: () => 0, double: () => 0, state: () => ({}) }) as unknown as seedrandom.PRNG;
    const draw = unseenSampler(rng, pool);
    expect([draw(crawler, 'c'), draw(crawler, 'c')]).toEqual(['i0617', 'i0617']); // unseen = [i0003, i0617]; ⌊0.75·2⌋ = 1
    expect(calls).toBe(2);
    // Under half the pool: rejection sampling over the whole pool, as before.
    expect(draw(new Set(pool.slice(0, 499)), 'u')).toBe('i0750');
  });

  it('split: user id % 5 == 0 is test', () => {
    expect(moduloFiveSplit('5')).toBe('test');
    expect(moduloFiveSplit('7')).toBe('train');
    expect(() => moduloFiveSplit('abc')).toThrow(/numeric/);
  });

  it('batches align histories and DIEN negatives at H = 3 (hand-computed)', () => {
    // user 9: items 1..5 at t = 1..5; negatives (one per behaviour) 11..15.
    const small: BehaviourLog = {
      source: 'test',
      itemCategory: new Map(['1', '2', '3', '4', '5', '11', '12', '13', '14', '15'].map((i) => [i, 'c'])),
      timelines: toTimelines(['1', '2', '3', '4', '5'].map((item, t) => ({ user: '9', item, time: t + 1, value: 5 }))),
    };
    const vocab = new Map(['1', '2', '3', '4', '5', '11', '12', '13', '14', '15'].map((i) => [i, 1]));
    const contract = buildFeatureContract(vocab, small.itemCategory, { maxHistory: 3, minItemCount: 1 });
    const negatives = new Map([['9', ['11', '12', '13', '14', '15']]]);
    const samples = buildSamples(small, 'rating', { seed: 1 }); // positions 1..4: candidates 2..5
    const data = new EncodedDataset(small, samples, contract, negatives);
    const b = data.batch([0, 3]); // position 1 (history [1]) and position 4 (history [2, 3, 4])
    const ids = (xs: Int32Array) => Array.from(xs, (i) => (i === 0 ? 0 : contract.spec.items[i - 2]));
    expect(ids(b.historyItems)).toEqual(['1', 0, 0, '2', '3', '4']);
    expect(ids(b.negativeItems)).toEqual(['11', 0, 0, '12', '13', '14']);
    expect(ids(b.candidateItems)).toEqual(['2', '5']);
  });

  it('batches hold the last ≤ H behaviours before the sample, right-padded', () => {
    const contract = buildFeatureContract(new Map(['1', '2', '3', '4', '5'].map((i) => [i, 1])), log.itemCategory, { maxHistory: 1, minItemCount: 1 });
    const samples = buildSamples(log, 'rating', { seed: 1 });
    const data = new EncodedDataset(log, samples, contract);
    const b = data.batch([1]); // user 5, position 2 → history [1, 2] → H = 1 keeps [2]
    expect(Array.from(b.historyItems)).toEqual([contract.itemOf('2')]);
    expect(b.candidateItems[0]).toBe(contract.itemOf('3'));
  });
});

describe('popularity baseline', () => {
  it('ranks candidates by training count, OOV last', async () => {
    const { popularityBaseline } = await import('../../model-export/train/popularity.js');
    // vocabulary by count: '1' (3×) → index 2, '2' (2×) → index 3; '6' is OOV
    const contract = buildFeatureContract(new Map([['1', 3], ['2', 2]]), log.itemCategory, { maxHistory: 2, minItemCount: 2 });
    const samples = [
      { user: '5', position: 1, candidate: '1', label: 1 as const },
      { user: '5', position: 1, candidate: '2', label: 0 as const },
      { user: '7', position: 1, candidate: '6', label: 1 as const },
      { user: '7', position: 1, candidate: '2', label: 0 as const },
    ];
    const r = popularityBaseline(new EncodedDataset(log, samples, contract));
    expect(r.gauc).toBe(0.5); // user 5: popular positive wins (1); user 7: OOV positive loses (0)
    expect(r.auc).toBe(0.5); // pairs: (1 > 2 ✓ twice), (6 vs 2 ✗ twice)
  });
});
