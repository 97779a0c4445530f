/**
 * Taobao user behaviour reader (`UserBehavior.csv`, Alibaba's public Taobao dataset; DIEN's
 * "Taobao" data is this kind of log). No header; one event per line:
 *
 *   user,item,category,behavior,timestamp      e.g. 1,2268318,2520377,pv,1511544070
 *
 * ids are integers, behavior ∈ pv (page view = click), fav, cart, buy, timestamp in seconds.
 * Clicks only: pv events become the behaviours; the other types are counted, and a pv is marked
 * `converted` when the same user later (or at once) favs, carts or buys the item (`conversionTypes`,
 * default all three: multi-task models' second label). An item's
 * category is the one on its first pv line (later disagreements are counted). Malformed lines —
 * not 5 fields, a non-integer id or timestamp, an unknown behavior — are counted and skipped;
 * more than `maxMalformedFraction` of them (default 1 %) throws.
 */
import type { Behaviour, BehaviourLog } from './behaviourLog.js';
import { compareBehaviours } from './behaviourLog.js';
import { createInterner, MalformedLines, recordLines, type MalformedReport } from './lineReader.js';

export const TAOBAO_BEHAVIOURS = ['pv', 'fav', 'cart', 'buy'] as const;
export type TaobaoBehaviour = (typeof TAOBAO_BEHAVIOURS)[number];

export interface TaobaoReadOptions {
  /** Default `taobao-userbehavior`. */
  source?: string;
  /** Keep only these users' clicks (e.g. a hash-based sample: the full file has ~1 M users, ~89 M clicks). */
  keepUser?: (user: string) => boolean;
  /** Progress display on stderr (see lineReader.ts); default true. */
  progress?: boolean;
  /** Fraction of malformed lines tolerated (default 1 %). */
  maxMalformedFraction?: number;
  /** Behaviour types that are conversions (default fav, cart, buy). */
  conversionTypes?: readonly TaobaoBehaviour[];
}

export interface TaobaoReadStats extends MalformedReport {
  /** Well-formed events per behavior type (all users). */
  behaviours: Record<TaobaoBehaviour, number>;
  /** pv lines whose category differs from the item's first one (the first is kept). */
  categoryConflicts: number;
  users: number;
  items: number;
}

const INTEGER = /^\d+$/;
const TIMESTAMP = /^-?\d+$/;

export async function readTaobao(path: string, options: TaobaoReadOptions = {}): Promise<{ log: BehaviourLog; stats: TaobaoReadStats }> {
  const intern = createInterner();
  const malformed = new MalformedLines(path, options.maxMalformedFraction);
  const behaviours: Record<TaobaoBehaviour, number> = { pv: 0, fav: 0, cart: 0, buy: 0 };
  const timelines = new Map<string, Behaviour[]>();
  const itemCategory = new Map<string, string>();
  let categoryConflicts = 0;
  const conversionTypes = new Set<TaobaoBehaviour>(options.conversionTypes ?? ['fav', 'cart', 'buy']);
  const conversions = new Map<string, number>(); // "user,item" → latest conversion time
  for await (const { text: line, number: lineNumber } of recordLines(path, malformed, { progress: options.progress })) {
    const fields = line.split(',');
    if (fields.length !== 5) {
      malformed.record(lineNumber, `expected 5 comma-separated fields, got ${fields.length}`);
      continue;
    }
    const [user, item, category, behaviour, timestamp] = fields.map((f) => f.trim());
    if (!INTEGER.test(user) || !INTEGER.test(item) || !INTEGER.test(category)) {
      malformed.record(lineNumber, 'user, item and category must be integers');
      continue;
    }
    if (!(TAOBAO_BEHAVIOURS as readonly string[]).includes(behaviour)) {
      malformed.record(lineNumber, `unknown behavior "${behaviour}"`);
      continue;
    }
    if (!TIMESTAMP.test(timestamp)) {
      malformed.record(lineNumber, 'timestamp is not an integer');
      continue;
    }
    behaviours[behaviour as TaobaoBehaviour]++;
    if (behaviour !== 'pv' && conversionTypes.has(behaviour as TaobaoBehaviour)) {
      const key = `${user},${item}`;
      conversions.set(key, Math.max(conversions.get(key) ?? -Infinity, Number(timestamp)));
    }
    if (behaviour !== 'pv' || (options.keepUser && !options.keepUser(user))) continue;
    const known = itemCategory.get(item);
    if (known === undefined) itemCategory.set(intern(item), intern(category));
    else if (known !== category) categoryConflicts++;
    const userId = intern(user);
    let timeline = timelines.get(userId);
    if (!timeline) timelines.set(userId, (timeline = []));
    timeline.push({ item: intern(item), time: Number(timestamp) });
  }
  const report = malformed.finish();
  for (const [user, timeline] of timelines) {
    timeline.sort(compareBehaviours);
    for (const b of timeline) b.converted = (conversions.get(`${user},${b.item}`) ?? -Infinity) >= b.time;
  }
  return {
    log: { timelines, itemCategory, source: options.source ?? 'taobao-userbehavior' },
    stats: { ...report, behaviours, categoryConflicts, users: timelines.size, items: itemCategory.size },
  };
}
