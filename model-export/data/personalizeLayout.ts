/**
 * Where the Personalize layout's three tables live in a `--data` directory, and in which format
 * (docs/data-sources.md, "Parquet and out-of-core preparation"). Each of interactions (required),
 * items and users is one of
 *
 * - `X.csv` or `X.csv.gz` (the CSV reader's layout, personalize.ts),
 * - `X.parquet`,
 * - a directory `X/` of shards, as warehouses write them: `*.parquet`, or `*.csv` / `*.csv.gz`
 *   (names starting with `.` or `_` — `_SUCCESS`, `.crc` files — are ignored). Shards are read in
 *   natural name order (part-2 before part-10), which is the table's row order.
 *
 * Names are case-insensitive. Two forms of one table, or Parquet and CSV shards in one directory,
 * are an error naming both. A single CSV file per table can go through either reader; Parquet and
 * sharded tables need the out-of-core engine (data/duckdb/personalizeEngine.ts).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type TableFormat = 'csv' | 'parquet';
export type TableName = 'interactions' | 'items' | 'users';

export interface LayoutTable {
  name: TableName;
  format: TableFormat;
  /** The file, or the directory of shards. */
  path: string;
  /** The files to read, in row order (one for an unsharded table). */
  files: string[];
  sharded: boolean;
}

export interface PersonalizeLayout {
  dir: string;
  interactions: LayoutTable;
  items?: LayoutTable;
  users?: LayoutTable;
  /** Some table is Parquet or sharded: only the engine reads it. */
  needsEngine: boolean;
}

const CSV = /\.csv(\.gz)?$/i;
const PARQUET = /\.parquet$/i;
const naturalOrder = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true }) || (a < b ? -1 : a > b ? 1 : 0);

export function personalizeLayout(dir: string): PersonalizeLayout {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    names = readdirSync(dir);
  } catch (err) {
    throw new Error(`--data ${dir}: ${err instanceof Error ? err.message : String(err)} (expected a directory holding interactions.csv, interactions.parquet or interactions/)`);
  }
  const table = (name: TableName): LayoutTable | undefined => {
    const matches = names.filter((n) => new RegExp(`^${name}(\\.csv(\\.gz)?|\\.parquet)?$`, 'i').test(n));
    const forms = matches.filter((n) => n.toLowerCase() !== name || statSync(join(dir, n)).isDirectory());
    if (forms.length > 1) throw new Error(`${dir}: both ${forms.join(' and ')} hold the ${name} table; keep one`);
    if (forms.length === 0) return undefined;
    const path = join(dir, forms[0]);
    if (!statSync(path).isDirectory()) return { name, format: PARQUET.test(path) ? 'parquet' : 'csv', path, files: [path], sharded: false };
    const shards = readdirSync(path).filter((n) => !n.startsWith('.') && !n.startsWith('_') && (CSV.test(n) || PARQUET.test(n))).sort(naturalOrder);
    const parquet = shards.filter((n) => PARQUET.test(n));
    const csv = shards.filter((n) => CSV.test(n));
    if (parquet.length > 0 && csv.length > 0) throw new Error(`${path}: both Parquet (${parquet[0]}) and CSV (${csv[0]}) shards; a table's shards share one format`);
    if (shards.length === 0) throw new Error(`${path}: no *.parquet, *.csv or *.csv.gz shard in the ${name} directory`);
    return { name, format: parquet.length > 0 ? 'parquet' : 'csv', path, files: shards.map((n) => join(path, n)), sharded: true };
  };
  const interactions = table('interactions');
  if (!interactions) throw new Error(`${dir} has no interactions.csv (or .csv.gz, .parquet, or an interactions/ directory of shards); the table needs USER_ID, ITEM_ID, TIMESTAMP`);
  const items = table('items');
  const users = table('users');
  const tables = [interactions, items, users].filter((t) => t !== undefined);
  return {
    dir,
    interactions,
    ...(items ? { items } : {}),
    ...(users ? { users } : {}),
    needsEngine: tables.some((t) => t.format === 'parquet' || t.sharded),
  };
}
