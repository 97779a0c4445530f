/**
 * DIEN's auxiliary-loss negatives (DIEN paper §4.2): for every behaviour of a user's timeline, one
 * item the user never clicked, drawn uniformly from the item pool with a seeded generator. The
 * sampler is a pure function of (log, seed), so a training sample derives its negative sequence
 * from its user and position instead of storing it.
 */
import seedrandom from 'seedrandom';
import type { BehaviourLog } from '../data/behaviourLog.js';

export function negativeSequences(log: BehaviourLog, seed: number): Map<string, string[]> {
  const rng = seedrandom(`negative-sequence:${seed}`);
  const pool = [...new Set([...log.timelines.values()].flatMap((tl) => tl.map((b) => b.item)))].sort();
  const out = new Map<string, string[]>();
  for (const [user, timeline] of log.timelines) {
    const seen = new Set(timeline.map((b) => b.item));
    if (seen.size >= pool.length) throw new Error(`user ${user} touched every item: no negative exists`);
    out.set(
      user,
      timeline.map(() => {
        let item: string;
        do item = pool[Math.floor(rng() * pool.length)];
        while (seen.has(item));
        return item;
      }),
    );
  }
  return out;
}
