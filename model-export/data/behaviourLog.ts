/**
 * A source-agnostic behaviour log: what every file-format reader (MovieLens, Amazon, Taobao)
 * produces and every sample protocol consumes. Keeping the two apart lets a new data source reuse
 * the protocols unchanged.
 */

/** One user action on one item. */
export interface Behaviour {
  item: string;
  /** Seconds (or any monotone clock) — only the order matters. */
  time: number;
  /** Explicit feedback where the source has it (MovieLens rating), else undefined. */
  value?: number;
  /**
   * Items shown together with this behaviour (an impression log's IMPRESSION column), including
   * the item itself; absent when the source has no impressions. The `next` protocol takes its
   * negatives from the shown-but-not-clicked ones (the DIN paper's setting).
   */
  shown?: readonly string[];
  /**
   * A conversion followed this behaviour (multi-task models' second label): the source says what
   * counts — MovieLens a rating ≥ 4, Taobao a later buy/cart/fav of the item, the Personalize
   * layout an event matching the dataset config's `conversion` filter on the same item at or after
   * this one. Undefined: the source has no conversion information.
   */
  converted?: boolean;
  /** The event's context columns (interactions.csv), UPPER-CASE name → CSV text; shared objects. */
  context?: RawAttributes;
}

/** Raw metadata of an item, a user or an event: column name (upper-cased) → CSV text. */
export type RawAttributes = Readonly<Record<string, string>>;

export interface BehaviourLog {
  /** Per user, behaviours sorted by (time, item) ascending: the user's timeline. */
  timelines: Map<string, Behaviour[]>;
  /** Raw category name of each item the source describes. */
  itemCategory: Map<string, string>;
  /** Short provenance for manifests, e.g. "movielens-latest-small". */
  source: string;
  /** items.csv metadata columns kept for feature columns (candidate group). */
  itemAttributes?: Map<string, RawAttributes>;
  /** users.csv metadata columns kept for feature columns (user group). */
  userAttributes?: Map<string, RawAttributes>;
}

/** Sort key used by every protocol: time, then item id (numerically when both are numbers). */
export function compareBehaviours(a: Behaviour, b: Behaviour): number {
  if (a.time !== b.time) return a.time - b.time;
  const na = Number(a.item);
  const nb = Number(b.item);
  if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a.item < b.item ? -1 : a.item > b.item ? 1 : 0;
}

/** Group unordered behaviours by user and sort each timeline. */
export function toTimelines(rows: Iterable<{ user: string } & Behaviour>): Map<string, Behaviour[]> {
  const timelines = new Map<string, Behaviour[]>();
  for (const { user, ...b } of rows) {
    let list = timelines.get(user);
    if (!list) timelines.set(user, (list = []));
    list.push(b);
  }
  for (const list of timelines.values()) list.sort(compareBehaviours);
  return timelines;
}

/**
 * Behaviours kept per user at most by default (dataset config `maxUserBehaviours`). A crawler or a
 * shared account can hold millions of events; the out-of-core stream holds one user whole, so
 * without a cap its memory would depend on the largest user. 10⁵ is far above any person's
 * history in the sources here (MovieLens' largest: 2,698).
 */
export const DEFAULT_MAX_USER_BEHAVIOURS = 100_000;

/**
 * A sorted timeline's recent end: the behaviours strictly after its (max+1)-th most recent time.
 * Never more than `max`, and a tie at the cut goes whole (same-moment clicks of one impression stay
 * together); a user whose events share one timestamp keeps none and is dropped as too short. A
 * time threshold, so SQL states it exactly (data/duckdb/personalizeEngine.ts makes the same cut).
 */
export function recentBehaviours(timeline: Behaviour[], max: number): Behaviour[] {
  if (timeline.length <= max) return timeline;
  const cut = timeline[timeline.length - max - 1].time;
  let start = timeline.length - max;
  while (start < timeline.length && timeline[start].time <= cut) start++;
  return timeline.slice(start);
}
