/**
 * Amazon product data reader (McAuley et al.; the data of the DIN and DIEN papers' Amazon
 * experiments), streamed line by line, plain or gzipped:
 *
 * - `reviews_<Category>_5.json`: one JSON object per line; `reviewerID`, `asin`,
 *   `unixReviewTime` (seconds) and `overall` (1–5, kept as the behaviour's value) are read, the
 *   rest ignored.
 * - `meta_<Category>.json`: one item per line, a Python dict literal in the historical files
 *   (parsed by pythonLiteral.ts, never evaluated), plain JSON accepted too. Only items that occur
 *   in the reviews are kept, the first line of an asin wins. Category = the last entry of the last
 *   path of `categories` (DIN's build scripts; `categoryPath: 'first'` takes DIEN's first path),
 *   or of the flat `category` list of the 2018 dumps. Items without a category get no entry:
 *   the feature contract maps them to the OOV category.
 *
 * Memory holds the timelines and the vocabularies (ids are interned), never the file.
 */
import { basename } from 'node:path';
import type { Behaviour, BehaviourLog } from './behaviourLog.js';
import { compareBehaviours } from './behaviourLog.js';
import { createInterner, MalformedLines, recordLines, type MalformedReport } from './lineReader.js';
import { parseRecordLine, type PyDict, type PyValue } from './pythonLiteral.js';

/** Which path of `categories` names an item's category: DIN takes the last, DIEN the first. */
export type CategoryPath = 'last' | 'first';

export interface AmazonReadOptions {
  /** Path of `reviews_<Category>_5.json` (or `.json.gz`). */
  reviews: string;
  /** Path of `meta_<Category>.json` (or `.json.gz`); without it no item has a category. */
  meta?: string;
  /** Default `amazon-<category>` from the reviews file name, e.g. `amazon-electronics`. */
  source?: string;
  /** Default 'last' (the DIN papers' rule). */
  categoryPath?: CategoryPath;
  /** Progress display on stderr (see lineReader.ts); default true. */
  progress?: boolean;
  /** Fraction of malformed lines tolerated per file (default 1 %, see lineReader.ts). */
  maxMalformedFraction?: number;
}

export interface AmazonReadStats {
  reviews: MalformedReport;
  meta?: MalformedReport & {
    /** Lines describing an item of the reviews (the first one per asin). */
    kept: number;
  };
  users: number;
  items: number;
  categories: number;
  /** Items of the reviews without a category (no meta line, or no usable `categories`). */
  itemsWithoutCategory: number;
}

export async function readAmazon(options: AmazonReadOptions): Promise<{ log: BehaviourLog; stats: AmazonReadStats }> {
  const intern = createInterner();
  const reviews = await readAmazonReviews(options.reviews, { ...options, intern });
  const items = new Set<string>();
  for (const timeline of reviews.timelines.values()) for (const b of timeline) items.add(b.item);
  const meta = options.meta ? await readAmazonMeta(options.meta, items, { ...options, intern }) : undefined;
  const itemCategory = meta?.itemCategory ?? new Map<string, string>();
  const log: BehaviourLog = { timelines: reviews.timelines, itemCategory, source: options.source ?? amazonSourceName(options.reviews) };
  return {
    log,
    stats: {
      reviews: reviews.report,
      meta: meta?.report,
      users: log.timelines.size,
      items: items.size,
      categories: new Set(itemCategory.values()).size,
      itemsWithoutCategory: items.size - itemCategory.size,
    },
  };
}

interface ReaderOptions {
  progress?: boolean;
  maxMalformedFraction?: number;
  intern?: (id: string) => string;
}

/** The reviews file as per-user timelines sorted by (time, asin). */
export async function readAmazonReviews(
  path: string,
  options: ReaderOptions = {},
): Promise<{ timelines: Map<string, Behaviour[]>; report: MalformedReport }> {
  const intern = options.intern ?? createInterner();
  const malformed = new MalformedLines(path, options.maxMalformedFraction);
  const timelines = new Map<string, Behaviour[]>();
  for await (const { text: line, number: lineNumber } of recordLines(path, malformed, { progress: options.progress })) {
    let review: PyValue;
    try {
      review = parseRecordLine(line);
    } catch (e) {
      malformed.record(lineNumber, (e as Error).message);
      continue;
    }
    const { reviewerID, asin, unixReviewTime, overall } = isDict(review) ? review : ({} as PyDict);
    if (typeof reviewerID !== 'string' || reviewerID === '' || typeof asin !== 'string' || asin === '') {
      malformed.record(lineNumber, 'reviewerID or asin missing');
      continue;
    }
    if (typeof unixReviewTime !== 'number' || !Number.isFinite(unixReviewTime)) {
      malformed.record(lineNumber, 'unixReviewTime is not a number');
      continue;
    }
    const user = intern(reviewerID);
    let timeline = timelines.get(user);
    if (!timeline) timelines.set(user, (timeline = []));
    timeline.push({ item: intern(asin), time: unixReviewTime, value: typeof overall === 'number' ? overall : undefined });
  }
  const report = malformed.finish();
  for (const timeline of timelines.values()) timeline.sort(compareBehaviours);
  return { timelines, report };
}

/** `asin` as the first key of a line: lets the reader skip items absent from the reviews unparsed. */
const LEADING_ASIN = /^\s*\{\s*(["'])asin\1\s*:\s*(["'])([A-Za-z0-9]+)\2/;

/** Categories of the `items` the metadata file describes. */
export async function readAmazonMeta(
  path: string,
  items: ReadonlySet<string>,
  options: ReaderOptions & { categoryPath?: CategoryPath } = {},
): Promise<{ itemCategory: Map<string, string>; report: MalformedReport & { kept: number } }> {
  const intern = options.intern ?? createInterner();
  const malformed = new MalformedLines(path, options.maxMalformedFraction);
  const itemCategory = new Map<string, string>();
  const described = new Set<string>();
  for await (const { text: line, number: lineNumber } of recordLines(path, malformed, { progress: options.progress })) {
    const leading = LEADING_ASIN.exec(line);
    if (leading && (!items.has(leading[3]) || described.has(leading[3]))) continue;
    let meta: PyValue;
    try {
      meta = parseRecordLine(line);
    } catch (e) {
      malformed.record(lineNumber, (e as Error).message);
      continue;
    }
    const asin = isDict(meta) ? meta.asin : undefined;
    if (typeof asin !== 'string' || asin === '') {
      malformed.record(lineNumber, 'asin missing');
      continue;
    }
    if (!items.has(asin) || described.has(asin)) continue;
    described.add(intern(asin));
    const category = categoryOf(meta as PyDict, options.categoryPath);
    if (category !== undefined) itemCategory.set(intern(asin), intern(category));
  }
  return { itemCategory, report: { ...malformed.finish(), kept: described.size } };
}

/**
 * An item's category from its metadata: the last entry of the last (or first) path of
 * `categories` (a list of paths, each a list of names), else the last entry of a flat
 * `category` list; undefined when neither holds a non-empty name.
 */
export function categoryOf(meta: PyDict, path: CategoryPath = 'last'): string | undefined {
  const { categories, category } = meta;
  let names: PyValue | undefined;
  if (Array.isArray(categories) && categories.length > 0) names = categories[path === 'last' ? categories.length - 1 : 0];
  else if (Array.isArray(category)) names = category;
  if (!Array.isArray(names) || names.length === 0) return undefined;
  const name = names[names.length - 1];
  return typeof name === 'string' && name.trim() !== '' ? name : undefined;
}

/** `reviews_Electronics_5.json.gz` → `amazon-electronics`. */
export function amazonSourceName(reviewsPath: string): string {
  const match = /^reviews_(.+?)(?:_5)?\.json(?:\.gz)?$/.exec(basename(reviewsPath));
  return `amazon-${(match ? match[1] : basename(reviewsPath)).toLowerCase()}`;
}

function isDict(value: PyValue): value is PyDict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
