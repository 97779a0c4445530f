/**
 * data → samples → contract → encoded datasets: everything a training run needs before the fit.
 * Shared by the train CLI, the experiment runner, the benches and the tests.
 *
 * Samples stream from the protocol straight into EncodedDataset's typed arrays: memory grows with
 * the behaviours, not with behaviours × H, and no array of sample objects is ever built.
 */
import { createHash } from 'node:crypto';
import { buildFeatureContract, type FeatureContract } from '../../contract/featureContract.js';
import { hashedItemIdsFor } from '../../contract/hashedItems.js';
import { parseCsvValue } from '../../contract/features.js';
import { buildFeatureSpecs, RawFeatureValues, type FeatureOptions } from '../features/featureColumns.js';
import type { Behaviour, BehaviourLog } from '../data/behaviourLog.js';
import { dienSamples, dinSampleStream } from '../samples/amazonProtocols.js';
import { itemPool } from '../samples/negativeSampler.js';
import { negativeSequences } from '../samples/negativeSequences.js';
import { sampleStream, type Protocol } from '../samples/protocols.js';
import { moduloFiveSplit, type Sample, type UserSplit } from '../samples/sample.js';
import { EncodedDataset } from './dataset.js';

export interface PreparedData {
  contract: FeatureContract;
  train: EncodedDataset;
  test: EncodedDataset;
  /** Early stopping (`validationFraction`): the training samples of a slice of the training users, left out of `train`. */
  validation?: EncodedDataset;
  /** The timelines each split's samples point into; `train` holds only what the model may learn from (baselines count it). */
  logs: { train: BehaviourLog; test: BehaviourLog };
  /** `next`: users who touched every item of the negative pool; their positions without impressions give no sample. */
  noNegativeUsers?: ReadonlySet<string>;
}

/**
 * How `rating` and `next` samples are split (`din` and `dien` bring their own):
 * - by user: every sample of a test user is a test sample;
 * - by time: a behaviour at or after `cutoff` (Unix seconds) is a test sample, with its whole
 *   history before it; the vocabulary and negatives see only behaviours before the cutoff — how a
 *   model trained up to a day is evaluated on the days after.
 */
export type SampleSplit = { by: 'user'; test: UserSplit } | { by: 'time'; cutoff: number };

export interface PrepareOptions {
  protocol: Protocol;
  seed: number;
  maxHistory: number;
  minItemCount: number;
  /** Cap the item vocabulary at this many most frequent items (the rest are OOV). */
  maxItems?: number;
  /** Hashed item ids (contract format 3) with this budget of quotient + remainder rows, instead of a vocabulary. */
  hashedItems?: number;
  /** Default: by user, moduloFiveSplit (the shipped MovieLens models). A bare UserSplit means by user. */
  split?: SampleSplit | UserSplit;
  /** Derive DIEN's auxiliary-loss negative sequences (samples/negativeSequences.ts). */
  negativeSequences?: boolean;
  /** `next` on impression logs: shown-but-not-clicked negatives per positive. */
  maxImpressionNegatives?: number;
  /** `rating`: label = value ≥ this (default 4). */
  positiveRating?: number;
  /** Feature columns (user, candidate, context) from the dataset config. */
  features?: FeatureOptions;
  /**
   * Share of the training users whose training samples are held out for early stopping (0 or
   * absent: none). Only their samples leave the fit: the vocabulary, the negative pool and the
   * test samples are the same as without a validation slice, so runs with and without compare.
   */
  validationFraction?: number;
}

/**
 * A training user is in the validation slice when the first 4 bytes of SHA-256(`user-validation:<id>`),
 * as a big-endian uint32 over 2³², fall below `fraction`: deterministic, independent of the seed,
 * and independent of the test split's hash (another prefix).
 */
export function validationUsers(fraction: number): (user: string) => boolean {
  const threshold = Math.round(fraction * 2 ** 32);
  return (user) => createHash('sha256').update(`user-validation:${user}`).digest().readUInt32BE(0) < threshold;
}

/**
 * Train and validation datasets from one deterministic sample stream: `samples()` is called once
 * per split (the same samples each time), and each keeps its users' samples.
 */
function trainAndValidation(log: BehaviourLog, samples: () => Iterable<Sample>, contract: FeatureContract, o: PrepareOptions, negatives?: ReadonlyMap<string, string[]>): Pick<PreparedData, 'train' | 'validation'> {
  if (!o.validationFraction) return { train: new EncodedDataset(log, samples(), contract, negatives) };
  const held = validationUsers(o.validationFraction);
  return {
    train: new EncodedDataset(log, filterSamples(samples(), (s) => !held(s.user)), contract, negatives),
    validation: new EncodedDataset(log, filterSamples(samples(), (s) => held(s.user)), contract),
  };
}

function* filterSamples(samples: Iterable<Sample>, keep: (s: Sample) => boolean): Generator<Sample> {
  for (const s of samples) if (keep(s)) yield s;
}

export function prepareData(log: BehaviourLog, o: PrepareOptions): PreparedData {
  switch (o.protocol) {
    case 'din':
      return prepareDin(log, o);
    case 'dien':
      return prepareDien(log, o);
    default:
      return preparePositions(log, o.protocol, o);
  }
}

function preparePositions(log: BehaviourLog, protocol: 'rating' | 'next', o: PrepareOptions): PreparedData {
  const split: SampleSplit = typeof o.split === 'function' ? { by: 'user', test: o.split } : (o.split ?? { by: 'user', test: moduloFiveSplit });
  const noNegative = new Set<string>();
  const common = { seed: o.seed, maxImpressionNegatives: o.maxImpressionNegatives, positiveRating: o.positiveRating, noNegative };
  // trainLog: what the model may learn from; testLog: the timelines test samples point into.
  let trainLog: BehaviourLog;
  let testLog: BehaviourLog;
  let includeTest: ((b: Behaviour) => boolean) | undefined;
  if (split.by === 'user') {
    trainLog = subLog(log, (user) => split.test(user) === 'train');
    testLog = subLog(log, (user) => split.test(user) === 'test');
  } else {
    const { cutoff } = split;
    trainLog = { ...log, timelines: new Map() };
    for (const [user, timeline] of log.timelines) {
      const before = timeline.filter((b) => b.time < cutoff);
      if (before.length > 0) trainLog.timelines.set(user, before);
    }
    testLog = log;
    includeTest = (b) => b.time >= cutoff;
  }
  // Negatives (protocol `next`, DIEN's auxiliary loss) come from the training catalogue only.
  const negativePool = itemPool(trainLog);
  if (negativePool.length === 0) throw new Error('the training split has no behaviour: check the split and the event filters');
  const contract = contractFrom(trainLog, log, o);
  const negatives = o.negativeSequences ? negativeSequences(trainLog, o.seed, negativePool) : undefined;
  return {
    contract,
    ...trainAndValidation(trainLog, () => sampleStream(trainLog, protocol, { ...common, negativePool, stream: 'train' }), contract, o, negatives),
    test: new EncodedDataset(testLog, sampleStream(testLog, protocol, { ...common, negativePool, stream: 'test', includePosition: includeTest }), contract),
    logs: { train: trainLog, test: testLog },
    ...(noNegative.size > 0 ? { noNegativeUsers: noNegative } : {}),
  };
}

/** DIN's protocol: a temporal split by position (each user's last behaviour is the test pair). */
function prepareDin(log: BehaviourLog, o: PrepareOptions): PreparedData {
  const negativePool = itemPool(log); // the script's item set: every item of the log
  // The vocabulary sees what training sees: every behaviour but each user's last.
  const trainView: BehaviourLog = { ...log, timelines: new Map([...log.timelines].map(([u, tl]) => [u, tl.slice(0, -1)])) };
  const contract = contractFrom(trainView, log, o);
  const negatives = o.negativeSequences ? negativeSequences(log, o.seed, negativePool) : undefined;
  return {
    contract,
    ...trainAndValidation(log, () => dinSampleStream(log, { seed: o.seed, negativePool }, 'train'), contract, o, negatives),
    test: new EncodedDataset(log, dinSampleStream(log, { seed: o.seed, negativePool }, 'test'), contract),
    logs: { train: trainView, test: log },
  };
}

/** DIEN's protocol: one pair per user (its last behaviour), users split 9:1, histories ≤ maxHistory. */
function prepareDien(log: BehaviourLog, o: PrepareOptions): PreparedData {
  const dien = dienSamples(log, { seed: o.seed, maxHistory: o.maxHistory });
  const trainUsers = new Set(dien.train.map((s) => s.user));
  const trainLog = subLog(dien.log, (user) => trainUsers.has(user));
  const contract = contractFrom(trainLog, log, o);
  return {
    contract,
    ...trainAndValidation(dien.log, () => dien.train, contract, o, o.negativeSequences ? dien.negatives : undefined),
    test: new EncodedDataset(dien.log, dien.test, contract),
    logs: { train: trainLog, test: dien.log },
  };
}

/**
 * The vocabulary sees only training behaviour: items only test samples touch are OOV, as they
 * would be for a served model meeting new items.
 */
function contractFrom(trainLog: BehaviourLog, log: BehaviourLog, o: PrepareOptions): FeatureContract {
  const itemCounts = new Map<string, number>();
  for (const timeline of trainLog.timelines.values()) {
    for (const b of timeline) itemCounts.set(b.item, (itemCounts.get(b.item) ?? 0) + 1);
  }
  const specs = buildFeatureSpecs(o.features, trainLog);
  const raw = new RawFeatureValues(log);
  return buildFeatureContract(itemCounts, log.itemCategory, vocabularyOptions(o), {
    specs,
    itemValue: (spec, item) => parseCsvValue(spec, raw.item(spec, item)),
  });
}

/** The contract's vocabulary rule from the run's options (shared with train/streamedData.ts). */
export function vocabularyOptions(o: Pick<PrepareOptions, 'maxHistory' | 'minItemCount' | 'maxItems' | 'hashedItems'>) {
  return {
    maxHistory: o.maxHistory,
    minItemCount: o.minItemCount,
    ...(o.maxItems !== undefined ? { maxItems: o.maxItems } : {}),
    ...(o.hashedItems !== undefined ? { itemIds: hashedItemIdsFor(o.hashedItems) } : {}),
  };
}

/** The users of `log` that `keep` accepts, sharing its item categories. */
function subLog(log: BehaviourLog, keep: (user: string) => boolean): BehaviourLog {
  return { ...log, timelines: new Map([...log.timelines].filter(([user]) => keep(user))) };
}
