/**
 * Reader of Amazon Personalize's dataset layout — the CSV files teams already export from their
 * warehouses — streamed, plain or gzip, header names case-insensitive (docs/data-sources.md):
 *
 * - `interactions.csv` (required): USER_ID, ITEM_ID, TIMESTAMP (Unix seconds); optional
 *   EVENT_TYPE, EVENT_VALUE (number), IMPRESSION (pipe-separated ids shown with the event); any
 *   other column is context metadata, kept for the `contextColumns` feature columns ask for.
 * - `items.csv` (optional): ITEM_ID + metadata. An item's category is the first value of the
 *   `category` column, by default the first categorical column: not every value a number, and
 *   at most half the values distinct (a title or a URL names items, it does not group them).
 * - `users.csv` (optional): USER_ID + metadata; the `userColumns` feature columns ask for are kept.
 *   items.csv columns are kept likewise for `itemColumns` (candidate attributes).
 *
 * Rows are filtered by event type and value (`eventTypes`, `minEventValue`), grouped per user and
 * sorted by (time, item): timestamps out of order are counted, never trusted. Malformed rows are
 * counted with the first few as file:line examples; past `maxMalformedFraction` the read fails.
 * Memory holds the kept behaviours and the vocabularies (ids interned), never a file.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { compareBehaviours, type Behaviour, type BehaviourLog, type RawAttributes } from './behaviourLog.js';
import { Float64Column, Int32Column } from './columns.js';
import { CsvColumns, csvFile } from './csvRecords.js';
import { createInterner, MalformedLines, type MalformedReport } from './lineReader.js';

export interface PersonalizeReadOptions {
  /** Directory holding interactions.csv (or .csv.gz), optionally items.csv and users.csv. */
  dir: string;
  /** Provenance written into manifests; default `personalize-<directory name>`. */
  source?: string;
  /** EVENT_TYPEs kept as behaviours; default every type (and every row when there is no EVENT_TYPE column). */
  eventTypes?: readonly string[];
  /** Keep only rows with EVENT_VALUE ≥ this (MovieLens-style "rating ≥ 4" positives). */
  minEventValue?: number;
  /** items.csv column holding the category; default the first categorical column. */
  category?: string;
  /** Read the IMPRESSION column when present (default true). */
  impressions?: boolean;
  /** Progress display on stderr (lineReader.ts); default true. */
  progress?: boolean;
  /** Share of malformed rows tolerated per file; default 1 %. */
  maxMalformedFraction?: number;
  /** Events that are conversions (multi-task): a behaviour is `converted` when one of its user and item follows it. */
  conversion?: { eventTypes?: readonly string[]; minEventValue?: number };
  /** Metadata columns kept for feature columns (names case-insensitive; each must exist). */
  itemColumns?: readonly string[];
  userColumns?: readonly string[];
  contextColumns?: readonly string[];
}

export interface PersonalizeReadStats {
  files: { interactions: string; items?: string; users?: string };
  interactions: MalformedReport & {
    /** Rows kept as behaviours. */
    kept: number;
    /** Well-formed rows per EVENT_TYPE (before filtering). */
    eventTypes: Record<string, number>;
    /** Rows dropped by `eventTypes` / `minEventValue` (no EVENT_VALUE counts as below). */
    filteredByType: number;
    filteredByValue: number;
    /** Kept rows whose timestamp is earlier than the same user's previous kept row (sorted anyway). */
    outOfOrder: number;
    /** Kept rows with a non-empty IMPRESSION. */
    withImpressions: number;
    /** Rows matching the conversion filter (when one is configured). */
    conversionRows?: number;
  };
  items?: MalformedReport & { categoryColumn?: string; categoryColumnGuessed: boolean };
  users?: MalformedReport;
  userCount: number;
  itemCount: number;
  categories: number;
  /** Items of the kept behaviours without a category (not in items.csv, or an empty value). */
  itemsWithoutCategory: number;
}

/** Unix seconds before 2286; a larger TIMESTAMP is almost surely milliseconds. */
const MAX_SECONDS = 1e10;

export async function readPersonalize(options: PersonalizeReadOptions): Promise<{ log: BehaviourLog; stats: PersonalizeReadStats }> {
  const files = personalizeFiles(options.dir);
  const intern = createInterner();
  const interactions = await readInteractions(files.interactions, options, intern);
  const items = files.items ? await readItemCategories(files.items, options, intern) : undefined;
  if (options.category !== undefined && !files.items) {
    throw new Error(`--category ${options.category} names an items.csv column, but ${options.dir} has no items.csv`);
  }
  if (options.itemColumns?.length && !files.items) throw new Error(`feature columns ${options.itemColumns.join(', ')} name items.csv columns, but ${options.dir} has no items.csv`);
  if (options.userColumns?.length && !files.users) throw new Error(`feature columns ${options.userColumns.join(', ')} name users.csv columns, but ${options.dir} has no users.csv`);
  const users = files.users ? await readUsers(files.users, options) : undefined;
  const itemCategory = items?.itemCategory ?? new Map<string, string>();
  const kept = new Set<string>();
  for (const timeline of interactions.timelines.values()) for (const b of timeline) kept.add(b.item);
  let itemsWithoutCategory = 0;
  for (const item of kept) if (!itemCategory.has(item)) itemsWithoutCategory++;
  const log: BehaviourLog = {
    timelines: interactions.timelines,
    itemCategory,
    source: options.source ?? `personalize-${slug(basename(resolve(options.dir)))}`,
    ...(items?.attributes ? { itemAttributes: items.attributes } : {}),
    ...(users?.attributes ? { userAttributes: users.attributes } : {}),
  };
  return {
    log,
    stats: {
      files,
      interactions: interactions.report,
      ...(items ? { items: items.report } : {}),
      ...(users ? { users: users.report } : {}),
      userCount: log.timelines.size,
      itemCount: kept.size,
      categories: new Set([...kept].map((i) => itemCategory.get(i)).filter((c) => c !== undefined)).size,
      itemsWithoutCategory,
    },
  };
}

/** `My Shop (EU)` → `my-shop-eu`: a directory name as a model-name part. */
export function slug(name: string): string {
  const s = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return s === '' ? 'data' : s;
}

/** The layout's files in `dir` (names case-insensitive, `.csv` or `.csv.gz`). */
export function personalizeFiles(dir: string): PersonalizeReadStats['files'] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    names = readdirSync(dir);
  } catch (err) {
    throw new Error(`--data ${dir}: ${err instanceof Error ? err.message : String(err)} (expected a directory holding interactions.csv)`);
  }
  const find = (stem: string) => {
    const matches = names.filter((n) => new RegExp(`^${stem}\\.csv(\\.gz)?$`, 'i').test(n));
    if (matches.length > 1) throw new Error(`${dir}: both ${matches.join(' and ')}; keep one`);
    return matches.length ? join(dir, matches[0]) : undefined;
  };
  const interactions = find('interactions');
  if (!interactions) throw new Error(`${dir} has no interactions.csv (or interactions.csv.gz); the header needs USER_ID, ITEM_ID, TIMESTAMP`);
  const items = find('items');
  const users = find('users');
  return { interactions, ...(items ? { items } : {}), ...(users ? { users } : {}) };
}

async function readInteractions(
  path: string,
  o: PersonalizeReadOptions,
  intern: (id: string) => string,
): Promise<{ timelines: Map<string, Behaviour[]>; report: PersonalizeReadStats['interactions'] }> {
  const malformed = new MalformedLines(path, o.maxMalformedFraction);
  const { header, records } = await csvFile(path, malformed, { progress: o.progress });
  const columns = new CsvColumns(path, header);
  const userAt = columns.require('USER_ID');
  const itemAt = columns.require('ITEM_ID');
  const timeAt = columns.require('TIMESTAMP');
  const typeAt = columns.find('EVENT_TYPE');
  const valueAt = columns.find('EVENT_VALUE');
  const impressionAt = o.impressions === false ? undefined : columns.find('IMPRESSION');
  if (o.eventTypes && typeAt === undefined) columns.require('EVENT_TYPE', `the dataset config keeps event types ${o.eventTypes.join(', ')}`);
  if (o.minEventValue !== undefined && valueAt === undefined) columns.require('EVENT_VALUE', `the dataset config sets minEventValue ${o.minEventValue}`);
  const keepTypes = o.eventTypes ? new Set(o.eventTypes) : undefined;
  const conversionTypes = o.conversion?.eventTypes ? new Set(o.conversion.eventTypes) : undefined;
  if (conversionTypes && typeAt === undefined) columns.require('EVENT_TYPE', `the dataset config's conversion names event types ${[...conversionTypes].join(', ')}`);
  // Latest conversion time per (user, item), users and items as numbers.
  const conversions = new Map<string, number>();
  let conversionRows = 0;
  const width = header.length;
  const contextAt = (o.contextColumns ?? []).map((name) => ({ key: name.toUpperCase(), at: columns.require(name, 'a context feature column of the dataset config') }));
  // Few distinct contexts (devices × pages): one shared object per distinct combination.
  const contexts: RawAttributes[] = [];
  const contextIndex = new Map<string, number>();
  const rowContext = new Int32Column(); // index into contexts, −1: no context columns

  // Kept rows as columns (ids as numbers into the two tables); Behaviour objects are made once,
  // per user in sorted order, after the file is read.
  const users = idTable(intern);
  const items = idTable(intern);
  const rowUser = new Int32Column();
  const rowItem = new Int32Column();
  const rowTime = new Float64Column();
  const rowValue = new Float64Column(); // NaN: no EVENT_VALUE
  const rowShown = new Int32Column(); // start in shownItems, −1: no impression
  const shownItems = new Int32Column(); // per impression: its length, then its item numbers
  const lastTime: number[] = [];
  const eventTypes: Record<string, number> = Object.create(null) as Record<string, number>;
  let filteredByType = 0;
  let filteredByValue = 0;
  let outOfOrder = 0;
  let withImpressions = 0;
  for await (const batch of records) for (const { fields, line } of batch) {
    if (fields.length !== width) {
      malformed.record(line, `expected ${width} fields (the header's), got ${fields.length}`);
      continue;
    }
    const user = fields[userAt].trim();
    const item = fields[itemAt].trim();
    if (user === '' || item === '') {
      malformed.record(line, user === '' ? 'USER_ID is empty' : 'ITEM_ID is empty');
      continue;
    }
    const timeText = fields[timeAt].trim();
    const time = Number(timeText);
    if (timeText === '' || !Number.isFinite(time) || time < 0) {
      malformed.record(line, `TIMESTAMP ${JSON.stringify(timeText)} is not Unix seconds`);
      continue;
    }
    if (time > MAX_SECONDS) {
      malformed.record(line, `TIMESTAMP ${timeText} is after the year 2286: milliseconds? The layout wants seconds`);
      continue;
    }
    let value = Number.NaN;
    if (valueAt !== undefined) {
      const text = fields[valueAt].trim();
      if (text !== '') {
        value = Number(text);
        if (!Number.isFinite(value)) {
          malformed.record(line, `EVENT_VALUE ${JSON.stringify(text)} is not a number`);
          continue;
        }
      }
    }
    if (o.conversion && (!conversionTypes || conversionTypes.has(fields[typeAt!].trim())) && (o.conversion.minEventValue === undefined || value >= o.conversion.minEventValue)) {
      const key = `${users.number(user)},${items.number(item)}`;
      conversions.set(key, Math.max(conversions.get(key) ?? -Infinity, time));
      conversionRows++;
    }
    if (typeAt !== undefined) {
      const type = fields[typeAt].trim();
      eventTypes[type] = (eventTypes[type] ?? 0) + 1;
      if (keepTypes && !keepTypes.has(type)) {
        filteredByType++;
        continue;
      }
    }
    if (o.minEventValue !== undefined && !(value >= o.minEventValue)) {
      filteredByValue++;
      continue;
    }
    const u = users.number(user);
    while (lastTime.length < u) lastTime.push(-Infinity); // users first seen on a conversion-only row
    if (u === lastTime.length) lastTime.push(time);
    else {
      if (lastTime[u] > time) outOfOrder++;
      lastTime[u] = time;
    }
    rowUser.push(u);
    rowItem.push(items.number(item));
    rowTime.push(time);
    rowValue.push(value);
    let shownAt = -1;
    if (impressionAt !== undefined && fields[impressionAt].trim() !== '') {
      const shown = fields[impressionAt].split('|').map((x) => x.trim()).filter((x) => x !== '');
      if (shown.length > 0) {
        shownAt = shownItems.length;
        shownItems.push(shown.length);
        for (const x of shown) shownItems.push(items.number(x));
        withImpressions++;
      }
    }
    rowShown.push(shownAt);
    if (contextAt.length > 0) {
      const values = contextAt.map((c) => fields[c.at].trim());
      const key = values.join('\u0000');
      let index = contextIndex.get(key);
      if (index === undefined) {
        index = contexts.length;
        contexts.push(Object.freeze(Object.fromEntries(contextAt.map((c, i) => [c.key, values[i]]))));
        contextIndex.set(key, index);
      }
      rowContext.push(index);
    } else rowContext.push(-1);
  }
  const report = malformed.finish();
  const kept = rowUser.length;
  const timelines = toSortedTimelines(
    { user: rowUser.done(), item: rowItem.done(), time: rowTime.done(), value: rowValue.done(), shown: rowShown.done(), shownItems: shownItems.done(), context: rowContext.done() },
    users.ids,
    items.ids,
    contexts,
    o.conversion ? conversions : undefined,
  );
  // Users whose only rows were conversions (not behaviours) have no timeline.
  for (const [user, timeline] of timelines) if (timeline.length === 0) timelines.delete(user);
  return { timelines, report: { ...report, kept, eventTypes: { ...eventTypes }, filteredByType, filteredByValue, outOfOrder, withImpressions, ...(o.conversion ? { conversionRows } : {}) } };
}

/** Ids numbered in order of first appearance; the strings are interned (copied once). */
function idTable(intern: (id: string) => string): { ids: string[]; number(id: string): number } {
  const index = new Map<string, number>();
  const ids: string[] = [];
  return {
    ids,
    number(id) {
      let n = index.get(id);
      if (n === undefined) {
        n = ids.length;
        const shared = intern(id);
        ids.push(shared);
        index.set(shared, n);
      }
      return n;
    },
  };
}

interface RowColumns {
  user: Int32Array;
  item: Int32Array;
  time: Float64Array;
  value: Float64Array;
  shown: Int32Array;
  shownItems: Int32Array;
  context: Int32Array;
}

/**
 * Per user (in order of first appearance), the rows sorted by compareBehaviours' order — time,
 * then item id — with file order breaking exact ties, as Behaviour objects.
 */
function toSortedTimelines(
  rows: RowColumns,
  userIds: readonly string[],
  itemIds: readonly string[],
  contexts: readonly RawAttributes[],
  conversions?: ReadonlyMap<string, number>,
): Map<string, Behaviour[]> {
  // Counting sort by user keeps each user's rows in file order.
  const start = new Int32Array(userIds.length + 1);
  for (let r = 0; r < rows.user.length; r++) start[rows.user[r] + 1]++;
  for (let u = 0; u < userIds.length; u++) start[u + 1] += start[u];
  const order = new Int32Array(rows.user.length);
  const next = start.slice(0, userIds.length);
  for (let r = 0; r < rows.user.length; r++) order[next[rows.user[r]]++] = r;
  const byTimeThenItem = (a: number, b: number) =>
    rows.time[a] - rows.time[b] || compareBehaviours({ item: itemIds[rows.item[a]], time: 0 }, { item: itemIds[rows.item[b]], time: 0 }) || a - b;
  const timelines = new Map<string, Behaviour[]>();
  for (let u = 0; u < userIds.length; u++) {
    const slice = order.subarray(start[u], start[u + 1]).sort(byTimeThenItem);
    const timeline: Behaviour[] = new Array(slice.length);
    for (let t = 0; t < slice.length; t++) {
      const r = slice[t];
      const v = rows.value[r];
      const b: Behaviour = { item: itemIds[rows.item[r]], time: rows.time[r], value: Number.isNaN(v) ? undefined : v };
      const s = rows.shown[r];
      if (s >= 0) b.shown = Array.from(rows.shownItems.subarray(s + 1, s + 1 + rows.shownItems[s]), (i) => itemIds[i]);
      if (rows.context[r] >= 0) b.context = contexts[rows.context[r]];
      if (conversions) b.converted = (conversions.get(`${u},${rows.item[r]}`) ?? -Infinity) >= b.time;
      timeline[t] = b;
    }
    timelines.set(userIds[u], timeline);
  }
  return timelines;
}

/** items.csv → each item's category: the first pipe-separated value of the category column. */
async function readItemCategories(
  path: string,
  o: PersonalizeReadOptions,
  intern: (id: string) => string,
): Promise<{ itemCategory: Map<string, string>; attributes?: Map<string, RawAttributes>; report: NonNullable<PersonalizeReadStats['items']> }> {
  const guessed = o.category === undefined;
  const column = o.category ?? (await guessCategoryColumn(path, o));
  const malformed = new MalformedLines(path, o.maxMalformedFraction);
  const { header, records } = await csvFile(path, malformed, { progress: o.progress });
  const columns = new CsvColumns(path, header);
  const itemAt = columns.require('ITEM_ID');
  const categoryAt = column === undefined ? undefined : columns.require(column, 'named by --category / the dataset config');
  const itemCategory = new Map<string, string>();
  const attributeAt = (o.itemColumns ?? []).map((name) => ({ key: name.toUpperCase(), at: columns.require(name, 'an item feature column of the dataset config') }));
  const attributes = attributeAt.length > 0 ? new Map<string, RawAttributes>() : undefined;
  for await (const batch of records) for (const { fields, line } of batch) {
    if (fields.length !== header.length) {
      malformed.record(line, `expected ${header.length} fields (the header's), got ${fields.length}`);
      continue;
    }
    const item = fields[itemAt].trim();
    if (item === '') {
      malformed.record(line, 'ITEM_ID is empty');
      continue;
    }
    if (attributes && !attributes.has(item)) attributes.set(intern(item), Object.fromEntries(attributeAt.map((c) => [c.key, fields[c.at].trim()])));
    if (categoryAt === undefined || itemCategory.has(item)) continue; // the first row of an item wins
    const category = firstValue(fields[categoryAt]);
    if (category !== '') itemCategory.set(intern(item), intern(category));
  }
  const report = malformed.finish();
  return { itemCategory, ...(attributes ? { attributes } : {}), report: { ...report, ...(column !== undefined ? { categoryColumn: column } : {}), categoryColumnGuessed: guessed } };
}

const firstValue = (field: string) => field.split('|')[0].trim();

/**
 * The first categorical column of items.csv (header order, ITEM_ID skipped): some value is not a
 * number, and its distinct values are at most half its non-empty rows — a column whose values
 * rarely repeat (a title, a URL) names items rather than grouping them. Undefined when none
 * qualifies (items then have no category: the OOV category).
 */
export async function guessCategoryColumn(path: string, o: Pick<PersonalizeReadOptions, 'progress'> = {}): Promise<string | undefined> {
  // Malformed rows are the second pass's to report: tolerate them all here.
  const { header, records } = await csvFile(path, new MalformedLines(path, 1), { progress: o.progress });
  const itemAt = new CsvColumns(path, header).require('ITEM_ID');
  const candidates = header.map((name, i) => ({ name, i, numeric: true, rows: 0, distinct: new Set<string>() })).filter((c) => c.i !== itemAt);
  for await (const batch of records) for (const { fields } of batch) {
    if (fields.length !== header.length) continue;
    for (const c of candidates) {
      const value = firstValue(fields[c.i]);
      if (value === '') continue;
      c.rows++;
      if (c.numeric && !Number.isFinite(Number(value))) c.numeric = false;
      c.distinct.add(value);
    }
  }
  return candidates.find((c) => !c.numeric && c.rows > 0 && c.distinct.size <= c.rows / 2)?.name;
}

/** items.csv's TITLE (or NAME) column, for reports; empty when there is no such file or column. */
export async function readItemTitles(dir: string): Promise<Map<string, string>> {
  const { items } = personalizeFiles(dir);
  const titles = new Map<string, string>();
  if (!items) return titles;
  const { header, records } = await csvFile(items, new MalformedLines(items, 1), { progress: false });
  const columns = new CsvColumns(items, header);
  const itemAt = columns.require('ITEM_ID');
  const titleAt = columns.find('TITLE') ?? columns.find('NAME');
  if (titleAt === undefined) return titles;
  for await (const batch of records) for (const { fields } of batch) {
    if (fields.length === header.length && !titles.has(fields[itemAt])) titles.set(fields[itemAt].trim(), fields[titleAt].trim());
  }
  return titles;
}

async function readUsers(path: string, o: PersonalizeReadOptions): Promise<{ report: MalformedReport; attributes?: Map<string, RawAttributes> }> {
  const malformed = new MalformedLines(path, o.maxMalformedFraction);
  const { header, records } = await csvFile(path, malformed, { progress: o.progress });
  const columns = new CsvColumns(path, header);
  const userAt = columns.require('USER_ID');
  const attributeAt = (o.userColumns ?? []).map((name) => ({ key: name.toUpperCase(), at: columns.require(name, 'a user feature column of the dataset config') }));
  const attributes = attributeAt.length > 0 ? new Map<string, RawAttributes>() : undefined;
  for await (const batch of records) for (const { fields, line } of batch) {
    if (fields.length !== header.length) malformed.record(line, `expected ${header.length} fields (the header's), got ${fields.length}`);
    else if (fields[userAt].trim() === '') malformed.record(line, 'USER_ID is empty');
    else if (attributes && !attributes.has(fields[userAt].trim())) {
      attributes.set(fields[userAt].trim(), Object.fromEntries(attributeAt.map((c) => [c.key, fields[c.at].trim()]))); // the first row of a user wins
    }
  }
  return { report: malformed.finish(), ...(attributes ? { attributes } : {}) };
}
