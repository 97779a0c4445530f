/**
 * Declared feature columns (dataset config) → the contract's feature specs, from the training split
 * only: vocabularies and dense statistics never see test users or test-window behaviours.
 *
 * Populations: candidate values are counted over training behaviours (an item clicked 10 times
 * counts its genre 10 times), context values over training behaviours, user values over training
 * users. The raw text of every value goes through contract/features.ts `parseCsvValue`, the same
 * parse a served model's manifest was built with.
 */
import { parseCsvValue, tableRows, type FeatureGroup, type FeatureKind, type FeatureSpec } from '../../contract/features.js';
import type { ModelFeature } from '../layers/featureEmbedding.js';
import { timeContextCache, type TimeContext } from '../../contract/timeContext.js';
import type { Behaviour, BehaviourLog } from '../data/behaviourLog.js';
import { featureName, type FeatureDeclaration } from '../sources/datasetConfig.js';

export interface FeatureOptions {
  declarations: readonly FeatureDeclaration[];
  /** Zone the log's TIMESTAMPs are read in for hour/weekday. */
  timeZone: string;
  /** Only these groups are used (ablations); default all declared. */
  groups?: readonly FeatureGroup[];
}

export const DEFAULT_FEATURE_EMBEDDING_DIM = 8;
export const DEFAULT_FEATURE_MIN_COUNT = 2;
const MAX_DEFAULT_VALUES = 16;

/** Raw CSV text of a feature's value for an item, a user or a behaviour (undefined: missing). */
export class RawFeatureValues {
  private readonly times = new Map<string, (seconds: number) => TimeContext>();

  constructor(private readonly log: BehaviourLog) {}

  item(spec: Pick<FeatureSpec, 'source'>, item: string): string | undefined {
    return columnOf(spec) === undefined ? undefined : this.log.itemAttributes?.get(item)?.[columnOf(spec)!];
  }

  user(spec: Pick<FeatureSpec, 'source'>, user: string): string | undefined {
    return columnOf(spec) === undefined ? undefined : this.log.userAttributes?.get(user)?.[columnOf(spec)!];
  }

  behaviour(spec: Pick<FeatureSpec, 'source'>, b: Behaviour): string | undefined {
    const s = spec.source;
    if ('derive' in s && (s.derive === 'hour' || s.derive === 'weekday')) {
      let time = this.times.get(s.timeZone);
      if (!time) this.times.set(s.timeZone, (time = timeContextCache(s.timeZone)));
      return time(b.time)[s.derive];
    }
    const column = columnOf(spec);
    return column !== undefined ? b.context?.[column] : undefined;
  }
}

/** The (upper-cased) CSV column a spec reads, if any. */
function columnOf(spec: Pick<FeatureSpec, 'source'>): string | undefined {
  const s = spec.source;
  return 'column' in s && s.column !== undefined ? s.column.toUpperCase() : undefined;
}

/** The declarations of the groups in use. */
export function activeDeclarations(o: FeatureOptions | undefined): FeatureDeclaration[] {
  if (!o) return [];
  return o.declarations.filter((d) => !o.groups || o.groups.includes(d.group));
}

/** Feature specs (candidate `itemValues` not yet filled: buildFeatureContract does that). */
export function buildFeatureSpecs(o: FeatureOptions | undefined, trainLog: BehaviourLog): FeatureSpec[] {
  const raw = new RawFeatureValues(trainLog);
  return activeDeclarations(o).map((d) => {
    const name = featureName(d);
    const source = d.derive === 'hour' || d.derive === 'weekday' ? { derive: d.derive, timeZone: o!.timeZone } : d.derive === 'route' ? { derive: 'route' as const, column: d.column! } : { column: d.column! };
    const probe = { source } as Pick<FeatureSpec, 'source'>;
    // Every training value's raw text, with its multiplicity in the group's population.
    const texts: Array<string | undefined> = [];
    if (d.group === 'user') for (const user of trainLog.timelines.keys()) texts.push(raw.user(probe, user));
    else {
      for (const timeline of trainLog.timelines.values()) {
        for (const b of timeline) texts.push(d.group === 'candidate' ? raw.item(probe, b.item) : raw.behaviour(probe, b));
      }
    }
    if (texts.every((t) => t === undefined || t.trim() === '')) throw new Error(`feature "${name}": no training ${d.group === 'user' ? 'user' : 'behaviour'} has a value in column ${d.column ?? d.derive}`);
    const kind: FeatureKind = d.kind ?? (d.derive !== undefined ? 'sparse' : inferKind(texts));
    const base = { name, group: d.group, source };
    if (kind === 'dense') {
      let n = 0;
      let sum = 0;
      let sumSq = 0;
      let min = Infinity;
      let max = -Infinity;
      for (const t of texts) {
        const v = parseCsvValue({ kind }, t);
        if (typeof v !== 'number') continue;
        n++;
        sum += v;
        sumSq += v * v;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (n === 0) throw new Error(`feature "${name}" is dense but no training value is a number`);
      const mean = sum / n;
      const std = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
      // min/max: the training range every encoder clamps to (contract/features.ts denseInput).
      return { ...base, kind, mean, std: std > 1e-12 ? std : 1, min, max };
    }
    const counts = new Map<string, number>();
    let most = 1;
    for (const t of texts) {
      const v = parseCsvValue({ kind }, t);
      if (v === undefined) continue;
      const values = Array.isArray(v) ? v : [String(v)];
      most = Math.max(most, values.length);
      for (const x of values) counts.set(x, (counts.get(x) ?? 0) + 1);
    }
    const minCount = d.minCount ?? DEFAULT_FEATURE_MIN_COUNT;
    const vocabulary = [...counts.entries()]
      .filter(([, c]) => c >= minCount)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([v]) => v);
    const embeddingDim = d.embeddingDim ?? DEFAULT_FEATURE_EMBEDDING_DIM;
    if (kind === 'sparse') return { ...base, kind, vocabulary, embeddingDim };
    return { ...base, kind, vocabulary, embeddingDim, maxValues: d.maxValues ?? Math.min(most, MAX_DEFAULT_VALUES), pooling: 'mean' as const };
  });
}

/** dense when every non-empty value is a number; multi when some value holds `|`; else sparse. */
function inferKind(texts: ReadonlyArray<string | undefined>): FeatureKind {
  let numeric = true;
  for (const t of texts) {
    if (t === undefined || t.trim() === '') continue;
    if (t.includes('|')) return 'multi';
    if (numeric && !Number.isFinite(Number(t.trim()))) numeric = false;
  }
  return numeric ? 'dense' : 'sparse';
}

/** What the models need of the contract's features (no vocabularies): ModelConfig.features. */
export function modelFeaturesOf(specs: readonly FeatureSpec[]): ModelFeature[] {
  return specs.map((s) => (s.kind === 'dense' ? { name: s.name, group: s.group, kind: s.kind } : { name: s.name, group: s.group, kind: s.kind, rows: tableRows(s), embeddingDim: s.embeddingDim, ...(s.kind === 'multi' ? { maxValues: s.maxValues } : {}) }));
}
