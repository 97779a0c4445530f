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
 * This module imports neither tfjs nor onnxruntime: it runs in Node and in workerd alike.
 */

export const PAD_INDEX = 0;
export const OOV_INDEX = 1;
/** Index of the first vocabulary entry. */
export const FIRST_INDEX = 2;

/** A raw behaviour id as clients and data files give it. */
export type RawId = string | number;

/** Serialisable form of the contract, stored in `manifest.json` under `featureContract`. */
export interface FeatureContractSpec {
  /** Bumped when the encoding rules below change meaning. */
  formatVersion: 1;
  /** H: the longest history the model sees. */
  maxHistory: number;
  padding: 'right';
  truncation: 'keep-most-recent';
  padIndex: typeof PAD_INDEX;
  oovIndex: typeof OOV_INDEX;
  /** Item vocabulary: `items[i]` has index `i + FIRST_INDEX`. */
  items: string[];
  /** Category vocabulary: `categories[j]` has index `j + FIRST_INDEX`. */
  categories: string[];
  /** `itemCategories[i]` is the category index of `items[i]` (may be OOV_INDEX). */
  itemCategories: number[];
  /** How the vocabulary was chosen, for people reading a manifest. */
  vocabularyRule: string;
}

/** One behaviour or candidate: an id plus an optional category hint used for unknown ids. */
export interface BehaviourRef {
  item: RawId;
  category?: string;
}

export interface EncodedItem {
  item: number;
  category: number;
  known: boolean;
}

export interface EncodedHistory {
  /** Item indices, `width` long, right-padded with PAD_INDEX. */
  items: Int32Array;
  /** Category indices, `width` long, right-padded with PAD_INDEX. */
  categories: Int32Array;
  /** Behaviours kept (≤ maxHistory). */
  length: number;
  /** Kept behaviours whose id the vocabulary does not know. */
  unknown: number;
}

export interface EncodedCandidates {
  items: Int32Array;
  categories: Int32Array;
  unknown: number;
}

/**
 * `full` pads to exactly `maxHistory` (training batches); `compact` pads only to the kept length,
 * with one padding slot for an empty history so no tensor ever has a zero dimension (serving).
 */
export type HistoryWidth = 'full' | 'compact';

/** Canonical string form of a raw id; throws on ids the contract cannot represent. */
export function canonicalId(id: RawId): string {
  if (typeof id === 'string') return id;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
  throw new TypeError(`id must be a string or a safe integer, got ${String(id)}`);
}

export class FeatureContract {
  readonly spec: FeatureContractSpec;
  private readonly itemIndex: Map<string, number>;
  private readonly categoryIndex: Map<string, number>;

  constructor(spec: FeatureContractSpec) {
    validateSpec(spec);
    this.spec = spec;
    this.itemIndex = new Map(spec.items.map((id, i) => [id, i + FIRST_INDEX]));
    this.categoryIndex = new Map(spec.categories.map((name, j) => [name, j + FIRST_INDEX]));
  }

  get maxHistory(): number {
    return this.spec.maxHistory;
  }

  /** Rows of the item embedding table: padding + OOV + vocabulary. */
  get itemCount(): number {
    return this.spec.items.length + FIRST_INDEX;
  }

  /** Rows of the category embedding table: padding + OOV + vocabulary. */
  get categoryCount(): number {
    return this.spec.categories.length + FIRST_INDEX;
  }

  /** Item index of a raw id, OOV_INDEX when unknown. */
  itemOf(id: RawId): number {
    return this.itemIndex.get(canonicalId(id)) ?? OOV_INDEX;
  }

  /** Category index of a category name, OOV_INDEX when unknown or absent. */
  categoryOf(name: string | undefined): number {
    return name === undefined ? OOV_INDEX : (this.categoryIndex.get(name) ?? OOV_INDEX);
  }

  /** Encode one behaviour or candidate under the OOV rule. */
  encode(ref: BehaviourRef | RawId): EncodedItem {
    const { item: id, category } = typeof ref === 'object' ? ref : { item: ref, category: undefined };
    const item = this.itemOf(id);
    if (item !== OOV_INDEX) {
      return { item, category: this.spec.itemCategories[item - FIRST_INDEX], known: true };
    }
    return { item, category: this.categoryOf(category), known: false };
  }

  /** Encode a history (oldest first): keep the last `maxHistory`, pad on the right. */
  encodeHistory(refs: ReadonlyArray<BehaviourRef | RawId>, width: HistoryWidth = 'compact'): EncodedHistory {
    const H = this.spec.maxHistory;
    const start = Math.max(0, refs.length - H);
    const length = refs.length - start;
    const size = width === 'full' ? H : Math.max(1, length);
    const items = new Int32Array(size); // zero-filled = PAD_INDEX
    const categories = new Int32Array(size);
    let unknown = 0;
    for (let t = 0; t < length; t++) {
      const e = this.encode(refs[start + t]);
      items[t] = e.item;
      categories[t] = e.category;
      if (!e.known) unknown++;
    }
    return { items, categories, length, unknown };
  }

  /** Encode candidates in request order. */
  encodeCandidates(refs: ReadonlyArray<BehaviourRef | RawId>): EncodedCandidates {
    const items = new Int32Array(refs.length);
    const categories = new Int32Array(refs.length);
    let unknown = 0;
    refs.forEach((ref, c) => {
      const e = this.encode(ref);
      items[c] = e.item;
      categories[c] = e.category;
      if (!e.known) unknown++;
    });
    return { items, categories, unknown };
  }

  /** A short description for `GET /v1/models` and logs. */
  summary(): { maxHistory: number; items: number; categories: number; padding: string; oov: string } {
    return {
      maxHistory: this.spec.maxHistory,
      items: this.spec.items.length,
      categories: this.spec.categories.length,
      padding: `${this.spec.padding}, index ${PAD_INDEX}`,
      oov: `index ${OOV_INDEX}; category from the vocabulary, else the request's hint, else OOV`,
    };
  }
}

export interface VocabularyOptions {
  maxHistory: number;
  /** Items seen fewer times than this in the training split map to OOV, so OOV is trained. */
  minItemCount: number;
}

/**
 * Build a contract from training behaviour: items ordered by descending count then id (stable
 * across runs), categories by name.
 */
export function buildFeatureContract(
  itemCounts: ReadonlyMap<string, number>,
  itemCategory: ReadonlyMap<string, string>,
  options: VocabularyOptions,
): FeatureContract {
  const items = [...itemCounts.entries()]
    .filter(([, n]) => n >= options.minItemCount)
    .sort((a, b) => b[1] - a[1] || compareIds(a[0], b[0]))
    .map(([id]) => id);
  const categories = [...new Set(items.map((id) => itemCategory.get(id)).filter((c): c is string => c !== undefined))].sort();
  const catIndex = new Map(categories.map((c, j) => [c, j + FIRST_INDEX]));
  const itemCategories = items.map((id) => catIndex.get(itemCategory.get(id) ?? '') ?? OOV_INDEX);
  return new FeatureContract({
    formatVersion: 1,
    maxHistory: options.maxHistory,
    padding: 'right',
    truncation: 'keep-most-recent',
    padIndex: PAD_INDEX,
    oovIndex: OOV_INDEX,
    items,
    categories,
    itemCategories,
    vocabularyRule: `items seen >= ${options.minItemCount} times in the training split; categories of those items`,
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
  if (spec.formatVersion !== 1) fail(`formatVersion ${String(spec.formatVersion)} is not supported`);
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
