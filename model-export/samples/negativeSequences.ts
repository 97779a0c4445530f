/**
 * DIEN's auxiliary-loss negatives (DIEN paper §4.2): for every behaviour of a user's timeline, one
 * item the user never clicked, drawn uniformly from the pool (the training catalogue, see
 * negativeSampler.ts) with a seeded generator. A pure function of (log, pool, seed), so a training
 * sample derives its negative sequence from its user and position instead of storing it. The
 * out-of-core stream passes one generator per epoch through its groups of users (streamedData.ts).
 */
import seedrandom from 'seedrandom';
import type { BehaviourLog } from '../data/behaviourLog.js';
import { coversPool, itemPool, unseenSampler } from './negativeSampler.js';

export function negativeSequences(log: BehaviourLog, seed: number, pool: readonly string[] = itemPool(log), rng: seedrandom.PRNG = seedrandom(`negative-sequence:${seed}`)): Map<string, string[]> {
  const draw = unseenSampler(rng, pool);
  const out = new Map<string, string[]>();
  for (const [user, timeline] of log.timelines) {
    const seen = new Set(timeline.map((b) => b.item));
    // A user who touched every item has no unclicked one: any item of the pool stands in.
    const any = coversPool(seen, pool);
    out.set(user, timeline.map(() => (any ? pool[Math.floor(rng() * pool.length)] : draw(seen, user))));
  }
  return out;
}
