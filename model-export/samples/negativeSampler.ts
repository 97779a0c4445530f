/**
 * Uniform negative sampling shared by the `next` protocol and DIEN's auxiliary-loss sequences.
 *
 * The pool is the **training catalogue**: items some training-split user touched. Drawing from
 * the whole log would make items that only held-out users touched appear as training negatives;
 * they are all out-of-vocabulary, so the OOV embedding would learn "held-out item ⇒ negative"
 * from the test split's existence. Test samples draw from the same catalogue: a model is asked to
 * rank items its catalogue holds (test positives may still be new, OOV items).
 */
import type seedrandom from 'seedrandom';
import type { BehaviourLog } from '../data/behaviourLog.js';

/** Every item of a log's timelines, sorted so draws are reproducible. */
export function itemPool(log: BehaviourLog): string[] {
  const items = new Set<string>();
  for (const timeline of log.timelines.values()) for (const b of timeline) items.add(b.item);
  return [...items].sort();
}

/**
 * The user touched every item of the pool: no negative can be drawn for them (a power user of a
 * small catalogue, a crawler). The size test first: otherwise each draw for a user who touched the
 * pool's first k items in sort order (a crawler walking the catalogue) would scan k items.
 */
export function coversPool(seen: ReadonlySet<string>, pool: readonly string[]): boolean {
  return seen.size >= pool.length && pool.every((item) => seen.has(item));
}

/**
 * Returns a sampler of items outside `seen`, uniform over `pool`. Rejection sampling while the
 * user touched under half the pool (under 2 tries a draw); past that, one draw from the list of
 * the pool's unseen items, built once per `seen` set: a crawler one item short of the catalogue
 * would otherwise take ≈ |pool| tries per draw. The Python trainer (protocol.py) switches at the
 * same point, so both draw the same negatives.
 */
export function unseenSampler(rng: seedrandom.PRNG, pool: readonly string[]) {
  const unseenOf = new WeakMap<ReadonlySet<string>, string[]>();
  return (seen: ReadonlySet<string>, user: string): string => {
    if (coversPool(seen, pool)) throw new Error(`user ${user} touched every item of the pool: no negative exists`);
    if (2 * seen.size >= pool.length) {
      let unseen = unseenOf.get(seen);
      if (!unseen) unseenOf.set(seen, (unseen = pool.filter((item) => !seen.has(item))));
      return unseen[Math.floor(rng() * unseen.length)];
    }
    let item: string;
    do item = pool[Math.floor(rng() * pool.length)];
    while (seen.has(item));
    return item;
  };
}
