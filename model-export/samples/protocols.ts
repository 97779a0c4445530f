/**
 * Sample protocols over a BehaviourLog (any source):
 * - `rating` — the DIN paper's MovieLens protocol: every behaviour after a user's first is a
 *   sample; candidate = that item, label = rating ≥ 4.
 * - `next` — the DIN paper's Amazon protocol: every behaviour after the first gives a positive
 *   (the item) and one negative (an item the user never touched, uniform over the negative pool,
 *   see negativeSampler.ts), both with the same history.
 */
import seedrandom from 'seedrandom';
import type { BehaviourLog } from '../data/behaviourLog.js';
import { itemPool, unseenSampler } from './negativeSampler.js';
import type { Sample } from './sample.js';

export const PROTOCOLS = ['rating', 'next'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export interface ProtocolOptions {
  seed: number;
  /** `next`: items negatives are drawn from (default: every item of the log); see negativeSampler.ts. */
  negativePool?: readonly string[];
  /** Distinguishes the random streams of calls with the same seed (e.g. 'train', 'test'). */
  stream?: string;
  /** `rating`: label threshold (default 4). */
  positiveRating?: number;
}

export function buildSamples(log: BehaviourLog, protocol: Protocol, options: ProtocolOptions): Sample[] {
  return protocol === 'rating' ? ratingSamples(log, options) : nextSamples(log, options);
}

export function ratingSamples(log: BehaviourLog, { positiveRating = 4 }: ProtocolOptions): Sample[] {
  const out: Sample[] = [];
  for (const [user, timeline] of log.timelines) {
    for (let t = 1; t < timeline.length; t++) {
      const value = timeline[t].value;
      if (value === undefined) throw new Error(`rating protocol needs explicit ratings (user ${user})`);
      out.push({ user, position: t, candidate: timeline[t].item, label: value >= positiveRating ? 1 : 0 });
    }
  }
  return out;
}

export function nextSamples(log: BehaviourLog, { seed, negativePool, stream = '' }: ProtocolOptions): Sample[] {
  const draw = unseenSampler(seedrandom(`next:${seed}${stream ? `:${stream}` : ''}`), negativePool ?? itemPool(log));
  const out: Sample[] = [];
  for (const [user, timeline] of log.timelines) {
    const seen = new Set(timeline.map((b) => b.item));
    for (let t = 1; t < timeline.length; t++) {
      out.push({ user, position: t, candidate: timeline[t].item, label: 1 });
      out.push({ user, position: t, candidate: draw(seen, user), label: 0 });
    }
  }
  return out;
}
