/**
 * The Amazon sample protocols of the DIN and DIEN papers, over any BehaviourLog (built for
 * data/amazon.ts). Each user's timeline is the reviews sorted by (time, asin); docs/data-sources.md
 * states both protocols in full.
 *
 * - DIN (its build_dataset script): for a user with n reviews, every position i = 1 … n−1 gives
 *   a positive (item i) and a negative (an item of the log the user never reviewed, uniform), both
 *   with history = the first i reviews; i ≤ n−2 go to train, i = n−1 (the last review) to test.
 *   Every user is in both splits (a temporal split).
 * - DIEN (its process_data / local_aggretor / split_by_user scripts): every review record gets a
 *   negative drawn from all review records (so proportional to item frequency), re-drawn while it
 *   equals the reviewed item. Only each user's last review gives samples — it and its negative,
 *   history = the previous reviews (the last `maxHistory`) — and users are split 9:1 train:test.
 *
 * Users with fewer than 2 reviews have no history for any review and give no sample in either
 * protocol (the 5-core files have none).
 */
import { createHash } from 'node:crypto';
import seedrandom from 'seedrandom';
import type { Behaviour, BehaviourLog } from '../data/behaviourLog.js';
import { itemPool, unseenSampler } from './negativeSampler.js';
import { sampleStream } from './protocols.js';
import type { Sample, UserSplit } from './sample.js';

export interface SplitSamples {
  train: Sample[];
  test: Sample[];
}

export interface DinProtocolOptions {
  seed: number;
  /** Items negatives are drawn from; default every item of the log (the script's item set). */
  negativePool?: readonly string[];
}

/**
 * The DIN protocol: the `next` protocol's pairs (same negative sampler, random stream
 * `next:<seed>:din`), split by position — the last review of each user is the test pair.
 */
export function dinSamples(log: BehaviourLog, options: DinProtocolOptions): SplitSamples {
  return { train: [...dinSampleStream(log, options, 'train')], test: [...dinSampleStream(log, options, 'test')] };
}

/**
 * One split of the DIN protocol, generated lazily. Both splits replay the same random stream and
 * keep their own positions, so each gets exactly the samples `dinSamples` puts in it.
 */
export function* dinSampleStream(log: BehaviourLog, { seed, negativePool }: DinProtocolOptions, split: 'train' | 'test'): Generator<Sample> {
  for (const s of sampleStream(log, 'next', { seed, negativePool: negativePool ?? itemPool(log), stream: 'din' })) {
    const last = log.timelines.get(s.user)!.length - 1;
    if ((s.position === last) === (split === 'test')) yield s;
  }
}

/** DIEN's history length (its training script's `maxlen`). */
export const DIEN_MAX_HISTORY = 100;

export interface DienProtocolOptions {
  seed: number;
  /** Reviews kept before the sample (default 100); older ones are dropped from the returned log. */
  maxHistory?: number;
  /** Default dienUserSplit(seed): 1 user in 10 to test. */
  split?: UserSplit;
}

export interface DienSamples extends SplitSamples {
  /**
   * The timelines the samples point into: each user's last maxHistory + 1 reviews (a user's last
   * review is its sample's positive, at position = length − 1). Same item categories and source.
   */
  log: BehaviourLog;
  /**
   * Per user, the negative drawn for each review of `log`'s timeline (aligned by index): the
   * sample's negative is the last one, the others are DIEN's auxiliary-loss negatives of the
   * history — the shape negativeSequences.ts produces and EncodedDataset takes.
   */
  negatives: Map<string, string[]>;
}

/** The DIEN protocol; the random stream is `dien:<seed>`, the split dienUserSplit(seed) unless given. */
export function dienSamples(log: BehaviourLog, { seed, maxHistory = DIEN_MAX_HISTORY, split = dienUserSplit(seed) }: DienProtocolOptions): DienSamples {
  if (!Number.isInteger(maxHistory) || maxHistory < 1) throw new Error(`maxHistory must be a positive integer, got ${maxHistory}`);
  // Every review record once, users in log order: drawing a uniform record draws an item in
  // proportion to its review count (the script's item_list).
  const records: string[] = [];
  for (const timeline of log.timelines.values()) for (const b of timeline) records.push(b.item);
  if (new Set(records).size < 2) throw new Error('the DIEN protocol needs at least two distinct items');
  // unseenSampler over the record list with "seen" = the reviewed item alone is exactly the
  // script's draw: uniform record, re-drawn while equal to the positive.
  const draw = unseenSampler(seedrandom(`dien:${seed}`), records);

  const out: DienSamples = { train: [], test: [], log: { ...log, timelines: new Map() }, negatives: new Map() };
  for (const [user, timeline] of log.timelines) {
    const drawn = timeline.map((b) => draw(new Set([b.item]), user));
    const keep = timeline.length < 2 ? 0 : Math.max(0, timeline.length - 1 - maxHistory);
    const kept: Behaviour[] = timeline.slice(keep);
    out.log.timelines.set(user, kept);
    out.negatives.set(user, drawn.slice(keep));
    if (kept.length < 2) continue;
    const position = kept.length - 1;
    const target = split(user) === 'test' ? out.test : out.train;
    target.push({ user, position, candidate: kept[position].item, label: 1 });
    target.push({ user, position, candidate: drawn[drawn.length - 1], label: 0 });
  }
  return out;
}

/**
 * DIEN's 9:1 user split, made reproducible: a user is in test when the first 4 bytes of
 * SHA-256(`dien-split:<seed>:<user>`), read as a big-endian uint32, are ≡ 0 (mod 10). (The
 * original script used an unseeded `random.randint(1, 10) == 2` per user.)
 */
export function dienUserSplit(seed: number): UserSplit {
  return (user) => (createHash('sha256').update(`dien-split:${seed}:${user}`).digest().readUInt32BE(0) % 10 === 0 ? 'test' : 'train');
}
