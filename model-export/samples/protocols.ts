/**
 * Sample protocols over a BehaviourLog (any source):
 * - `rating` — the DIN paper's MovieLens protocol: every behaviour after a user's first is a
 *   sample; candidate = that item, label = rating ≥ 4.
 * - `next` — the DIN paper's Amazon protocol: every behaviour after the first gives a positive
 *   (the item) and negatives with the same history: the items shown with it but not clicked when
 *   the behaviour carries an impression (the DIN paper's impression logs), else one item the user
 *   never touched, uniform over the negative pool (negativeSampler.ts).
 * - `din`, `dien` — the Amazon protocols of the two papers, which bring their own splits
 *   (amazonProtocols.ts); train/pipeline.ts dispatches them.
 *
 * Samples are generated lazily (`sampleStream`): a run over 10⁷ behaviours never holds 2·10⁷
 * sample objects, EncodedDataset packs them into typed arrays as they come.
 */
import seedrandom from 'seedrandom';
import type { Behaviour, BehaviourLog } from '../data/behaviourLog.js';
import { coversPool, itemPool, unseenSampler } from './negativeSampler.js';
import type { Sample } from './sample.js';

/** Protocols that give samples per timeline position (any split applies). */
export const POSITION_PROTOCOLS = ['rating', 'next'] as const;
export type PositionProtocol = (typeof POSITION_PROTOCOLS)[number];
/** Every protocol a training run can name. */
export const PROTOCOLS = [...POSITION_PROTOCOLS, 'din', 'dien'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** Impression negatives per positive when the config does not say (docs/data-sources.md). */
export const DEFAULT_MAX_IMPRESSION_NEGATIVES = 10;

export interface ProtocolOptions {
  seed: number;
  /** `next`: items negatives are drawn from (default: every item of the log); see negativeSampler.ts. */
  negativePool?: readonly string[];
  /** Distinguishes the random streams of calls with the same seed (e.g. 'train', 'test'). */
  stream?: string;
  /** `rating`: label threshold (default 4). */
  positiveRating?: number;
  /** Only positions whose behaviour passes give samples (a time split's test window); default all. */
  includePosition?: (b: Behaviour) => boolean;
  /** `next`: at most this many shown-but-not-clicked negatives per positive (default 10). */
  maxImpressionNegatives?: number;
  /**
   * `next`: the random stream negatives are drawn from, instead of one seeded from `seed` and
   * `stream` — a stream over groups of users (train/streamedData.ts) passes one rng to every group.
   */
  rng?: seedrandom.PRNG;
  /**
   * `next`: users who touched every item of the negative pool are added here. Their positions
   * without impressions give no sample, positive included: no negative exists to pair with it.
   */
  noNegative?: Set<string>;
}

export function sampleStream(log: BehaviourLog, protocol: PositionProtocol, options: ProtocolOptions): Generator<Sample> {
  return protocol === 'rating' ? ratingSampleStream(log, options) : nextSampleStream(log, options);
}

/** The protocol's samples as an array (tests, small logs). */
export function buildSamples(log: BehaviourLog, protocol: PositionProtocol, options: ProtocolOptions): Sample[] {
  return [...sampleStream(log, protocol, options)];
}

export function ratingSamples(log: BehaviourLog, options: ProtocolOptions): Sample[] {
  return [...ratingSampleStream(log, options)];
}

export function nextSamples(log: BehaviourLog, options: ProtocolOptions): Sample[] {
  return [...nextSampleStream(log, options)];
}

function* ratingSampleStream(log: BehaviourLog, { positiveRating = 4, includePosition }: ProtocolOptions): Generator<Sample> {
  for (const [user, timeline] of log.timelines) {
    for (let t = 1; t < timeline.length; t++) {
      if (includePosition && !includePosition(timeline[t])) continue;
      const value = timeline[t].value;
      if (value === undefined) throw new Error(`the rating protocol needs explicit values (EVENT_VALUE, a rating): user ${user} has a behaviour without one`);
      yield { user, position: t, candidate: timeline[t].item, label: value >= positiveRating ? 1 : 0 };
    }
  }
}

function* nextSampleStream(log: BehaviourLog, o: ProtocolOptions): Generator<Sample> {
  const pool = o.negativePool ?? itemPool(log);
  const draw = unseenSampler(o.rng ?? seedrandom(`next:${o.seed}${o.stream ? `:${o.stream}` : ''}`), pool);
  const maxShown = o.maxImpressionNegatives ?? DEFAULT_MAX_IMPRESSION_NEGATIVES;
  for (const [user, timeline] of log.timelines) {
    const seen = new Set(timeline.map((b) => b.item));
    let covers: boolean | undefined; // decided at the first position that needs a drawn negative
    for (let t = 1; t < timeline.length; t++) {
      const b = timeline[t];
      if (o.includePosition && !o.includePosition(b)) continue;
      if (!b.shown && (covers ??= coversPool(seen, pool))) {
        o.noNegative?.add(user);
        continue;
      }
      const conversion = b.converted === undefined ? {} : { conversion: b.converted ? (1 as const) : (0 as const) };
      yield { user, position: t, candidate: b.item, label: 1, ...conversion };
      const negative = b.converted === undefined ? {} : { conversion: 0 as const };
      if (b.shown) for (const s of impressionNegatives(user, timeline, t, maxShown)) yield { ...s, ...negative };
      else yield { user, position: t, candidate: draw(seen, user), label: 0, ...negative };
    }
  }
}

/**
 * Shown but not clicked: the impression's items other than those the user clicked at the same
 * moment (several clicks on one impression are several rows with one timestamp), each once, in
 * the order shown, at most `max`.
 */
function* impressionNegatives(user: string, timeline: readonly Behaviour[], t: number, max: number): Generator<Sample> {
  const { time, shown } = timeline[t];
  const clicked = new Set<string>();
  for (let i = t; i >= 0 && timeline[i].time === time; i--) clicked.add(timeline[i].item);
  for (let i = t + 1; i < timeline.length && timeline[i].time === time; i++) clicked.add(timeline[i].item);
  let n = 0;
  for (const item of shown!) {
    if (n >= max) return;
    if (clicked.has(item)) continue;
    clicked.add(item); // each shown item once
    n++;
    yield { user, position: t, candidate: item, label: 0 };
  }
}
