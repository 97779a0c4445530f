/**
 * The pieces under `npm run train`'s new options: the item-mean baseline of the `rating` protocol
 * (hand-computed), the validation slice of the training users (what it takes out, what it leaves
 * alone), and which epoch a fit with early stopping keeps.
 */
import { describe, expect, it } from 'vitest';
import { toTimelines, type BehaviourLog } from '../../model-export/data/behaviourLog.js';
import { keptEpoch } from '../../model-export/train/fit.js';
import { itemMeanBaseline } from '../../model-export/train/itemMean.js';
import { prepareData, validationUsers } from '../../model-export/train/pipeline.js';

describe('item-mean baseline (rating protocol)', () => {
  it("scores a test rating by the item's mean training rating, unseen items by the global mean", () => {
    const log: BehaviourLog = {
      source: 'test',
      itemCategory: new Map(),
      timelines: toTimelines([
        // training users: means x = (5 + 3) / 2 = 4, y = (2 + 1) / 2 = 1.5, z = 4; global (5+2+4+3+1) / 5 = 3
        { user: 'a', item: 'x', time: 1, value: 5 },
        { user: 'a', item: 'y', time: 2, value: 2 },
        { user: 'a', item: 'z', time: 3, value: 4 },
        { user: 'b', item: 'x', time: 1, value: 3 },
        { user: 'b', item: 'y', time: 2, value: 1 },
        // the test user: z is history only; samples x (label 1), y (label 1), w (label 0, unseen in training)
        { user: 't', item: 'z', time: 1, value: 4 },
        { user: 't', item: 'x', time: 2, value: 4 },
        { user: 't', item: 'y', time: 3, value: 5 },
        { user: 't', item: 'w', time: 4, value: 2 },
      ]),
    };
    const data = prepareData(log, { protocol: 'rating', seed: 1, maxHistory: 5, minItemCount: 1, split: (u) => (u === 't' ? 'test' : 'train') });
    expect(data.test.size).toBe(3);
    // scores x 4, y 1.5, w 3: the positive x beats w, the positive y loses to it → AUC ½. Were w
    // scored anything but a value between 1.5 and 4 (the global mean 3), AUC would be 0 or 1.
    expect(itemMeanBaseline(data)).toEqual({ auc: 0.5, gauc: 0.5 });
  });
});

describe('validation slice of the training users', () => {
  // 300 users with 6 behaviours each over 40 items.
  const rows = [];
  for (let u = 0; u < 300; u++) for (let t = 0; t < 6; t++) rows.push({ user: `user-${u}`, item: `i${(u * 7 + t * 13) % 40}`, time: t });
  const log: BehaviourLog = { source: 'test', itemCategory: new Map(), timelines: toTimelines(rows) };
  const split = (u: string) => (Number(u.slice(5)) % 5 === 0 ? ('test' as const) : ('train' as const));
  const options = { protocol: 'next' as const, seed: 3, maxHistory: 5, minItemCount: 1, split };
  const without = prepareData(log, options);
  const withValidation = prepareData(log, { ...options, validationFraction: 0.2 });

  it('moves the samples of ≈ 20 % of the training users, chosen by hash, out of the fit', () => {
    const held = validationUsers(0.2);
    const validation = withValidation.validation!;
    expect(without.validation).toBeUndefined();
    expect(validation.userIds.every(held)).toBe(true);
    expect(withValidation.train.userIds.some(held)).toBe(false);
    expect(validation.userIds.every((u) => split(u) === 'train')).toBe(true);
    expect(validation.userIds.length).toBeGreaterThan(30);
    expect(validation.userIds.length).toBeLessThan(70); // 240 training users × 0.2 ≈ 48
    expect(withValidation.train.size + validation.size).toBe(without.train.size);
  });

  it('leaves the vocabulary and the test samples as they are', () => {
    expect(withValidation.contract.itemCount).toBe(without.contract.itemCount);
    expect(withValidation.test.size).toBe(without.test.size);
    expect([...withValidation.test.candidateItems]).toEqual([...without.test.candidateItems]);
    expect([...withValidation.test.labels]).toEqual([...without.test.labels]);
  });

  it.each(['din', 'dien'] as const)('works the same way on the %s protocol (its own split)', (protocol) => {
    const o = { protocol, seed: 3, maxHistory: 5, minItemCount: 1, negativeSequences: protocol === 'dien' };
    const plain = prepareData(log, o);
    const held = prepareData(log, { ...o, validationFraction: 0.2 });
    expect(held.validation!.size).toBeGreaterThan(0);
    expect(held.train.size + held.validation!.size).toBe(plain.train.size);
    expect(held.validation!.userIds.every(validationUsers(0.2))).toBe(true);
    expect([...held.test.candidateItems]).toEqual([...plain.test.candidateItems]);
  });
});

describe('keptEpoch', () => {
  const epoch = (n: number, gauc?: number) => ({ epoch: n, ...(gauc !== undefined ? { validation: { auc: gauc, gauc, logloss: 0 } } : {}) });
  it('is the best validation GAUC (the earliest on ties), else the last epoch', () => {
    expect(keptEpoch([epoch(1, 0.6), epoch(2, 0.7), epoch(3, 0.7), epoch(4, 0.65)]).epoch).toBe(2);
    expect(keptEpoch([epoch(1, Number.NaN), epoch(2, 0.55)]).epoch).toBe(2);
    expect(keptEpoch([epoch(1), epoch(2), epoch(3)]).epoch).toBe(3);
  });
});
