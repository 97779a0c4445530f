/**
 * The id vocabularies of an imported model: `vocab.json` (format `interest-edge-vocab/1`, also
 * written by the repo's PyTorch reference trainer) or a repo `manifest.json` (its feature
 * contract, for re-importing the repo's own exports). Either becomes a feature contract spec
 * (contract/featureContract.ts): items[i] has index i + 2, categories[j] index j + 2, 0 = padding,
 * 1 = out of vocabulary.
 */
import { CONTRACT_FORMAT, FeatureContract, FIRST_INDEX, OOV_INDEX, type FeatureContractSpec } from '../../contract/featureContract.js';
import { modelManifestSchema } from '../../contract/manifest.js';
import { SCORE_LIMITS } from '../../core/schema/score.schema.js';
import { VocabRefusal } from './refusal.js';

export const VOCAB_FORMAT = 'interest-edge-vocab/1';

/** The vocabulary file: the feature contract's vocabulary fields. */
export interface VocabFile {
  format: typeof VOCAB_FORMAT;
  /** H: the longest history the model was trained with (the worker keeps the H most recent behaviours). */
  maxHistory: number;
  /** Raw item ids; items[i] is encoded as index i + 2. */
  items: Array<string | number>;
  /** Category names; categories[j] is encoded as index j + 2. */
  categories: string[];
  /** itemCategories[i]: the category index (2-based; 1 = OOV) of items[i]. */
  itemCategories: number[];
  /** How the vocabulary was chosen, for people reading the manifest. */
  vocabularyRule: string;
}

export interface ImportedVocab {
  spec: FeatureContractSpec;
  /** `vocab` (a vocab.json) or `manifest` (a repo manifest's feature contract). */
  from: 'vocab' | 'manifest';
}

/** Reads and validates a vocabulary (parsed JSON): every problem names the field. */
export function readVocab(json: unknown): ImportedVocab {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new VocabRefusal('(file)', 'is not a JSON object', `write {"format": "${VOCAB_FORMAT}", "maxHistory", "items", "categories", "itemCategories", "vocabularyRule"}`);
  const o = json as Record<string, unknown>;
  if ('featureContract' in o && 'onnx' in o) return fromManifest(o);
  if (o.format !== VOCAB_FORMAT) throw new VocabRefusal('format', `is ${JSON.stringify(o.format)}, not "${VOCAB_FORMAT}"`, `set "format": "${VOCAB_FORMAT}" (or pass a repo manifest.json)`);
  const maxHistory = o.maxHistory;
  if (typeof maxHistory !== 'number' || !Number.isInteger(maxHistory) || maxHistory < 1) throw new VocabRefusal('maxHistory', `is ${JSON.stringify(maxHistory)}, not a positive integer`, 'set it to the history length the model was trained with');
  if (maxHistory > SCORE_LIMITS.maxHistory) throw new VocabRefusal('maxHistory', `is ${maxHistory}; a score request carries at most ${SCORE_LIMITS.maxHistory} behaviours (core/schema/score.schema.ts), so positions past ${SCORE_LIMITS.maxHistory} would only ever be padding (and the worker's warm-up would run a ${maxHistory}-position history)`, `set it to the history length the model was trained with, at most ${SCORE_LIMITS.maxHistory}`);
  const items = o.items;
  if (!Array.isArray(items)) throw new VocabRefusal('items', 'is not an array', 'list the raw item ids, items[i] being index i + 2');
  const ids = items.map((id, i) => {
    if (typeof id === 'string' && id.length > 0) return id;
    if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
    throw new VocabRefusal(`items[${i}]`, `is ${JSON.stringify(id)}, not a non-empty string or a safe integer`, 'write every id as a string (or an integer)');
  });
  const seen = new Map<string, number>();
  ids.forEach((id, i) => {
    const first = seen.get(id);
    if (first !== undefined) throw new VocabRefusal(`items[${i}]`, `repeats id "${id}" of items[${first}] (the integer 42 and the string "42" are the same id)`, 'list every item id once; its position is its index - 2');
    seen.set(id, i);
  });
  const categories = o.categories;
  if (!Array.isArray(categories) || categories.some((c) => typeof c !== 'string')) throw new VocabRefusal('categories', 'is not an array of strings', 'list the category names, categories[j] being index j + 2');
  const firstCat = new Map<string, number>(); // (a Map: indexOf per category is quadratic, minutes for 100k categories)
  categories.forEach((c: string, j) => {
    if (firstCat.has(c)) throw new VocabRefusal(`categories[${j}]`, `repeats "${c}" of categories[${firstCat.get(c)}]`, 'list every category once');
    firstCat.set(c, j);
  });
  const itemCategories = o.itemCategories;
  if (!Array.isArray(itemCategories)) throw new VocabRefusal('itemCategories', 'is not an array', 'give one category index per item (2-based, 1 = unknown category)');
  if (itemCategories.length !== ids.length) throw new VocabRefusal('itemCategories', `has ${itemCategories.length} entries for ${ids.length} items`, 'give exactly one category index per item, in the order of items');
  const maxCategory = categories.length + FIRST_INDEX - 1;
  itemCategories.forEach((c, i) => {
    if (typeof c !== 'number' || !Number.isInteger(c) || c < OOV_INDEX || c > maxCategory) {
      throw new VocabRefusal(`itemCategories[${i}]`, `is ${JSON.stringify(c)}, outside ${OOV_INDEX}..${maxCategory} (${categories.length} categories: index = position + 2, 1 = unknown)`, 'write category indices 2-based (categories[0] is 2); 0 is padding and never a category');
    }
  });
  if (typeof o.vocabularyRule !== 'string') throw new VocabRefusal('vocabularyRule', 'is missing', 'say in one line how the vocabulary was chosen (e.g. "items seen >= 5 times in the training split")');
  const spec: FeatureContractSpec = {
    formatVersion: CONTRACT_FORMAT,
    maxHistory,
    padding: 'right',
    truncation: 'keep-most-recent',
    padIndex: 0,
    oovIndex: OOV_INDEX,
    items: ids,
    categories: categories as string[],
    itemCategories: itemCategories as number[],
    vocabularyRule: o.vocabularyRule,
    features: [],
  };
  validated(spec, 'vocab.json');
  return { spec, from: 'vocab' };
}

function fromManifest(o: Record<string, unknown>): ImportedVocab {
  const parsed = modelManifestSchema.safeParse(o);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new VocabRefusal(issue.path.join('.') || '(manifest)', `is not a valid manifest field: ${issue.message}`, 'pass a manifest.json written by this repo, or a vocab.json');
  }
  if (parsed.data.itemRows) throw new VocabRefusal('itemRows', 'the manifest keeps its item rows outside the graph (a row store); importing such a model is not supported', 'import the graph with its item table inside (export with --item-rows graph)');
  const spec = parsed.data.featureContract as FeatureContractSpec;
  validated(spec, 'featureContract');
  return { spec, from: 'manifest' };
}

function validated(spec: FeatureContractSpec, where: string): void {
  try {
    new FeatureContract(spec);
  } catch (e) {
    throw new VocabRefusal(where, (e as Error).message, 'correct the vocabulary so that it is a valid feature contract (docs/feature-contract.md)');
  }
}

/** The vocab.json for a contract (tests, and trainers that want an example). */
export function vocabFileOf(spec: FeatureContractSpec): VocabFile {
  return { format: VOCAB_FORMAT, maxHistory: spec.maxHistory, items: [...spec.items], categories: [...spec.categories], itemCategories: [...spec.itemCategories], vocabularyRule: spec.vocabularyRule };
}
