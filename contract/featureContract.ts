/**
 * The feature contract: the one place that says how raw behaviour ids become model inputs.
 *
 * Training (model-export/) and serving (worker/) both import this module and nothing else decides
 * ids → indices, history length, padding or the out-of-vocabulary (OOV) rule. The spec is written
 * into every model's manifest and read back by the worker, so a served model always encodes
 * requests exactly as its training data was encoded.
 *
 * Rules (docs/feature-contract.md explains the why):
 * - index 0 is padding, index 1 is OOV, known items/categories start at 2 in vocabulary order;
 * - a raw id is a string or a safe integer; the integer 42 and the string "42" are the same id;
 * - an item's category is the vocabulary's when the item is known; for an unknown item the
 *   caller's category hint is used when that category is known, else the OOV category;
 * - a history keeps its most recent `maxHistory` behaviours (oldest dropped), oldest first;
 * - padding is on the right: behaviour t sits at position t, positions ≥ length hold index 0.
 *
 * Feature columns beyond the sequence (user profile, candidate attributes, context) are declared
 * in `features` (format 2) and encoded by contract/features.ts under the same rules.
 *
 * Format 3 adds hashed item ids (`itemIds`, contract/hashedItems.ts): no item vocabulary, an id's
 * index is FIRST_INDEX + its hash mod N, every id is "known" (the OOV rule is moot for items, the
 * category and candidate attributes always come from the caller's hints), padding is still 0.
 *
 * This module imports neither tfjs nor onnxruntime: it runs in Node and in workerd alike.
 */
import { checkValue, FeatureEncoder, type EncodedFeature, type FeatureGroup, type FeatureSpec, type FeatureValue } from './features.js';
import { isTimeZone, timeContext } from './timeContext.js';

import { FIRST_INDEX, OOV_INDEX, PAD_INDEX } from './indices.js';
import { hashedItemIdsProblem, hashedItemIndex, qrRows, type HashedItemIds } from './hashedItems.js';

export { FIRST_INDEX, OOV_INDEX, PAD_INDEX };

/** A raw behaviour id as clients and data files give it. */
export type RawId = string | number;

/** Serialisable form of the contract, stored in `manifest.json` under `featureContract`. */
export interface FeatureContractSpec {
  /**
   * Bumped when the encoding rules change meaning. 1: behaviours only (item + category);
   * 2: adds `features`; 3: adds `itemIds` (hashed item ids, no item vocabulary). A reader refuses
   * versions it does not know rather than guess.
   */
  formatVersion: 1 | 2 | 3;
  /** H: the longest history the model sees. */
  maxHistory: number;
  padding: 'right';
  truncation: 'keep-most-recent';
  padIndex: typeof PAD_INDEX;
  oovIndex: typeof OOV_INDEX;
  /** Item vocabulary: `items[i]` has index `i + FIRST_INDEX`. Empty with hashed `itemIds`. */
  items: string[];
  /** Category vocabulary: `categories[j]` has index `j + FIRST_INDEX`. */
  categories: string[];
  /** `itemCategories[i]` is the category index of `items[i]` (may be OOV_INDEX). Empty with hashed `itemIds`. */
  itemCategories: number[];
  /** How the vocabulary was chosen, for people reading a manifest. */
  vocabularyRule: string;
  /** Format 2: user, candidate and context feature columns (contract/features.ts); absent in 1. */
  features?: FeatureSpec[];
  /** Format 3 only (and required there): items are hashed, not looked up (contract/hashedItems.ts). */
  itemIds?: HashedItemIds;
}

/** The format this code writes for vocabulary contracts; readers accept 1 … HASHED_CONTRACT_FORMAT. */
export const CONTRACT_FORMAT = 2;
/** The format of contracts with hashed item ids. */
export const HASHED_CONTRACT_FORMAT = 3;

/** One behaviour or candidate: an id plus an optional category hint used for unknown ids. */
export interface BehaviourRef {
  item: RawId;
  category?: string;
  /** Candidate-group attribute hints, by feature name, used like `category` for unknown ids. */
  attributes?: Readonly<Record<string, FeatureValue>>;
}

export interface EncodedItem {
  item: number;
  category: number;
  known: boolean;
}

/** Profile and context values of a request, and what the worker derives itself. */
export interface RequestFeatureInputs {
  profile?: Readonly<Record<string, unknown>>;
  context?: Readonly<Record<string, unknown>>;
  /** Request time, Unix seconds (hour/weekday features). */
  time: number;
  /** IANA zone of the client (`context.tz`, else the edge's, else UTC). */
  timeZone: string;
  /** The route's name: the `route` (pid) feature. */
  route: string;
}

export interface EncodedRequestFeatures {
  /** `user_*` and `ctx_*` graph inputs, [1] or [1, maxValues]. */
  features: EncodedFeature[];
  /** Entries the model does not use, plus values its vocabularies do not know. */
  unknown: { profile: number; context: number };
}

/** A value of the wrong type in a request: `path` names the field (`profile.age`). */
export interface FeatureIssue {
  path: string;
  message: string;
}

/** Request keys of `context` that are not feature values. */
export const CONTEXT_TIME_ZONE_KEY = 'tz';

export interface EncodedHistory {
  /** Item indices, `width` long, right-padded with PAD_INDEX. */
  items: Int32Array;
  /** Category indices, `width` long, right-padded with PAD_INDEX. */
  categories: Int32Array;
  /** Behaviours kept (≤ maxHistory). */
  length: number;
  /** Candidate-group feature inputs `hist_*`, [width] or [width, maxValues]. */
  features: EncodedFeature[];
  /** Kept behaviours whose id the vocabulary does not know. */
  unknown: number;
}

export interface EncodedCandidates {
  items: Int32Array;
  categories: Int32Array;
  unknown: number;
  /** Candidate-group feature inputs `cand_*`, [C] or [C, maxValues]. */
  features: EncodedFeature[];
}

/**
 * `full` pads to exactly `maxHistory` (training batches); `compact` pads only to the kept length,
 * with one padding slot for an empty history so no tensor ever has a zero dimension (serving).
 */
export type HistoryWidth = 'full' | 'compact';

/**
 * Known items of a model whose item rows live outside the graph (contract/itemRows.ts): the
 * category index of a canonical id the row store holds, undefined for any other id (OOV rule).
 */
export type ItemLookup = (canonical: string) => number | undefined;

/** Canonical string form of a raw id; throws on ids the contract cannot represent. */
export function canonicalId(id: RawId): string {
  if (typeof id === 'string') return id;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
  throw new TypeError(`id must be a string or a safe integer, got ${String(id)}`);
}

export class FeatureContract {
  readonly spec: FeatureContractSpec;
  /** Feature columns by group, in spec order (the graph's input order). */
  readonly features: { readonly user: FeatureEncoder[]; readonly candidate: FeatureEncoder[]; readonly context: FeatureEncoder[] };
  private readonly itemIndex: Map<string, number>;
  private readonly categoryIndex: Map<string, number>;
  private readonly byName: Map<string, FeatureEncoder>;

  /**
   * `externalItems`: the manifest carries no item vocabulary, its rows live in a row store
   * (contract/itemRows.ts); every encode must then be given the request's `ItemLookup`.
   */
  constructor(
    spec: FeatureContractSpec,
    readonly options: { externalItems?: boolean } = {},
  ) {
    validateSpec(spec);
    this.spec = spec;
    this.itemIndex = new Map(spec.items.map((id, i) => [id, i + FIRST_INDEX]));
    this.categoryIndex = new Map(spec.categories.map((name, j) => [name, j + FIRST_INDEX]));
    const encoders = (spec.features ?? []).map((f) => new FeatureEncoder(f));
    const of = (group: FeatureGroup) => encoders.filter((e) => e.spec.group === group);
    this.features = { user: of('user'), candidate: of('candidate'), context: of('context') };
    this.byName = new Map(encoders.map((e) => [e.spec.name, e]));
    for (const e of this.features.candidate) {
      if (e.spec.itemValues && e.spec.itemValues.length !== spec.items.length) {
        throw new Error(`invalid feature contract: feature "${e.spec.name}" has ${e.spec.itemValues.length} item values for ${spec.items.length} items`);
      }
    }
  }

  get maxHistory(): number {
    return this.spec.maxHistory;
  }

  /**
   * Size of the item index space: rows of the item embedding table (padding + OOV + vocabulary),
   * or with hashed ids the virtual rows FIRST_INDEX + N (the model stores `itemRows` of them).
   */
  get itemCount(): number {
    return this.spec.itemIds ? this.spec.itemIds.buckets + FIRST_INDEX : this.spec.items.length + FIRST_INDEX;
  }

  /** Embedding rows the item ids cost: the table, or the quotient + remainder tables of hashed ids. */
  get itemRows(): number {
    return this.spec.itemIds ? qrRows(this.spec.itemIds).total : this.itemCount;
  }

  /** The hashed-ids spec of a format-3 contract, undefined for a vocabulary. */
  get hashedItems(): HashedItemIds | undefined {
    return this.spec.itemIds;
  }

  /** Rows of the category embedding table: padding + OOV + vocabulary. */
  get categoryCount(): number {
    return this.spec.categories.length + FIRST_INDEX;
  }

  /** The feature specs (empty for a format-1 contract). */
  get featureSpecs(): readonly FeatureSpec[] {
    return this.spec.features ?? [];
  }

  /** Item index of a raw id, OOV_INDEX when unknown (hashed ids: its bucket, never OOV). */
  itemOf(id: RawId): number {
    if (this.spec.itemIds) return hashedItemIndex(canonicalId(id), this.spec.itemIds);
    return this.itemIndex.get(canonicalId(id)) ?? OOV_INDEX;
  }

  /** Category index of a category name, OOV_INDEX when unknown or absent. */
  categoryOf(name: string | undefined): number {
    return name === undefined ? OOV_INDEX : (this.categoryIndex.get(name) ?? OOV_INDEX);
  }

  /** Encode one behaviour or candidate under the OOV rule (`items`: the row store's answer, external items only). */
  encode(ref: BehaviourRef | RawId, items?: ItemLookup): EncodedItem {
    const { item: id, category } = typeof ref === 'object' ? ref : { item: ref, category: undefined };
    if (items) {
      // Every known item is index FIRST_INDEX: the graph reads only "not padding" from it, its row comes as an input.
      const known = items(canonicalId(id));
      return known === undefined ? { item: OOV_INDEX, category: this.categoryOf(category), known: false } : { item: FIRST_INDEX, category: known, known: true };
    }
    if (this.options.externalItems) throw new Error('this model keeps its item rows outside the graph: encode with the row store (core/encode/rowFeeds.ts)');
    const item = this.itemOf(id);
    // Hashed ids have no stored category: the hint is the category (OOV without one).
    if (this.spec.itemIds) return { item, category: this.categoryOf(category), known: true };
    if (item !== OOV_INDEX) {
      return { item, category: this.spec.itemCategories[item - FIRST_INDEX], known: true };
    }
    return { item, category: this.categoryOf(category), known: false };
  }

  /**
   * Candidate-group features of one behaviour at `row`: a known item's stored values, else (and
   * always with hashed ids, which store none) the ref's attribute hints (a hint of the wrong type counts as missing: the worker rejects those
   * with a 400 before encoding, see `checkRequest`).
   */
  writeAttributes(out: ReadonlyArray<Int32Array | Float32Array>, row: number, ref: BehaviourRef | RawId, item: number): void {
    this.features.candidate.forEach((e, f) => {
      if (item !== OOV_INDEX && !this.spec.itemIds) return e.writeItem(out[f], row, item - FIRST_INDEX);
      const hint = typeof ref === 'object' ? ref.attributes?.[e.spec.name] : undefined;
      const checked = hint === undefined ? undefined : checkValue(e.spec, hint);
      e.write(out[f], row, checked?.ok ? checked.value : undefined);
    });
  }

  private attributeOutputs(rows: number): Array<Int32Array | Float32Array> {
    return this.features.candidate.map((e) => e.allocate(rows));
  }

  private attributeFeatures(prefix: 'hist' | 'cand', data: ReadonlyArray<Int32Array | Float32Array>, rows: number): EncodedFeature[] {
    return this.features.candidate.map((e, f) => ({
      input: `${prefix}_${e.spec.name}`,
      dtype: e.dtype,
      data: data[f],
      dims: e.spec.kind === 'multi' ? [rows, e.width] : [rows],
    }));
  }

  /** Encode a history (oldest first): keep the last `maxHistory`, pad on the right. */
  encodeHistory(refs: ReadonlyArray<BehaviourRef | RawId>, width: HistoryWidth = 'compact', itemLookup?: ItemLookup): EncodedHistory {
    const H = this.spec.maxHistory;
    const start = Math.max(0, refs.length - H);
    const length = refs.length - start;
    const size = width === 'full' ? H : Math.max(1, length);
    const items = new Int32Array(size); // zero-filled = PAD_INDEX
    const categories = new Int32Array(size);
    const attributes = this.attributeOutputs(size); // padding rows stay 0 (dense: 0 = the mean)
    let unknown = 0;
    for (let t = 0; t < length; t++) {
      const ref = refs[start + t];
      const e = this.encode(ref, itemLookup);
      items[t] = e.item;
      categories[t] = e.category;
      if (attributes.length > 0) this.writeAttributes(attributes, t, ref, itemLookup ? OOV_INDEX : e.item);
      if (!e.known) unknown++;
    }
    return { items, categories, length, unknown, features: this.attributeFeatures('hist', attributes, size) };
  }

  /** Encode candidates in request order. */
  encodeCandidates(refs: ReadonlyArray<BehaviourRef | RawId>, itemLookup?: ItemLookup): EncodedCandidates {
    const items = new Int32Array(refs.length);
    const categories = new Int32Array(refs.length);
    const attributes = this.attributeOutputs(refs.length);
    let unknown = 0;
    refs.forEach((ref, c) => {
      const e = this.encode(ref, itemLookup);
      items[c] = e.item;
      categories[c] = e.category;
      if (attributes.length > 0) this.writeAttributes(attributes, c, ref, itemLookup ? OOV_INDEX : e.item);
      if (!e.known) unknown++;
    });
    return { items, categories, unknown, features: this.attributeFeatures('cand', attributes, refs.length) };
  }

  /**
   * Values of the wrong type in a request's profile, context and attribute hints, as
   * `{path, message}` (the worker's 400). Names the model does not use are not errors (they are
   * counted by `encodeRequestFeatures`); `context.tz` must name a time zone.
   */
  checkRequest(request: { profile?: Readonly<Record<string, unknown>>; context?: Readonly<Record<string, unknown>>; history?: ReadonlyArray<BehaviourRef | RawId>; candidates?: ReadonlyArray<BehaviourRef | RawId> }): FeatureIssue[] {
    const issues: FeatureIssue[] = [];
    const check = (group: FeatureGroup, values: Readonly<Record<string, unknown>> | undefined, path: string) => {
      if (!values) return;
      for (const [name, value] of Object.entries(values)) {
        if (group === 'context' && name === CONTEXT_TIME_ZONE_KEY) {
          if (typeof value !== 'string' || !isTimeZone(value)) issues.push({ path: `${path}.${name}`, message: 'expected an IANA time zone name, e.g. "Europe/Paris"' });
          continue;
        }
        const e = this.byName.get(name);
        if (!e || e.spec.group !== group) continue;
        const r = checkValue(e.spec, value);
        if (!r.ok) issues.push({ path: `${path}.${name}`, message: `${e.spec.kind} feature "${name}": ${r.why}` });
      }
    };
    check('user', request.profile, 'profile');
    check('context', request.context, 'context');
    for (const [list, refs] of [['history', request.history], ['candidates', request.candidates]] as const) {
      refs?.forEach((ref, i) => {
        if (typeof ref === 'object' && ref.attributes) check('candidate', ref.attributes, `${list}.${i}.attributes`);
      });
    }
    return issues;
  }

  /**
   * `user_*` and `ctx_*` inputs of one request. Derived context: `hour` and `weekday` from
   * `time` in `timeZone`, `route` from the route name, unless the client sent a value itself.
   */
  encodeRequestFeatures(input: RequestFeatureInputs): EncodedRequestFeatures {
    const unknown = { profile: 0, context: 0 };
    const used = new Set<string>();
    const encodeGroup = (encoders: readonly FeatureEncoder[], values: Readonly<Record<string, unknown>> | undefined, key: 'profile' | 'context'): EncodedFeature[] =>
      encoders.map((e) => {
        const name = e.spec.name;
        let raw: unknown = values?.[name];
        if (raw !== undefined) used.add(`${key}.${name}`);
        else if ('derive' in e.spec.source) raw = derived(e.spec.source.derive, input);
        const checked = raw === undefined ? undefined : checkValue(e.spec, raw);
        const data = e.allocate(1);
        unknown[key] += e.write(data, 0, checked?.ok ? checked.value : undefined);
        return { input: `${key === 'profile' ? 'user' : 'ctx'}_${name}`, dtype: e.dtype, data, dims: e.spec.kind === 'multi' ? [1, e.width] : [1] };
      });
    const features = [...encodeGroup(this.features.user, input.profile, 'profile'), ...encodeGroup(this.features.context, input.context, 'context')];
    // Entries no feature of the model reads: ignored, counted like unknown ids.
    for (const [key, values] of [['profile', input.profile], ['context', input.context]] as const) {
      for (const name of Object.keys(values ?? {})) {
        if (key === 'context' && name === CONTEXT_TIME_ZONE_KEY) continue;
        if (!used.has(`${key}.${name}`)) unknown[key]++;
      }
    }
    return { features, unknown };
  }

  /** A short description for `GET /v1/models` and logs. */
  summary(): {
    maxHistory: number;
    items: number;
    categories: number;
    padding: string;
    oov: string;
    itemIds?: HashedItemIds & { rows: number };
    features?: Array<{ name: string; group: string; kind: string; values?: number }>;
  } {
    const hashed = this.spec.itemIds;
    return {
      maxHistory: this.spec.maxHistory,
      items: this.spec.items.length,
      categories: this.spec.categories.length,
      padding: `${this.spec.padding}, index ${PAD_INDEX}`,
      oov: hashed
        ? `items are hashed (never OOV); category index ${OOV_INDEX} when the request gives no known category hint`
        : `index ${OOV_INDEX}; category from the vocabulary, else the request's hint, else OOV`,
      ...(hashed ? { itemIds: { ...hashed, rows: qrRows(hashed).total } } : {}),
      ...(this.spec.features?.length
        ? { features: this.spec.features.map((f) => ({ name: f.name, group: f.group, kind: f.kind, ...(f.kind === 'dense' ? {} : { values: f.vocabulary.length }) })) }
        : {}),
    };
  }
}

function derived(kind: 'hour' | 'weekday' | 'route', input: RequestFeatureInputs): string {
  if (kind === 'route') return input.route;
  return timeContext(input.time, input.timeZone)[kind];
}

export interface VocabularyOptions {
  maxHistory: number;
  /** Items seen fewer times than this in the training split map to OOV, so OOV is trained. */
  minItemCount: number;
  /** Keep only the this many most frequent of those items (a vocabulary forced to a row budget); all when absent. */
  maxItems?: number;
  /**
   * Hashed item ids instead of a vocabulary (format 3): the manifest carries no items, and the
   * categories are those of the items the vocabulary rule would have kept.
   */
  itemIds?: HashedItemIds;
}

/**
 * Build a contract from training behaviour: items ordered by descending count then id (stable
 * across runs), categories by name.
 */
export function buildFeatureContract(
  itemCounts: ReadonlyMap<string, number>,
  itemCategory: ReadonlyMap<string, string>,
  options: VocabularyOptions,
  /** Feature columns (format 2); `itemValues` of candidate features are filled for the items by `itemValue`. */
  features?: { specs: FeatureSpec[]; itemValue(spec: FeatureSpec, item: string): string | string[] | number | undefined },
): FeatureContract {
  const items = [...itemCounts.entries()]
    .filter(([, n]) => n >= options.minItemCount)
    .sort((a, b) => b[1] - a[1] || compareIds(a[0], b[0]))
    .slice(0, options.maxItems ?? Infinity)
    .map(([id]) => id);
  if (options.itemIds) return hashedContract(items, itemCategory, options, options.itemIds, features?.specs);
  const categories = [...new Set(items.map((id) => itemCategory.get(id)).filter((c): c is string => c !== undefined))].sort();
  const catIndex = new Map(categories.map((c, j) => [c, j + FIRST_INDEX]));
  const itemCategories = items.map((id) => catIndex.get(itemCategory.get(id) ?? '') ?? OOV_INDEX);
  const specs = features?.specs.map((spec) => {
    if (spec.group !== 'candidate') return spec;
    const e = new FeatureEncoder(spec);
    const stored = items.map((id) => e.storedItemValue(features.itemValue(spec, id)));
    return { ...spec, itemValues: stored } as FeatureSpec;
  });
  return new FeatureContract({
    formatVersion: CONTRACT_FORMAT,
    maxHistory: options.maxHistory,
    padding: 'right',
    truncation: 'keep-most-recent',
    padIndex: PAD_INDEX,
    oovIndex: OOV_INDEX,
    items,
    categories,
    itemCategories,
    vocabularyRule: `items seen >= ${options.minItemCount} times in the training split${options.maxItems !== undefined ? `, the ${options.maxItems} most frequent of them` : ''}; categories of those items`,
    features: specs ?? [],
  });
}

/** Format 3: no item vocabulary (nor stored item categories or attribute values), categories as usual. */
function hashedContract(items: readonly string[], itemCategory: ReadonlyMap<string, string>, options: VocabularyOptions, itemIds: HashedItemIds, specs?: FeatureSpec[]): FeatureContract {
  const categories = [...new Set(items.map((id) => itemCategory.get(id)).filter((c): c is string => c !== undefined))].sort();
  return new FeatureContract({
    formatVersion: HASHED_CONTRACT_FORMAT,
    maxHistory: options.maxHistory,
    padding: 'right',
    truncation: 'keep-most-recent',
    padIndex: PAD_INDEX,
    oovIndex: OOV_INDEX,
    items: [],
    categories,
    itemCategories: [],
    vocabularyRule: `items hashed into ${itemIds.buckets} buckets (quotient-remainder, m = ${itemIds.remainder}); categories of the items seen >= ${options.minItemCount} times in the training split`,
    features: specs ?? [],
    itemIds,
  });
}

/** Numeric ids compare as numbers, others as strings, so vocabularies read naturally. */
function compareIds(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isSafeInteger(na) && Number.isSafeInteger(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function validateSpec(spec: FeatureContractSpec): void {
  const fail = (why: string): never => {
    throw new Error(`invalid feature contract: ${why}`);
  };
  if (spec.formatVersion !== 1 && spec.formatVersion !== 2 && spec.formatVersion !== 3) fail(`formatVersion ${String(spec.formatVersion)} is not supported (this code reads 1, 2 and 3): update interest-edge`);
  if (spec.formatVersion === 1 && spec.features !== undefined) fail('features need formatVersion 2');
  if (spec.formatVersion === 3 && spec.itemIds === undefined) fail('formatVersion 3 needs itemIds');
  if (spec.formatVersion !== 3 && spec.itemIds !== undefined) fail('itemIds need formatVersion 3');
  if (spec.itemIds) {
    const problem = hashedItemIdsProblem(spec.itemIds);
    if (problem) fail(problem);
    if (spec.items.length > 0 || spec.itemCategories.length > 0) fail('a contract with hashed itemIds carries no item vocabulary: items and itemCategories must be empty');
    if ((spec.features ?? []).some((f) => f.itemValues !== undefined)) fail('a contract with hashed itemIds stores no per-item feature values (candidate attributes come from hints)');
  }
  const names = (spec.features ?? []).map((f) => f.name);
  if (new Set(names).size !== names.length) fail('feature names must be unique');
  if (!Number.isInteger(spec.maxHistory) || spec.maxHistory < 1) fail('maxHistory must be a positive integer');
  if (spec.padIndex !== PAD_INDEX || spec.oovIndex !== OOV_INDEX) fail('padIndex must be 0 and oovIndex 1');
  if (spec.padding !== 'right' || spec.truncation !== 'keep-most-recent') fail('unsupported padding/truncation');
  if (spec.itemCategories.length !== spec.items.length) fail('itemCategories must have one entry per item');
  if (new Set(spec.items).size !== spec.items.length) fail('items must be unique');
  if (new Set(spec.categories).size !== spec.categories.length) fail('categories must be unique');
  const maxCategory = spec.categories.length + FIRST_INDEX - 1;
  for (const c of spec.itemCategories) {
    if (!Number.isInteger(c) || c < OOV_INDEX || c > maxCategory) fail(`item category index ${c} is out of range`);
  }
}
