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
 * are an error naming both. Every file is checked by its bytes before any is read: a Parquet file
 * must start and end with the `PAR1` magic (a truncated or zero-byte one is refused, naming it); a
 * CSV file that is Parquet is refused; a CSV file is gzip when its first bytes say so, whatever its
 * name. A zero-byte CSV shard (an empty partition) holds no rows and is skipped. Hive partition
 * directories (`date=2024-01-01/`) in a shard directory are read, in natural order; any other
 * subdirectory, or a file that is not a shard, is refused naming it: reading part of a table
 * silently would train on part of the data. A single CSV file per table can go through either reader; Parquet and
 * sharded tables need the out-of-core engine (data/duckdb/personalizeEngine.ts).
 */
import { closeSync, openSync, readdirSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
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
  /** Per file: gzip (by its first bytes; CSV only). */
  gzip: boolean[];
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

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** `stat` that names the file in its error (a dangling symlink, a symlink loop, no permission). */
function statOf(path: string): Stats {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ELOOP' ? 'a symbolic link loop' : code === 'ENOENT' ? 'a symbolic link to nothing' : code === 'EACCES' ? 'not readable (permission denied)' : message(err);
    throw new Error(`${path}: ${why}`);
  }
}

/** The first and last `n` bytes of a file. */
function ends(path: string, size: number, n: number): [Buffer, Buffer] {
  const head = Buffer.alloc(Math.min(n, size));
  const tail = Buffer.alloc(Math.min(n, size));
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new Error(`${path}: cannot be opened (${(err as NodeJS.ErrnoException).code ?? message(err)})`);
  }
  try {
    readSync(fd, head, 0, head.length, 0);
    readSync(fd, tail, 0, tail.length, size - tail.length);
  } finally {
    closeSync(fd);
  }
  return [head, tail];
}

const PAR1 = Buffer.from('PAR1');
const isGzip = (b: Buffer) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** A table file checked by its bytes: `skip` for a zero-byte CSV shard, else whether it is gzip. Throws naming the file. */
function checkFile(path: string, format: TableFormat, sharded: boolean): 'skip' | { gzip: boolean } {
  const st = statOf(path);
  if (!st.isFile()) throw new Error(`${path}: not a regular file (a directory named like a shard?)`);
  if (format === 'parquet') {
    if (st.size === 0) throw new Error(`${path}: empty file (0 bytes), not Parquet: an interrupted export? Re-export it or remove it`);
    const [head, tail] = ends(path, st.size, 4);
    if (!head.equals(PAR1)) throw new Error(`${path}: not a Parquet file (it does not start with the PAR1 magic${isGzip(head) ? '; it is gzip' : head.toString('latin1').match(/^[\x20-\x7e]{4}$/) ? '; it looks like text: CSV? name it .csv' : ''})`);
    if (st.size < 12 || !tail.equals(PAR1)) throw new Error(`${path}: truncated Parquet file (no PAR1 magic at its end, ${st.size} bytes): an interrupted copy or export? Re-export it`);
    return { gzip: false };
  }
  if (st.size === 0) {
    if (sharded) return 'skip';
    throw new Error(`${path}: empty file (0 bytes): the table needs at least a header`);
  }
  const [head] = ends(path, st.size, 4);
  if (head.equals(PAR1)) throw new Error(`${path}: a Parquet file named like CSV: rename it .parquet`);
  return { gzip: isGzip(head) };
}

/**
 * The files of a shard directory, as paths relative to it, in natural name order level by level:
 * Hive partition directories (`date=2024-01-01/`, as Spark's partitionBy writes them) are read
 * in place (their key=value is not a column: TIMESTAMP is); any other subdirectory is refused,
 * naming it, and so is a partition directory reached twice (a symbolic-link loop).
 */
function shardFiles(path: string, name: TableName, rel = '', seen = new Set<string>()): string[] {
  const dir = join(path, rel);
  const real = realpathOf(dir);
  if (seen.has(real)) throw new Error(`${dir}: a symbolic link loop (this directory is reached twice)`);
  seen.add(real);
  const out: string[] = [];
  for (const n of readdirSync(dir).filter((n) => !n.startsWith('.') && !n.startsWith('_')).sort(naturalOrder)) {
    const child = join(rel, n);
    if (!statOf(join(path, child)).isDirectory()) out.push(child);
    else if (/^[^=]+=[^=]*$/.test(n)) out.push(...shardFiles(path, name, child, seen));
    else throw new Error(`${join(path, child)}: a subdirectory in the ${name} directory that is not a Hive partition (key=value): only shards and partition directories are read; move its shards up or remove it`);
  }
  return out;
}

function realpathOf(path: string): string {
  try {
    return realpathSync(path);
  } catch (err) {
    throw new Error(`${path}: ${(err as NodeJS.ErrnoException).code === 'ELOOP' ? 'a symbolic link loop' : message(err)}`);
  }
}

export function personalizeLayout(dir: string): PersonalizeLayout {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    names = readdirSync(dir);
  } catch (err) {
    throw new Error(`--data ${dir}: ${message(err)} (expected a directory holding interactions.csv, interactions.parquet or interactions/)`);
  }
  const table = (name: TableName): LayoutTable | undefined => {
    const matches = names.filter((n) => new RegExp(`^${name}(\\.csv(\\.gz)?|\\.parquet)?$`, 'i').test(n));
    const forms = matches.filter((n) => n.toLowerCase() !== name || statOf(join(dir, n)).isDirectory());
    if (forms.length > 1) throw new Error(`${dir}: both ${forms.join(' and ')} hold the ${name} table; keep one`);
    if (forms.length === 0) return undefined;
    const path = join(dir, forms[0]);
    if (!statOf(path).isDirectory()) {
      const format: TableFormat = PARQUET.test(path) ? 'parquet' : 'csv';
      const checked = checkFile(path, format, false) as { gzip: boolean };
      return { name, format, path, files: [path], gzip: [checked.gzip], sharded: false };
    }
    const entries = shardFiles(path, name);
    const unknown = entries.filter((n) => !CSV.test(n) && !PARQUET.test(n));
    if (unknown.length > 0) throw new Error(`${join(path, unknown[0])}: not a *.parquet, *.csv or *.csv.gz shard${unknown.length > 1 ? ` (nor ${unknown.length - 1} more)` : ''}; rename it, or remove it from the ${name} directory (names starting with . or _ are ignored)`);
    const shards = entries;
    const parquet = shards.filter((n) => PARQUET.test(n));
    const csv = shards.filter((n) => CSV.test(n));
    if (parquet.length > 0 && csv.length > 0) throw new Error(`${path}: both Parquet (${parquet[0]}) and CSV (${csv[0]}) shards; a table's shards share one format`);
    if (shards.length === 0) throw new Error(`${path}: no *.parquet, *.csv or *.csv.gz shard in the ${name} directory`);
    const format: TableFormat = parquet.length > 0 ? 'parquet' : 'csv';
    const files: string[] = [];
    const gzip: boolean[] = [];
    for (const n of shards) {
      const checked = checkFile(join(path, n), format, true);
      if (checked === 'skip') continue;
      files.push(join(path, n));
      gzip.push(checked.gzip);
    }
    if (files.length === 0) throw new Error(`${path}: every shard of the ${name} directory is empty (0 bytes)`);
    return { name, format, path, files, gzip, sharded: true };
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
