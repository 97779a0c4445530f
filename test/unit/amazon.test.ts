import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { amazonSourceName, readAmazon } from '../../model-export/data/amazon.js';
import { toTimelines, type BehaviourLog } from '../../model-export/data/behaviourLog.js';
import { readLines } from '../../model-export/data/lineReader.js';
import { dienSamples, dienUserSplit, dinSamples } from '../../model-export/samples/amazonProtocols.js';
import type { Sample } from '../../model-export/samples/sample.js';

const FIXTURES = new URL('../fixtures/amazon/', import.meta.url).pathname;
const reviews = join(FIXTURES, 'reviews_Tiny_5.json');
const meta = join(FIXTURES, 'meta_Tiny.json');
const tmp = mkdtempSync(join(tmpdir(), 'amazon-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const U1 = 'A1USERONE0001'; // 5 reviews
const U2 = 'A2USERTWO0002'; // 3 reviews, two on the same day
const U3 = 'A3USERTHREE03'; // 2 reviews
const U4 = 'A4USERFOUR004'; // 1 review
const I = (n: number) => `B000ITEM0${n}`;
const { log, stats } = await readAmazon({ reviews, meta, progress: false });
const items = (user: string, l: BehaviourLog = log) => l.timelines.get(user)!.map((b) => b.item);

describe('Amazon reader', () => {
  it('reads the reviews into time-sorted timelines (ties by asin)', () => {
    expect(log.source).toBe('amazon-tiny');
    expect([...log.timelines.keys()].sort()).toEqual([U1, U2, U3, U4]);
    expect(items(U1)).toEqual([I(1), I(2), I(3), I(4), I(5)]);
    expect(log.timelines.get(U1)!.map((b) => b.time)).toEqual([100, 200, 300, 400, 500]);
    expect(log.timelines.get(U1)![0].value).toBe(3);
    expect(items(U2)).toEqual([I(2), I(1), I(6)]); // items 1 and 6 share t = 150
    expect(items(U3)).toEqual([I(3), I(7)]);
    expect(items(U4)).toEqual([I(8)]);
    expect(stats).toMatchObject({ users: 4, items: 8, reviews: { lines: 11, malformed: 0 } });
  });

  it('category = last entry of the last path; only reviewed items; first line wins; no meta → no entry', () => {
    expect(Object.fromEntries(log.itemCategory)).toEqual({
      [I(1)]: 'Cables', // not the later duplicate line's "A later duplicate"
      [I(2)]: 'Batteries', // the last of two paths
      [I(3)]: 'Speakers', // a line with \x, \u, \U escapes and None
      [I(4)]: 'Cables', // a plain JSON line
      [I(7)]: 'Headphones', // asin not the first key, True/False, a tuple, trailing commas
    });
    // item 5: no categories field, item 6: an empty path, item 8: no meta line; B000NOREVW is not reviewed.
    expect(stats).toMatchObject({ categories: 4, itemsWithoutCategory: 3, meta: { lines: 9, kept: 7, malformed: 0 } });
  });

  it("categoryPath 'first' takes DIEN's rule (last entry of the first path)", async () => {
    const dien = await readAmazon({ reviews, meta, progress: false, categoryPath: 'first' });
    expect(dien.log.itemCategory.get(I(2))).toBe('Camera & Photo');
    expect(dien.log.itemCategory.get(I(1))).toBe('Cables');
  });

  it('reads gzipped files (detected by content) and reports progress up to the file size', async () => {
    const gz = join(tmp, 'reviews_Tiny_5.json.gz');
    writeFileSync(gz, gzipSync(readFileSync(reviews)));
    const gzMeta = join(tmp, 'meta_Tiny.data');
    writeFileSync(gzMeta, gzipSync(readFileSync(meta)));
    const fromGz = await readAmazon({ reviews: gz, meta: gzMeta, progress: false });
    expect(fromGz.log.timelines).toEqual(log.timelines);
    expect(fromGz.log.itemCategory).toEqual(log.itemCategory);
    expect(fromGz.log.source).toBe('amazon-tiny');
    for (const file of [reviews, gz]) {
      const progress: Array<[number, number]> = [];
      let lines = 0;
      for await (const line of readLines(file, { progress: false, onProgress: (read, total) => progress.push([read, total]) })) lines += line ? 1 : 0;
      expect(lines).toBe(11);
      expect(progress.at(-1)).toEqual([statSync(file).size, statSync(file).size]);
    }
  });

  it('names the source after the category', () => {
    expect(amazonSourceName('/data/reviews_Electronics_5.json')).toBe('amazon-electronics');
    expect(amazonSourceName('reviews_Cell_Phones_and_Accessories_5.json.gz')).toBe('amazon-cell_phones_and_accessories');
  });

  it('a hostile metadata line is a malformed line: rejected, never run', async () => {
    const marker = '/tmp/interest-edge-pwned-amazon'; // what the fixture's payload would create
    rmSync(marker, { force: true });
    const hostile = join(FIXTURES, 'meta_Hostile.json');
    await expect(readAmazon({ reviews, meta: hostile, progress: false })).rejects.toThrow(/1 of 3 lines are malformed.*line 2: Python literal: the name "__import__"/);
    const tolerant = await readAmazon({ reviews, meta: hostile, progress: false, maxMalformedFraction: 0.5 });
    expect(Object.fromEntries(tolerant.log.itemCategory)).toEqual({ [I(1)]: 'Cables' });
    expect(tolerant.stats.meta).toMatchObject({ lines: 3, malformed: 1, kept: 1 });
    expect(existsSync(marker)).toBe(false);
  });

  it('counts malformed review lines and fails past the threshold', async () => {
    const bad = join(tmp, 'reviews_Bad_5.json');
    const good = readFileSync(reviews, 'utf8').trim().split('\n').filter(Boolean);
    writeFileSync(bad, [...good, '{"reviewerID": "X", "unixReviewTime": 1}', 'not json at all'].join('\n'));
    await expect(readAmazon({ reviews: bad, progress: false })).rejects.toThrow(/2 of 13 lines are malformed/);
    const read = await readAmazon({ reviews: bad, progress: false, maxMalformedFraction: 0.2 });
    expect(read.stats.reviews).toMatchObject({ lines: 13, malformed: 2 });
    expect(read.stats.reviews.examples.map((e) => e.line)).toEqual([12, 13]);
    expect(read.log.itemCategory.size).toBe(0); // no meta file: no categories
  });
});

/** Positives and negatives come in pairs with the same user and position. */
function expectPairs(samples: Sample[], l: BehaviourLog) {
  expect(samples.length % 2).toBe(0);
  for (let i = 0; i < samples.length; i += 2) {
    const [pos, neg] = [samples[i], samples[i + 1]];
    expect(pos.label).toBe(1);
    expect(pos.candidate).toBe(l.timelines.get(pos.user)![pos.position].item);
    expect(neg).toMatchObject({ user: pos.user, position: pos.position, label: 0 });
  }
}

describe('DIN protocol (DIN build_dataset)', () => {
  const din = dinSamples(log, { seed: 1 });
  const positives = (samples: Sample[]) => samples.filter((s) => s.label === 1).map(({ user, position, candidate }) => [user, position, candidate]);

  it('train = Σ 2·(n−2) over users with n ≥ 2, test = 2 per user with n ≥ 2', () => {
    expect(din.train).toHaveLength(2 * (3 + 1 + 0)); // U1: n = 5, U2: n = 3, U3: n = 2, U4: n = 1 gives nothing
    expect(din.test).toHaveLength(2 * 3);
  });

  it('positives: history = the first i reviews, the last review is the test pair', () => {
    expect(positives(din.train)).toEqual([
      [U1, 1, I(2)],
      [U1, 2, I(3)],
      [U1, 3, I(4)],
      [U2, 1, I(1)],
    ]);
    expect(positives(din.test)).toEqual([
      [U1, 4, I(5)],
      [U2, 2, I(6)],
      [U3, 1, I(7)],
    ]);
    expectPairs(din.train, log);
    expectPairs(din.test, log);
  });

  it('negatives: items of the log the user never reviewed', () => {
    const all = new Set([1, 2, 3, 4, 5, 6, 7, 8].map(I));
    for (const s of [...din.train, ...din.test].filter((x) => x.label === 0)) {
      expect(all.has(s.candidate)).toBe(true);
      expect(items(s.user)).not.toContain(s.candidate);
    }
  });

  it('is deterministic per seed', () => {
    expect(dinSamples(log, { seed: 1 })).toEqual(din);
    const other = dinSamples(log, { seed: 2 });
    expect(positives(other.train)).toEqual(positives(din.train));
    expect(other.train.concat(other.test).map((s) => s.candidate)).not.toEqual(din.train.concat(din.test).map((s) => s.candidate));
  });
});

describe('DIEN protocol (DIEN process_data / local_aggretor / split_by_user)', () => {
  const dien = dienSamples(log, { seed: 1 });

  it("one pair per user with ≥ 2 reviews: the last review and its negative, history = the previous reviews", () => {
    const all = [...dien.train, ...dien.test];
    expect(all).toHaveLength(2 * 3);
    expectPairs(dien.train, dien.log);
    expectPairs(dien.test, dien.log);
    for (const user of [U1, U2, U3]) {
      const pair = all.filter((s) => s.user === user);
      expect(pair.map((s) => s.label)).toEqual([1, 0]);
      expect(pair[0]).toEqual({ user, position: log.timelines.get(user)!.length - 1, candidate: items(user).at(-1), label: 1 });
      expect(pair[1].candidate).toBe(dien.negatives.get(user)!.at(-1)); // the last review's own negative
    }
    expect(all.some((s) => s.user === U4)).toBe(false);
  });

  it('every review record has a negative ≠ its item, aligned with the timeline', () => {
    for (const [user, timeline] of dien.log.timelines) {
      const negatives = dien.negatives.get(user)!;
      expect(negatives).toHaveLength(timeline.length);
      negatives.forEach((n, t) => expect(n).not.toBe(timeline[t].item));
    }
  });

  it('caps the history at maxHistory (default 100) by trimming the returned timelines', () => {
    const long: BehaviourLog = {
      source: 'test',
      itemCategory: new Map(),
      timelines: toTimelines(Array.from({ length: 150 }, (_, t) => ({ user: 'u', item: `i${t % 7}`, time: t }))),
    };
    const capped = dienSamples(long, { seed: 1, split: () => 'train' });
    expect(capped.log.timelines.get('u')).toEqual(long.timelines.get('u')!.slice(49));
    expect(capped.negatives.get('u')).toHaveLength(101);
    expect(capped.train[0]).toEqual({ user: 'u', position: 100, candidate: 'i2', label: 1 }); // t = 149
    const three = dienSamples(log, { seed: 1, maxHistory: 3 });
    expect(items(U1, three.log)).toEqual([I(2), I(3), I(4), I(5)]);
    expect([...three.train, ...three.test].find((s) => s.user === U1)!.position).toBe(3);
    expect(items(U2, three.log)).toEqual(items(U2)); // shorter timelines are kept whole
  });

  it('splits users 9:1 by a seeded hash, the same way every time', () => {
    const split = dienUserSplit(1);
    const users = Array.from({ length: 20_000 }, (_, i) => `user${i}`);
    const test = users.filter((u) => split(u) === 'test');
    expect(test.length / users.length).toBeGreaterThan(0.09);
    expect(test.length / users.length).toBeLessThan(0.11);
    expect(users.filter((u) => dienUserSplit(1)(u) === 'test')).toEqual(test);
    const otherSeed = users.filter((u) => dienUserSplit(2)(u) === 'test');
    expect(otherSeed).not.toEqual(test);
    // The samples follow the split.
    for (const s of dien.train) expect(split(s.user)).toBe('train');
    for (const s of dien.test) expect(split(s.user)).toBe('test');
  });

  it('is deterministic per seed', () => {
    expect(dienSamples(log, { seed: 1 })).toEqual(dien);
    expect(dienSamples(log, { seed: 3 }).negatives).not.toEqual(dien.negatives);
  });

  it('draws negatives in proportion to review frequency, excluding the positive', () => {
    // 1,000 users × 10 reviews: 7 of item "hot", 2 of "warm", 1 of "cold" → 7,000 / 2,000 / 1,000 records.
    const rows = [];
    for (let u = 0; u < 1000; u++) {
      for (let t = 0; t < 10; t++) rows.push({ user: `u${u}`, item: t < 7 ? 'hot' : t < 9 ? 'warm' : 'cold', time: t });
    }
    const skewed: BehaviourLog = { source: 'test', itemCategory: new Map(), timelines: toTimelines(rows) };
    const { negatives } = dienSamples(skewed, { seed: 1 });
    const tally = new Map<string, Map<string, number>>();
    for (const [user, timeline] of skewed.timelines) {
      negatives.get(user)!.forEach((n, t) => {
        const byPositive = tally.get(timeline[t].item) ?? new Map<string, number>();
        tally.set(timeline[t].item, byPositive.set(n, (byPositive.get(n) ?? 0) + 1));
      });
    }
    const share = (positive: string, negative: string) => {
      const counts = tally.get(positive)!;
      return (counts.get(negative) ?? 0) / [...counts.values()].reduce((a, b) => a + b, 0);
    };
    // P(neg = x | pos = p) = f(x) / (1 − f(p)); uniform over the other items would give 1/2.
    expect(tally.get('hot')!.has('hot')).toBe(false);
    expect(share('hot', 'warm')).toBeCloseTo(2 / 3, 1); // 7,000 draws, sd ≈ 0.006
    expect(share('cold', 'hot')).toBeCloseTo(7 / 9, 1); // 1,000 draws, sd ≈ 0.013
    expect(share('warm', 'hot')).toBeCloseTo(7 / 8, 1); // 2,000 draws, sd ≈ 0.007
    expect(Math.abs(share('hot', 'warm') - 2 / 3)).toBeLessThan(0.03);
    expect(Math.abs(share('cold', 'hot') - 7 / 9)).toBeLessThan(0.05);
  });
});
