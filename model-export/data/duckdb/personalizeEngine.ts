/**
 * Out-of-core preparation of the Personalize layout (personalizeLayout.ts: CSV or Parquet, one
 * file or a directory of shards) in DuckDB, embedded in the process: the log never enters the JS
 * heap. docs/data-sources.md, "Parquet and out-of-core preparation".
 *
 * `open` reads the interactions once to validate and count them — the CSV reader's rules
 * (personalize.ts), by SQL: empty ids, a TIMESTAMP that is not Unix seconds (or is milliseconds),
 * an EVENT_VALUE that is not a number; CSV rows with the wrong number of fields come from DuckDB's
 * reject tables — and fails past `maxMalformedFraction`, naming the first rows as `file:line N`
 * (CSV) or `file:row N (row group G)` (Parquet). A second pass keeps the rows the event filters
 * keep (with their conversion flag) in a table of an on-disk database under a temporary
 * directory; DuckDB runs with `memoryLimit` and spills sorts and joins there.
 *
 * What JS holds is the catalogue: item categories (and item/user attribute columns when feature
 * columns ask for them). Timelines stream out user by user (`timelines`), in an order the caller
 * chooses (first appearance, or a seeded shuffle per epoch), each sorted exactly as the CSV reader
 * sorts it: compareBehaviours, file order breaking ties.
 */
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { hostname, tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { parse as parseCsv } from 'csv-parse/sync';
import { csvFile } from '../csvRecords.js';
import { MalformedLines, readLines } from '../lineReader.js';
import { compareBehaviours, type Behaviour, type RawAttributes } from '../behaviourLog.js';
import type { MalformedReport } from '../lineReader.js';
import type { PersonalizeReadOptions, PersonalizeReadStats } from '../personalize.js';
import type { LayoutTable, PersonalizeLayout } from '../personalizeLayout.js';

export interface EngineOptions extends Omit<PersonalizeReadOptions, 'dir' | 'progress'> {
  layout: PersonalizeLayout;
  /** Users with fewer kept behaviours are dropped (loadDataset's rule; default 2). */
  minUserBehaviours?: number;
  /** Longer timelines keep their recent end, as loadDataset's recentBehaviours cuts them (default: no cut). */
  maxUserBehaviours?: number;
  /** DuckDB's memory limit (default '1GB'): past it sorts and joins spill to the temporary directory. */
  memoryLimit?: string;
  /** DuckDB threads (default: DuckDB's, the cores). */
  threads?: number;
  /** Parent of the temporary directory holding the database and spill files (default the OS's). */
  tempDir?: string;
  log?: (line: string) => void;
}

/** Which users a stream covers: the split is decided in SQL by the same hashes as sample.ts and pipeline.ts. */
export type UserSplitRule = { assign: 'hash'; testFraction: number } | { assign: 'modulo'; modulus: number };
export type UserSelection = 'all' | 'train' | 'test' | 'fit' | 'validation';
/** Stream order of users: first appearance in the files, or a seeded hash of the id (a new order per key). */
export type UserOrder = { by: 'first' } | { by: 'hash'; key: string };

const MAX_SECONDS = 1e10;
/** The layout's CSV (RFC 4180, as csvRecords.ts reads it): no sniffing, every field text so validation stays ours. */
const CSV_DIALECT = `header = true, all_varchar = true, delim = ',', quote = '"', escape = '"'`;
const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
/** The first 4 bytes of a hex digest as a big-endian uint32, in SQL (sample.ts's hashUserSplit). */
const hashU32 = (prefix: string) => `('0x' || substr(sha256(${q(prefix)} || user_id), 1, 8))::UBIGINT`;

interface Column {
  name: string;
  type: string;
}

/** Columns by upper-cased name, per file of a table (shards may differ in column order and types). */
type Columns = Map<string, Column>;
interface Schema {
  /** The first file's columns: what the table has. */
  first: Columns;
  files: Columns[];
  /** CSV: each file's header as DuckDB names its columns (duplicates suffixed). */
  headers: string[][];
}

/**
 * A CSV file's read_csv options: the layout's dialect, gzip by the file's bytes
 * (personalizeLayout.ts), not its name, and the header we read (no sniffing: DuckDB's sniffer
 * refuses a whole file for one unclosed quote, which the CSV reader counts as one malformed line).
 */
function csvOptions(t: LayoutTable, f: number, header: readonly string[]): string {
  const columns = header.map((name) => `${q(name)}: 'VARCHAR'`).join(', ');
  return `${CSV_DIALECT}, compression = '${t.gzip[f] ? 'gzip' : 'none'}', auto_detect = false, columns = {${columns}}`;
}

/** A CSV file's header line (the first non-blank one), its names trimmed, blanks named `columnK`; a name twice is refused, as the CSV reader refuses it. */
async function csvHeader(file: string): Promise<string[]> {
  let line: string | undefined;
  let blank = 0;
  try {
    for await (const l of readLines(file, { progress: false })) {
      if (l.trim() !== '') {
        line = l;
        break;
      }
      blank++;
    }
  } catch (err) {
    throw new Error(`${file}: cannot be read (${(err as Error).message})${isGzipError(err) ? ': a truncated or corrupt gzip file? Re-export it' : ''}`);
  }
  if (line === undefined) throw new Error(`${file}: the file is empty (a header line is required)`);
  // DuckDB takes the first line for the header, and its `skip` miscounts mixed line ends (rows
  // silently lost): refused rather than read wrong.
  if (blank > 0) throw new Error(`${file}: ${blank} blank line${blank > 1 ? 's' : ''} before the header: the out-of-core engine needs the header on the first line; remove ${blank > 1 ? 'them' : 'it'}`);
  let names: string[];
  try {
    names = (parseCsv(line.replace(/^\ufeff/, ''), { relax_column_count: true }) as string[][])[0] ?? [];
  } catch (err) {
    throw new Error(`${file}: the header line is not valid CSV (${(err as Error).message.split('\n')[0]})`);
  }
  const seen = new Set<string>();
  return names.map((raw, k) => {
    let name = raw.trim() === '' ? `column${k}` : raw.trim();
    if (raw.trim() !== '' && seen.has(name.toUpperCase())) throw new Error(`${file}: column ${name} appears twice in the header`);
    for (let n = 1; seen.has(name.toUpperCase()); n++) name = `column${k}_${n}`;
    seen.add(name.toUpperCase());
    return name;
  });
}

/**
 * The physical lines of CSV rows given by DuckDB's row index (rows it read, in file order): the
 * CSV reader's own records (csvRecords.ts) walked up to the last of them, skipping those DuckDB
 * rejects too (a wrong field count, invalid quoting). `r + 2` is wrong after a blank line or a
 * quoted field holding a newline. Reads the file's prefix: only for the few reported examples.
 */
async function csvLinesOf(file: string, rows: number[], rejectsNeeded: number): Promise<{ rows: Map<number, number>; rejects: number[] }> {
  const wanted = new Set(rows);
  const last = rows.length > 0 ? Math.max(...rows) : -1;
  const out = { rows: new Map<number, number>(), rejects: [] as number[] };
  // The CSV reader's records DuckDB rejects too: invalid quoting (reported to MalformedLines) and a wrong field count.
  const malformed = new (class extends MalformedLines {
    override record(line: number): void {
      out.rejects.push(line);
    }
  })(file, 1);
  const { header, records } = await csvFile(file, malformed, { progress: false });
  let r = 0;
  const done = () => r > last && out.rejects.length >= rejectsNeeded;
  try {
    for await (const batch of records) {
      for (const { fields, line } of batch) {
        if (fields.length !== header.length) out.rejects.push(line);
        else {
          if (wanted.has(r)) out.rows.set(r, line);
          r++;
        }
        if (done()) return out;
      }
    }
  } finally {
    await records.return(undefined);
  }
  return out;
}

const isGzipError = (err: unknown) => typeof (err as NodeJS.ErrnoException).code === 'string' && (err as NodeJS.ErrnoException).code!.startsWith('Z_');

/** Reads a gzip file through to its end; the error when it is truncated or corrupt. */
async function gunzipError(file: string): Promise<Error | undefined> {
  try {
    await pipeline(createReadStream(file), createGunzip(), new Writable({ write: (_chunk, _encoding, done) => done() }));
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

/** A file of a table as reports name it: its name, or its path in the shard directory (Hive partitions hold files of one name). */
const shardName = (t: LayoutTable, f: number) => (t.sharded ? relative(t.path, t.files[f]) : basename(t.files[f]));

/** Columns by upper-cased name; two names equal but for case are refused (which would be read?). */
function byName(file: string, columns: Column[]): Columns {
  const out: Columns = new Map();
  for (const c of columns) {
    const key = c.name.toUpperCase().trim();
    const other = out.get(key);
    if (other) throw new Error(`${file}: columns ${other.name} and ${c.name} differ only in case: names are case-insensitive, keep one`);
    out.set(key, c);
  }
  return out;
}

/** A table's per-file sources with the file index `f` and the row index `r` (file order); `select` gets each file's own columns. */
function fileSources(t: LayoutTable, select: (cols: Columns) => string, schema: Schema, rejects?: string): string {
  return t.files
    .map((file, f) => {
      const from =
        t.format === 'parquet'
          ? `read_parquet(${q(file)}, file_row_number = true)`
          : `read_csv(${q(file)}, ${csvOptions(t, f, schema.headers[f])}, ${rejects ? `store_rejects = true, rejects_table = '${rejects}_errors_${f}', rejects_scan = '${rejects}_scans_${f}'` : 'ignore_errors = true'})`;
      const r = t.format === 'parquet' ? 'file_row_number' : '(row_number() OVER () - 1)';
      return `SELECT ${f} AS f, ${r} AS r, ${select(schema.files[f])} FROM ${from}`;
    })
    .join('\nUNION ALL\n');
}

/** The columns of one file of a table: Parquet's by DESCRIBE, CSV's from its header (every one text). */
async function describe(c: DuckDBConnection, t: LayoutTable, f: number): Promise<{ columns: Columns; header: string[] }> {
  const file = t.files[f];
  if (t.format === 'csv') {
    const header = await csvHeader(file);
    return { columns: new Map(header.map((name) => [name.toUpperCase(), { name, type: 'VARCHAR' }])), header };
  }
  const rows = (await c.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${q(file)})`)).getRowObjects();
  return { columns: byName(file, rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }))), header: [] };
}

/** Every file's columns, a file DuckDB cannot read named. */
async function schemaOf(c: DuckDBConnection, t: LayoutTable): Promise<Schema> {
  const files: Columns[] = [];
  const headers: string[][] = [];
  for (let f = 0; f < t.files.length; f++) {
    try {
      const d = await describe(c, t, f);
      files.push(d.columns);
      headers.push(d.header);
    } catch (err) {
      throw engineError(err, t.files[f]);
    }
  }
  return { first: files[0], files, headers };
}

/**
 * An error of DuckDB's (its message starts `Xxx Error: `, then the SQL) as one line naming what
 * was being read; our own errors pass unchanged.
 */
export function engineError(err: unknown, what: string): Error {
  if (!(err instanceof Error)) return new Error(`${what}: ${String(err)}`);
  const m = /^([A-Z][A-Za-z]*(?: [A-Za-z]+)*) Error: ([^\n]*)/.exec(err.message);
  if (!m) return err;
  const hint = /^Out of Memory/.test(m[1])
    ? ' (raise --memory-limit, or free disk space under the temporary directory)'
    : /CSV Parser state machine reached an invalid state/.test(m[2])
      ? ': line ends mixed in one file (CRLF and LF)? DuckDB reads one kind per file: normalise them (e.g. dos2unix), or read the CSV in memory (--engine memory)'
      : '';
  return new Error(`${what}: DuckDB could not read it: ${m[2].trim()} (${m[1].toLowerCase()} error)${hint}`, { cause: err });
}

/** Column text, trimmed, '' for NULL (the CSV reader's view of a field); '' for a column the file lacks. */
const text = (c: Column | undefined) => (c ? jsTrim(`coalesce(${asText(c)}, '')`) : `''`);
/**
 * A column as VARCHAR. Parquet strings written without the UTF8 annotation (Hive, older Spark:
 * what `spark.sql.parquet.binaryAsString` is for) are BLOB: their UTF-8 is decoded — a plain CAST
 * would turn the id `é1` into `\xC3\xA91`, silently another id than the CSV export's. Bytes that
 * are not UTF-8 keep DuckDB's escaped form.
 */
function asText(c: Column): string {
  if (/^BLOB/i.test(c.type)) return `coalesce(try(decode(${ident(c.name)})), CAST(${ident(c.name)} AS VARCHAR))`;
  // A Parquet LIST (IMPRESSION, GENRES as arrays, as warehouses store them) is the layout's
  // pipe-separated text: CAST would give '[a, b]', one id with brackets and spaces.
  if (/^[A-Z_0-9]+(\(.*\))?\[\d*\]$/i.test(c.type)) return `array_to_string(list_transform(${ident(c.name)}, x -> trim(CAST(x AS VARCHAR))), '|')`;
  // pandas writes an integer column holding a NULL as float64: the id 12 is 12.0 there, and
  // CAST gives '12.0' — another id than the '12' of a sibling shard or of items.parquet.
  // Integral floats read as integers ('12'), as a CSV export (and JavaScript's String) writes them.
  if (/^(DOUBLE|FLOAT|REAL)$/i.test(c.type)) {
    const x = ident(c.name);
    return `CASE WHEN isfinite(${x}) AND ${x} = trunc(${x}) AND abs(${x}) < 9007199254740992 THEN CAST(CAST(${x} AS BIGINT) AS VARCHAR) ELSE CAST(${x} AS VARCHAR) END`;
  }
  return `CAST(${ident(c.name)} AS VARCHAR)`;
}
/**
 * What JavaScript's String.prototype.trim strips (the CSV reader trims fields with it): DuckDB's
 * trim() strips spaces only, so ' u1\t' and '1700000000\t' were other ids and malformed times.
 */
const JS_WHITESPACE = q(' \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff');
/**
 * `trim(x, JS_WHITESPACE)`, fast: DuckDB's trim with a character set costs ≈ 12× the plain one
 * (3.2 s against 0.27 s over 10⁷ ids), so a value that starts and ends with a printable ASCII
 * character — nearly every id and number — skips it (one RE2 match, ≈ 0.3 s over 10⁷).
 */
const jsTrim = (x: string) => `CASE WHEN regexp_matches(${x}, '^[!-~](.*[!-~])?$') THEN ${x} ELSE trim(${x}, ${JS_WHITESPACE}) END`;

/** A numeric column as DOUBLE; text columns parsed (NULL when not a number). */
function number(c: Column | undefined): string {
  if (!c) return 'NULL::DOUBLE';
  if (/^(TIMESTAMP|DATE)/i.test(c.type)) return `epoch(${ident(c.name)})::DOUBLE`;
  if (/^(BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT|DOUBLE|FLOAT|REAL|DECIMAL)/i.test(c.type)) return `CAST(${ident(c.name)} AS DOUBLE)`;
  return `TRY_CAST(${text(c)} AS DOUBLE)`;
}

const TEMP_PREFIX = 'interest-edge-duckdb-';
/** The file naming the process (pid and host: a /tmp shared by containers holds other pid spaces) that owns a temporary directory. */
const OWNER = 'owner.pid';

/**
 * The temporary directories of open engines, removed when the process exits — on `exit`, and on
 * SIGINT / SIGTERM when nothing else handles them (then the signal is raised again, so the process
 * ends as it would have). One set of listeners for every engine, gone when the last one closes.
 */
const openDirs = new Set<string>();
const removeOpenDirs = () => {
  for (const dir of openDirs) rmSync(dir, { recursive: true, force: true });
  openDirs.clear();
};
const onSignal = (signal: NodeJS.Signals) => {
  const alone = process.listenerCount(signal) === 1;
  if (!alone) return; // someone else decides whether the process ends; `exit` cleans up if it does
  removeOpenDirs();
  detach();
  process.kill(process.pid, signal);
};
function attach(): void {
  process.on('exit', removeOpenDirs);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
function detach(): void {
  process.removeListener('exit', removeOpenDirs);
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
}
function addOnExit(dir: string): void {
  if (openDirs.size === 0) attach();
  openDirs.add(dir);
}
function removeOnExit(dir: string): void {
  if (!openDirs.delete(dir)) return;
  if (openDirs.size === 0) detach();
}

/** Removes engine directories in `parent` whose owner process is gone (SIGKILL, the OOM killer: no exit handler ran). */
function sweepStaleDirs(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent).filter((n) => n.startsWith(TEMP_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(parent, name);
    let owner: string[];
    try {
      owner = readFileSync(join(dir, OWNER), 'utf8').split(' ');
    } catch {
      continue; // not ours to judge (no owner file)
    }
    const pid = Number(owner[0]);
    if (owner[1] !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') rmSync(dir, { recursive: true, force: true });
    }
  }
}

export interface EngineStats extends PersonalizeReadStats {
  /** Users dropped by minUserBehaviours. */
  droppedUsers: number;
  /** Users cut to their recent behaviours by maxUserBehaviours. */
  cappedUsers: number;
  /** Users kept, per split (after `configureSplit`). */
  seconds: { validate: number; events: number; catalogue: number };
}

export class PersonalizeEngine {
  private constructor(
    private readonly db: DuckDBInstance,
    readonly connection: DuckDBConnection,
    private readonly dir: string,
    private readonly cleanup: () => void,
    readonly options: EngineOptions,
    readonly contextColumns: string[],
    readonly hasConversions: boolean,
  ) {}

  /** Item categories (every item the items table describes). */
  itemCategory = new Map<string, string>();
  itemAttributes?: Map<string, RawAttributes>;
  userAttributes?: Map<string, RawAttributes>;
  stats!: EngineStats;
  private splitReady = false;
  /** CSV files with rejects the CSV reader would not reject (their DuckDB line numbers are kept). */
  private otherRejects = new Set<string>();

  static async open(o: EngineOptions): Promise<PersonalizeEngine> {
    const parent = o.tempDir ?? tmpdir();
    sweepStaleDirs(parent);
    let dir: string;
    try {
      dir = mkdtempSync(join(parent, TEMP_PREFIX));
    } catch (err) {
      throw new Error(`the temporary directory ${parent} (DuckDB's database and spill files): ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (err as Error).message}`);
    }
    writeFileSync(join(dir, OWNER), `${process.pid} ${hostname()}`);
    const config: Record<string, string> = { memory_limit: o.memoryLimit ?? '1GB', temp_directory: join(dir, 'spill'), preserve_insertion_order: 'true' };
    if (o.threads !== undefined) config.threads = String(o.threads);
    let db: DuckDBInstance | undefined;
    let c: DuckDBConnection | undefined;
    // A run that exits without close() (an error past this point, process.exit, Ctrl-C) leaves no
    // files behind; close() unregisters it. A killed run's directory is swept by the next open.
    const cleanup = () => {
      rmSync(dir, { recursive: true, force: true });
      removeOnExit(dir);
    };
    addOnExit(dir);
    try {
      try {
        db = await DuckDBInstance.create(join(dir, 'prepare.duckdb'), config);
      } catch (err) {
        const why = (err as Error).message.split('\n')[0];
        throw new Error(o.memoryLimit !== undefined ? `--memory-limit ${o.memoryLimit}: DuckDB refuses it (${why}); give a size such as 512MB or 4GB` : `DuckDB could not start: ${why}`);
      }
      c = await db.connect();
      const contextColumns = (o.contextColumns ?? []).map((n) => n.toUpperCase());
      const engine = new PersonalizeEngine(db, c, dir, cleanup, o, contextColumns, o.conversion !== undefined);
      await engine.guard(o.layout.interactions, () => engine.prepare());
      return engine;
    } catch (err) {
      c?.closeSync();
      db?.closeSync();
      cleanup();
      throw engineError(err, o.layout.dir);
    }
  }

  close(): void {
    this.connection.closeSync();
    this.db.closeSync();
    this.cleanup();
  }

  private async all(sql: string): Promise<Record<string, DuckDBValue>[]> {
    return (await this.connection.runAndReadAll(sql)).getRowObjects();
  }

  /**
   * Column names (upper-cased) → name and type, per file: a file DuckDB cannot read is named
   * here, before any query mixes the files. Each file keeps its own types (a TIMESTAMP that is
   * BIGINT in one shard and TIMESTAMP in another is read as seconds in both).
   */
  private columnsOf(t: LayoutTable): Promise<Schema> {
    return schemaOf(this.connection, t);
  }

  /**
   * Shards agree on the layout's columns `keys` (upper-cased): each is in every file or in none.
   * A column only some shards have would be read from those and silently empty in the others.
   */
  private sameColumns(t: LayoutTable, schema: Schema, keys: readonly string[]): void {
    for (const key of new Set(keys)) {
      const has = schema.first.has(key);
      for (let f = 1; f < t.files.length; f++) {
        if (schema.files[f].has(key) === has) continue;
        const [a, b] = has ? [t.files[f], t.files[0]] : [t.files[0], t.files[f]];
        const name = (schema.files[f].get(key) ?? schema.first.get(key))!.name;
        throw new Error(`${a}: no ${name} column, which ${shardName(t, t.files.indexOf(b))} has: a table's shards need the same columns (${a === t.files[f] ? 'the header has ' + [...schema.files[f].values()].map((x) => x.name).join(', ') : 're-export them with one schema'})`);
      }
    }
  }

  /**
   * Runs a table's queries; a DuckDB error (a corrupt page, a file changed under the run) becomes
   * one line naming the file: a Parquet table's files are each scanned alone to find the one at fault.
   */
  private async guard<T>(t: LayoutTable, run: () => Promise<T>): Promise<T> {
    // DuckDB reads a gzip file cut short as far as it goes, without an error (the rows past the
    // cut silently missing); the CSV reader's gunzip refuses it. Every gzip shard is read through
    // in Node (zlib, off the main thread) while DuckDB runs, and a bad one stops the run by name.
    const integrity = t.format === 'csv' && t.gzip.some((g) => g) ? this.gzipIntegrity(t) : undefined;
    integrity?.catch(() => {}); // awaited below; not unhandled meanwhile
    let result: T;
    try {
      result = await run();
    } catch (err) {
      if (integrity) await integrity; // a bad gzip file explains DuckDB's error better
      const wrapped = engineError(err, t.path);
      if (wrapped === err || t.format === 'csv') throw wrapped;
      for (const file of t.files) {
        try {
          await this.connection.run(`SELECT max(hash(COLUMNS(*))) FROM read_parquet(${q(file)})`);
        } catch (fileErr) {
          const e = engineError(fileErr, file);
          throw new Error(`${e.message}: a corrupt Parquet file? Re-export it`, { cause: fileErr });
        }
      }
      throw wrapped;
    }
    if (integrity) await integrity;
    return result;
  }

  private async gzipIntegrity(t: LayoutTable): Promise<void> {
    for (let f = 0; f < t.files.length; f++) {
      const gz = t.gzip[f] ? await gunzipError(t.files[f]) : undefined;
      if (gz) throw new Error(`${t.files[f]}: cannot be read (${gz.message}): a truncated or corrupt gzip file? Re-export it`);
    }
  }

  /** An id column: present in every file, and a scalar (a STRUCT or MAP cast to text is no id; a LIST would be 'a|b'). */
  private requireId(schema: Schema, t: LayoutTable, name: 'USER_ID' | 'ITEM_ID'): Column {
    const c = this.require(schema, t, name);
    schema.files.forEach((cols, f) => {
      const type = cols.get(name)!.type;
      if (/^(STRUCT|MAP|UNION)\b|\[\d*\]$/i.test(type)) throw new Error(`${t.files[f]}: ${name} is a ${type} column: ids must be text or numbers`);
    });
    return c;
  }

  private require(schema: Schema, t: LayoutTable, name: string, why?: string): Column {
    const c = schema.first.get(name.toUpperCase());
    if (!c) throw new Error(`${t.files.length > 1 ? t.files[0] : t.path}: no ${name} column${why ? ` (${why})` : ''}; the header has ${[...schema.first.values()].map((x) => x.name).join(', ')}`);
    this.sameColumns(t, schema, [name.toUpperCase()]);
    return c;
  }

  /** CSV rows DuckDB rejected (wrong field count, bad quoting), by file index, as malformed examples. */
  private async rejects(t: LayoutTable, prefix: string): Promise<{ count: number; byFile: Map<number, number[]>; examples: Array<{ f: number; line: number; reason: string }> }> {
    const byFile = new Map<number, number[]>();
    const examples: Array<{ f: number; line: number; reason: string }> = [];
    let count = 0;
    if (t.format !== 'csv') return { count, byFile, examples };
    for (let f = 0; f < t.files.length; f++) {
      // One row per line: DuckDB logs a line that misses several fields once per missing column
      // (found 2, found 3, …); the first (the lowest column) says how many fields the line has.
      const rows = await this.all(
        `SELECT line, arg_min(error_type, coalesce(column_idx, 0)) AS error_type, arg_min(error_message, coalesce(column_idx, 0)) AS error_message FROM ${prefix}_errors_${f} GROUP BY line ORDER BY line`,
      );
      const lines = rows.map((r) => Number(r.line));
      byFile.set(f, lines);
      // Rejects the CSV reader also skips (a wrong field count, invalid quoting) can be renumbered by walking its records; others (invalid UTF-8) not.
      if (rows.some((r) => !['MISSING COLUMNS', 'TOO MANY COLUMNS', 'UNQUOTED VALUE'].includes(String(r.error_type)))) this.otherRejects.add(t.files[f]);
      count += rows.length;
      for (const r of rows) {
        if (examples.length >= 5) break;
        const m = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(String(r.error_message));
        examples.push({ f, line: Number(r.line), reason: m ? `expected ${m[1]} fields (the header's), got ${m[2]}` : String(r.error_message).split('\n')[0] });
      }
    }
    return { count, byFile, examples };
  }

  /** `file:line N` (CSV: the row index shifted past the header and the rejected lines before it) or `file:row N (row group G)`. */
  private async where(t: LayoutTable, f: number, r: number, rejectedLines: Map<number, number[]>): Promise<{ line: number; where: string }> {
    const file = t.files[f];
    if (t.format === 'csv') {
      let line = r + 2;
      for (const l of rejectedLines.get(f) ?? []) if (l <= line) line++;
      return { line, where: `${shardName(t, f)}:line ${line}` };
    }
    const groups = await this.all(`SELECT DISTINCT row_group_id AS g, row_group_num_rows AS n FROM parquet_metadata(${q(file)}) ORDER BY g`);
    let start = 0;
    let group = 0;
    for (const g of groups) {
      if (r < start + Number(g.n)) break;
      start += Number(g.n);
      group++;
    }
    return { line: r + 1, where: `${shardName(t, f)}:row ${r + 1} (row group ${group})` };
  }

  /** The malformed tally as the CSV reader's MalformedReport; throws past the tolerated share. */
  /**
   * A table's malformed report: the SQL checks' rows and reasons (`checked`: the rows with a
   * `reason` column) and DuckDB's rejected CSV lines, their first examples in file order.
   */
  private async tableReport(t: LayoutTable, checked: string, rejects: Awaited<ReturnType<PersonalizeEngine['rejects']>>, sqlRows: number, sqlMalformed: number): Promise<MalformedReport> {
    const sqlExamples = sqlMalformed > 0 ? await this.all(`SELECT f, r, reason FROM (${checked}) WHERE reason IS NOT NULL ORDER BY f, r LIMIT 5`) : [];
    const examples = [
      ...rejects.examples.map((e) => ({ f: e.f, line: e.line, reason: e.reason, key: e.line - 1.5 })),
      ...sqlExamples.map((e) => ({ f: Number(e.f), r: Number(e.r), reason: String(e.reason), key: Number(e.r) })),
    ].sort((a, b) => a.f - b.f || a.key - b.key);
    return this.malformedReport(t, sqlRows + rejects.count, sqlMalformed + rejects.count, examples, rejects.byFile);
  }

  private async malformedReport(t: LayoutTable, rows: number, malformed: number, examples: Array<{ f: number; r?: number; line?: number; reason: string }>, rejectedLines: Map<number, number[]>): Promise<MalformedReport> {
    // CSV: the physical line of each example, as the CSV reader numbers it (one walk per file):
    // DuckDB's row index and its reject lines miss blank lines and newlines inside quotes.
    const walks = new Map<number, { rows: Map<number, number>; rejects: number[] }>();
    const rejectIndex = (e: { f: number; line?: number }) => (rejectedLines.get(e.f) ?? []).indexOf(e.line!);
    if (t.format === 'csv') {
      for (const f of new Set(examples.map((e) => e.f))) {
        const mine = examples.filter((e) => e.f === f);
        walks.set(f, await csvLinesOf(t.files[f], mine.filter((e) => e.r !== undefined).map((e) => e.r!), Math.max(-1, ...mine.filter((e) => e.line !== undefined).map(rejectIndex)) + 1));
      }
    }
    const located = (
      await Promise.all(
        examples.map(async (e) => {
          const walk = walks.get(e.f);
          const rejects = this.otherRejects.has(t.files[e.f]) ? undefined : walk?.rejects;
          const line = e.line !== undefined ? (rejects?.[rejectIndex(e)] ?? e.line) : walk?.rows.get(e.r!);
          const at = line !== undefined ? { line, where: `${shardName(t, e.f)}:line ${line}` } : await this.where(t, e.f, e.r!, rejectedLines);
          return { ...at, reason: e.reason, f: e.f };
        }),
      )
    )
      // The first five of the rejects' and the rows' first five each, in file and line order.
      .sort((a, b) => a.f - b.f || (t.format === 'csv' ? a.line - b.line : 0))
      .slice(0, 5);
    const max = this.options.maxMalformedFraction ?? 0.01;
    const unit = t.format === 'parquet' ? 'rows' : 'lines';
    if (malformed > max * rows) {
      const shown = located.map((e) => `${e.where}: ${e.reason}`).join('; ');
      throw new Error(`${t.path}: ${malformed} of ${rows} ${unit} are malformed (more than ${100 * max} % allowed) — first: ${shown}`);
    }
    return { lines: rows, malformed, examples: located.map((e) => ({ line: e.line, reason: e.reason, where: e.where })) };
  }

  private async prepare(): Promise<void> {
    const o = this.options;
    const log = o.log ?? (() => {});
    const t = o.layout.interactions;
    const c0 = performance.now();
    const cols = await this.columnsOf(t);
    this.requireId(cols, t, 'USER_ID');
    this.requireId(cols, t, 'ITEM_ID');
    this.require(cols, t, 'TIMESTAMP');
    this.sameColumns(t, cols, ['EVENT_TYPE', 'EVENT_VALUE', 'IMPRESSION']);
    const type = cols.first.get('EVENT_TYPE');
    const value = cols.first.get('EVENT_VALUE');
    const impression = o.impressions === false ? undefined : cols.first.get('IMPRESSION');
    if (o.eventTypes && !type) this.require(cols, t, 'EVENT_TYPE', `the dataset config keeps event types ${o.eventTypes.join(', ')}`);
    if (o.minEventValue !== undefined && !value) this.require(cols, t, 'EVENT_VALUE', `the dataset config sets minEventValue ${o.minEventValue}`);
    if (o.conversion?.eventTypes && !type) this.require(cols, t, 'EVENT_TYPE', `the dataset config's conversion names event types ${o.conversion.eventTypes.join(', ')}`);
    const context = this.contextColumns.map((name) => this.require(cols, t, name, 'a context feature column of the dataset config').name.toUpperCase().trim());
    // Each file's own columns (and types): shards may order and type them differently.
    const select = (c: Columns) =>
      [
        `${text(c.get('USER_ID'))} AS u`,
        `${text(c.get('ITEM_ID'))} AS i`,
        `${text(c.get('TIMESTAMP'))} AS ts`,
        `${number(c.get('TIMESTAMP'))} AS t`,
        `${type ? text(c.get('EVENT_TYPE')) : 'NULL::VARCHAR'} AS ty`,
        `${value ? text(c.get('EVENT_VALUE')) : `''`} AS vs`,
        `${value ? number(c.get('EVENT_VALUE')) : 'NULL::DOUBLE'} AS v`,
        `${impression ? text(c.get('IMPRESSION')) : `''`} AS imp`,
        ...context.map((key, k) => `${text(c.get(key))} AS c${k}`),
      ].join(', ');
    const reason = `CASE WHEN u = '' THEN 'USER_ID is empty' WHEN i = '' THEN 'ITEM_ID is empty'
      WHEN ts = '' OR t IS NULL OR NOT isfinite(t) OR t < 0 THEN 'TIMESTAMP ' || to_json(ts) || ' is not Unix seconds'
      WHEN t > ${MAX_SECONDS} THEN 'TIMESTAMP ' || ts || ' is after the year 2286: milliseconds? The layout wants seconds'
      WHEN vs <> '' AND (v IS NULL OR NOT isfinite(v)) THEN 'EVENT_VALUE ' || to_json(vs) || ' is not a number' END`;
    const list = (xs: readonly string[]) => xs.map(q).join(', ');
    const keepType = o.eventTypes ? `ty IN (${list(o.eventTypes)})` : 'true';
    const keepValue = o.minEventValue !== undefined ? `coalesce(v >= ${o.minEventValue}, false)` : 'true';
    const conv = o.conversion ? `(${o.conversion.eventTypes ? `ty IN (${list(o.conversion.eventTypes)})` : 'true'} AND ${o.conversion.minEventValue !== undefined ? `coalesce(v >= ${o.conversion.minEventValue}, false)` : 'true'})` : 'false';
    const checked = (rejects?: string) => `SELECT *, ${reason} AS reason FROM (${fileSources(t, select, cols, rejects)})`;

    // Pass 1: counts per event type (malformed rows included in `rows`), rejects, examples.
    const perType = await this.all(
      `SELECT ty, count(*) AS rows, count(reason) AS malformed,
        count(*) FILTER (WHERE reason IS NULL AND NOT (${keepType})) AS by_type,
        count(*) FILTER (WHERE reason IS NULL AND (${keepType}) AND NOT (${keepValue})) AS by_value,
        count(*) FILTER (WHERE reason IS NULL AND (${conv})) AS conversions,
        count(*) FILTER (WHERE reason IS NULL AND (${keepType}) AND (${keepValue}) AND imp <> '') AS impressions
      FROM (${checked('rej_i')}) GROUP BY ty`,
    );
    const rejects = await this.rejects(t, 'rej_i');
    const sum = (k: string) => perType.reduce((s, r) => s + Number(r[k]), 0);
    const malformed = sum('malformed') + rejects.count;
    const rows = sum('rows') + rejects.count;
    const report = await this.tableReport(t, checked(), rejects, sum('rows'), sum('malformed'));
    const eventTypes: Record<string, number> = {};
    if (type) for (const r of perType) eventTypes[String(r.ty)] = Number(r.rows) - Number(r.malformed);
    const validate = (performance.now() - c0) / 1000;
    log(`validated ${rows.toLocaleString('en-US')} interaction rows in ${validate.toFixed(1)} s (${malformed} malformed)`);

    // Pass 2: the kept rows (the conversion flag joined in), then users and their first row.
    const c1 = performance.now();
    const ctx = context.map((_, k) => `, c${k}`).join('');
    const kept = `reason IS NULL AND (${keepType}) AND (${keepValue})`;
    // Row order inside DuckDB's tables is not needed from here on (timelines sort by file and row):
    // without it, writes run on every thread. CSV row indices come from row_number() over the
    // scan, which needs the files' order kept.
    if (t.format === 'parquet') await this.connection.run('SET preserve_insertion_order = false');
    if (o.conversion) {
      await this.connection.run(`CREATE TEMP TABLE conv AS SELECT u, i, max(t) AS mt FROM (${checked()}) WHERE reason IS NULL AND ${conv} GROUP BY u, i`);
    }
    await this.connection.run(
      `CREATE TABLE events AS SELECT x.u AS user_id, x.i AS item_id, x.t AS time, x.v AS value, NULLIF(x.imp, '') AS shown${ctx.replace(/c(\d+)/g, 'x.c$1')},
        ${o.conversion ? 'coalesce(conv.mt >= x.t, false)' : 'NULL::BOOLEAN'} AS converted, x.f, x.r
       FROM (SELECT * FROM (${checked()}) WHERE ${kept}) x ${o.conversion ? 'LEFT JOIN conv ON conv.u = x.u AND conv.i = x.i' : ''}`,
    );
    if (o.conversion) await this.connection.run('DROP TABLE conv');
    await this.connection.run('SET preserve_insertion_order = true');
    const min = o.minUserBehaviours ?? 2;
    await this.connection.run(`CREATE TABLE users AS SELECT user_id, count(*) AS n, min(f * 4294967296 + r) AS first FROM events GROUP BY user_id`);
    // Cut long users first, then drop the short ones: loadDataset's order (a user the cut leaves short is dropped).
    const cappedUsers = o.maxUserBehaviours !== undefined ? await this.capLongTimelines(o.maxUserBehaviours) : 0;
    const counts = (await this.all(`SELECT count(*) FILTER (WHERE n >= ${min}) AS kept_users, count(*) FILTER (WHERE n < ${min}) AS dropped, sum(n) FILTER (WHERE n >= ${min}) AS kept_rows FROM users`))[0];
    await this.connection.run(`DELETE FROM users WHERE n < ${min}`);
    const events = (performance.now() - c1) / 1000;
    log(`kept ${Number(counts.kept_rows ?? 0).toLocaleString('en-US')} behaviours of ${Number(counts.kept_users).toLocaleString('en-US')} users in ${events.toFixed(1)} s`);

    // Catalogue: items (categories, attribute columns) and users (attribute columns).
    const c2 = performance.now();
    const items = o.layout.items;
    const itemsReport = items ? await this.guard(items, () => this.readItems(items)) : undefined;
    if (o.category !== undefined && !o.layout.items) throw new Error(`--category ${o.category} names an items column, but ${o.layout.dir} has no items table`);
    if (o.itemColumns?.length && !o.layout.items) throw new Error(`feature columns ${o.itemColumns.join(', ')} name items columns, but ${o.layout.dir} has no items table`);
    if (o.userColumns?.length && !o.layout.users) throw new Error(`feature columns ${o.userColumns.join(', ')} name users columns, but ${o.layout.dir} has no users table`);
    const users = o.layout.users;
    const usersReport = users ? await this.guard(users, () => this.readUsers(users)) : undefined;
    const itemStats = (await this.all(`SELECT count(DISTINCT item_id) AS n FROM events WHERE user_id IN (SELECT user_id FROM users)`))[0];
    const keptItems = await this.column(`SELECT DISTINCT e.item_id FROM events e SEMI JOIN users u ON u.user_id = e.user_id`);
    let itemsWithoutCategory = 0;
    const categories = new Set<string>();
    for (const i of keptItems) {
      const category = this.itemCategory.get(String(i));
      if (category === undefined) itemsWithoutCategory++;
      else categories.add(category);
    }
    const catalogue = (performance.now() - c2) / 1000;
    const files = { interactions: t.path, ...(o.layout.items ? { items: o.layout.items.path } : {}), ...(o.layout.users ? { users: o.layout.users.path } : {}) };
    this.stats = {
      files,
      interactions: {
        ...report,
        kept: Number(counts.kept_rows ?? 0) + 0,
        eventTypes,
        filteredByType: sum('by_type'),
        filteredByValue: sum('by_value'),
        outOfOrder: 0,
        withImpressions: sum('impressions'),
        ...(o.conversion ? { conversionRows: sum('conversions') } : {}),
      },
      ...(itemsReport ? { items: itemsReport } : {}),
      ...(usersReport ? { users: usersReport } : {}),
      userCount: Number(counts.kept_users),
      itemCount: Number(itemStats.n),
      categories: categories.size,
      itemsWithoutCategory,
      droppedUsers: Number(counts.dropped),
      cappedUsers,
      seconds: { validate, events, catalogue },
    };
    // `kept`: the rows left in the events table (after the maxUserBehaviours cut; the rows of users
    // dropped as too short included, as the CSV reader counts every kept row).
    this.stats.interactions.kept = Number((await this.all(`SELECT count(*) AS n FROM events`))[0].n);
  }

  /**
   * recentBehaviours (behaviourLog.ts) in SQL: a user over `max` keeps the rows strictly after its
   * (max+1)-th most recent time. The window sorts only those users' rows; `first` (the user order
   * of the CSV reader) is left as it was, since cutting a timeline does not move its user. A user
   * left with no row keeps n = 0 and is dropped by the minUserBehaviours filter that follows.
   */
  private async capLongTimelines(max: number): Promise<number> {
    const heavy = Number((await this.all(`SELECT count(*) AS n FROM users WHERE n > ${max}`))[0].n);
    if (heavy === 0) return 0;
    await this.connection.run(
      `CREATE TEMP TABLE cut AS SELECT user_id, time AS t FROM (
         SELECT e.user_id, e.time, row_number() OVER (PARTITION BY e.user_id ORDER BY e.time DESC) AS k
         FROM events e SEMI JOIN (SELECT user_id FROM users WHERE n > ${max}) h ON h.user_id = e.user_id
       ) WHERE k = ${max + 1}`,
    );
    await this.connection.run('DELETE FROM events e USING cut WHERE e.user_id = cut.user_id AND e.time <= cut.t');
    await this.connection.run(
      // Counted over the cut users' rows only (a correlated count would aggregate every row of the log).
      `UPDATE users SET n = coalesce(c.n, 0) FROM cut LEFT JOIN (SELECT e.user_id, count(*) AS n FROM events e SEMI JOIN cut k ON k.user_id = e.user_id GROUP BY e.user_id) c ON c.user_id = cut.user_id
       WHERE users.user_id = cut.user_id`,
    );
    await this.connection.run('DROP TABLE cut');
    this.options.log?.(`${heavy.toLocaleString('en-US')} user${heavy > 1 ? 's' : ''} over ${max.toLocaleString('en-US')} behaviours cut to their most recent (maxUserBehaviours)`);
    return heavy;
  }

  private async column(sql: string): Promise<string[]> {
    const out: string[] = [];
    for await (const cols of this.chunks(sql)) for (const v of cols[0]) out.push(String(v));
    return out;
  }

  /** A query's result chunk by chunk, as columns (≈ 2048 rows each), on `connection` (default the engine's). */
  async *chunks(sql: string, connection: DuckDBConnection = this.connection): AsyncGenerator<DuckDBValue[][]> {
    const result = await connection.stream(sql);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) return;
      yield chunk.getColumns();
    }
  }

  /** The items table: each item's category (first value of the category column; the first row of an item wins) and attribute columns. */
  private async readItems(t: LayoutTable): Promise<NonNullable<PersonalizeReadStats['items']>> {
    const o = this.options;
    const cols = await this.columnsOf(t);
    const item = this.requireId(cols, t, 'ITEM_ID');
    const guessed = o.category === undefined;
    const category = o.category !== undefined ? this.require(cols, t, o.category, 'named by --category / the dataset config') : await this.guessCategory(t, cols, item);
    const attributes = (o.itemColumns ?? []).map((name) => ({ key: name.toUpperCase(), col: this.require(cols, t, name, 'an item feature column of the dataset config') }));
    const at = (c: Columns, col: Column) => c.get(col.name.toUpperCase().trim());
    const select = (c: Columns) => [`${text(at(c, item))} AS id`, `${category ? text(at(c, category)) : `''`} AS cat`, ...attributes.map((a, k) => `${text(at(c, a.col))} AS a${k}`)].join(', ');
    const checked = (rejects?: string) => `SELECT *, CASE WHEN id = '' THEN 'ITEM_ID is empty' END AS reason FROM (${fileSources(t, select, cols, rejects)})`;
    const counts = (await this.all(`SELECT count(*) AS rows, count(reason) AS malformed FROM (${checked('rej_it')})`))[0];
    const report = await this.tableReport(t, checked(), await this.rejects(t, 'rej_it'), Number(counts.rows), Number(counts.malformed));
    if (attributes.length > 0) this.itemAttributes = new Map();
    // First row per item (file order), then the category's first pipe-separated value.
    const firstRows = `SELECT id, arg_min(cat, f * 4294967296 + r) AS cat${attributes.map((_, k) => `, arg_min(a${k}, f * 4294967296 + r) AS a${k}`).join('')} FROM (${checked()}) WHERE reason IS NULL GROUP BY id`;
    for await (const c of this.chunks(firstRows)) {
      for (let row = 0; row < c[0].length; row++) {
        const id = String(c[0][row]);
        const cat = String(c[1][row]).split('|')[0].trim();
        if (category && cat !== '') this.itemCategory.set(id, cat);
        if (this.itemAttributes) this.itemAttributes.set(id, Object.fromEntries(attributes.map((a, k) => [a.key, String(c[2 + k][row])])));
      }
    }
    return { ...report, ...(category ? { categoryColumn: category.name } : {}), categoryColumnGuessed: guessed };
  }

  /** personalize.ts's guessCategoryColumn by SQL: the first column (header order, ITEM_ID skipped) with a non-numeric value and at most half its non-empty values distinct. */
  private async guessCategory(t: LayoutTable, cols: Schema, item: Column): Promise<Column | undefined> {
    // Columns every shard has (a column missing from a shard is no category).
    const key = (c: Column) => c.name.toUpperCase().trim();
    const candidates = [...cols.first.values()].filter((c) => c.name !== item.name && cols.files.every((f) => f.has(key(c))));
    if (candidates.length === 0) return undefined;
    const first = (c: Column | undefined) => jsTrim(`split_part(${text(c)}, '|', 1)`);
    const select = (c: Columns) => candidates.map((x, k) => `${first(c.get(key(x)))} AS g${k}`).join(', ');
    const aggregates = candidates
      .map((_, k) => `count(*) FILTER (WHERE g${k} <> '') AS n${k}, count(DISTINCT g${k}) FILTER (WHERE g${k} <> '') AS d${k}, bool_or(g${k} <> '' AND NOT coalesce(isfinite(TRY_CAST(g${k} AS DOUBLE)), false)) AS s${k}`)
      .join(', ');
    const r = (await this.all(`SELECT ${aggregates} FROM (${fileSources(t, select, cols)})`))[0];
    return candidates.find((_, k) => r[`s${k}`] === true && Number(r[`n${k}`]) > 0 && Number(r[`d${k}`]) <= Number(r[`n${k}`]) / 2);
  }

  private async readUsers(t: LayoutTable): Promise<MalformedReport> {
    const o = this.options;
    const cols = await this.columnsOf(t);
    const user = this.requireId(cols, t, 'USER_ID');
    const attributes = (o.userColumns ?? []).map((name) => ({ key: name.toUpperCase(), col: this.require(cols, t, name, 'a user feature column of the dataset config') }));
    const at = (c: Columns, col: Column) => c.get(col.name.toUpperCase().trim());
    const select = (c: Columns) => [`${text(at(c, user))} AS id`, ...attributes.map((a, k) => `${text(at(c, a.col))} AS a${k}`)].join(', ');
    const checked = (rejects?: string) => `SELECT *, CASE WHEN id = '' THEN 'USER_ID is empty' END AS reason FROM (${fileSources(t, select, cols, rejects)})`;
    const counts = (await this.all(`SELECT count(*) AS rows, count(reason) AS malformed FROM (${checked('rej_us')})`))[0];
    const report = await this.tableReport(t, checked(), await this.rejects(t, 'rej_us'), Number(counts.rows), Number(counts.malformed));
    if (attributes.length > 0) {
      this.userAttributes = new Map();
      const firstRows = `SELECT id${attributes.map((_, k) => `, arg_min(a${k}, f * 4294967296 + r) AS a${k}`).join('')} FROM (${checked()}) WHERE reason IS NULL GROUP BY id`;
      for await (const c of this.chunks(firstRows)) {
        for (let row = 0; row < c[0].length; row++) this.userAttributes.set(String(c[0][row]), Object.fromEntries(attributes.map((a, k) => [a.key, String(c[1 + k][row])])));
      }
    }
    return report;
  }

  /**
   * Marks each kept user test / validation by the hashes of sample.ts (`user-split:`) and
   * pipeline.ts (`user-validation:`), computed by DuckDB's sha256.
   */
  async configureSplit(split: UserSplitRule, validationFraction = 0): Promise<{ train: number; test: number; validation: number }> {
    const test =
      split.assign === 'hash'
        ? `${hashU32('user-split:')} < ${Math.round(split.testFraction * 2 ** 32)}`
        : `TRY_CAST(user_id AS BIGINT) % ${split.modulus} = 0`;
    if (split.assign === 'modulo') {
      const bad = await this.all(`SELECT user_id FROM users WHERE TRY_CAST(user_id AS BIGINT) IS NULL LIMIT 1`);
      if (bad.length > 0) throw new Error(`the modulo user split needs numeric user ids, got "${String(bad[0].user_id)}": use split.assign "hash"`);
    }
    const validation = validationFraction > 0 ? `${hashU32('user-validation:')} < ${Math.round(validationFraction * 2 ** 32)}` : 'false';
    await this.connection.run(`CREATE OR REPLACE TABLE split AS SELECT user_id, (${test}) AS test, (${validation}) AS validation FROM users`);
    this.splitReady = true;
    const r = (await this.all(`SELECT count(*) FILTER (WHERE NOT test) AS train, count(*) FILTER (WHERE test) AS test, count(*) FILTER (WHERE NOT test AND validation) AS validation FROM split`))[0];
    return { train: Number(r.train), test: Number(r.test), validation: Number(r.validation) };
  }

  private selected(selection: UserSelection): string {
    if (selection === 'all') return 'true';
    if (!this.splitReady) throw new Error('PersonalizeEngine: configureSplit before streaming a split');
    return { train: 'NOT s.test', test: 's.test', fit: 'NOT s.test AND NOT s.validation', validation: 'NOT s.test AND s.validation' }[selection];
  }

  /** Kept behaviours per item over the selected users (the vocabulary's counts), items in id order. */
  async itemCounts(selection: UserSelection): Promise<Map<string, number>> {
    const join = selection === 'all' ? 'JOIN users s USING (user_id)' : 'JOIN split s USING (user_id)';
    const counts = new Map<string, number>();
    for await (const c of this.chunks(`SELECT e.item_id, count(*) AS n FROM events e ${join} WHERE ${this.selected(selection)} GROUP BY e.item_id ORDER BY e.item_id`)) {
      for (let row = 0; row < c[0].length; row++) counts.set(String(c[0][row]), Number(c[1][row]));
    }
    return counts;
  }

  /** Kept users and behaviours of a selection (from the users table: no scan of the rows). */
  async size(selection: UserSelection): Promise<{ users: number; behaviours: number }> {
    const from = selection === 'all' ? 'users u' : 'users u JOIN split s USING (user_id)';
    const r = (await this.all(`SELECT count(*) AS users, coalesce(sum(u.n), 0) AS behaviours FROM ${from} WHERE ${this.selected(selection)}`))[0];
    return { users: Number(r.users), behaviours: Number(r.behaviours) };
  }

  /**
   * The selected users' timelines, one user at a time, in `order`: rows come out of DuckDB sorted
   * by (user rank, file, row) — a sort that spills past the memory limit — and each user's rows
   * are sorted by compareBehaviours in JS (stable: file order breaks ties, as the CSV reader's).
   * `maxUsers`: the first users of the order only. Runs on its own connection.
   */
  async *timelines(selection: UserSelection, order: UserOrder, maxUsers?: number): AsyncGenerator<[string, Behaviour[]]> {
    const connection = await this.db.connect();
    const rank = `rank_${Math.random().toString(36).slice(2, 10)}`;
    try {
      const key = order.by === 'first' ? 'u.first' : `('0x' || substr(md5(${q(`${order.key}:`)} || u.user_id), 1, 15))::UBIGINT`;
      const from = selection === 'all' ? 'users u' : `users u JOIN split s USING (user_id)`;
      await connection.run(
        `CREATE TEMP TABLE ${rank} AS SELECT user_id, row_number() OVER (ORDER BY ${key}, u.user_id) AS o FROM ${from} WHERE ${this.selected(selection)}${maxUsers !== undefined ? ` QUALIFY o <= ${maxUsers}` : ''}`,
      );
      const ctx = this.contextColumns.map((_, k) => `, e.c${k}`).join('');
      const sql = `SELECT k.o, e.user_id, e.item_id, e.time, e.value, e.shown, e.converted${ctx} FROM events e JOIN ${rank} k USING (user_id) ORDER BY k.o, e.f, e.r`;
      const contexts = new Map<string, RawAttributes>();
      let current: bigint | undefined;
      let user = '';
      let timeline: Behaviour[] = [];
      for await (const c of this.chunks(sql, connection)) {
        const [o, users, items, times, values, shown, converted] = c;
        for (let row = 0; row < o.length; row++) {
          const rank = o[row] as bigint;
          if (rank !== current) {
            if (current !== undefined) yield [user, timeline.sort(compareBehaviours)];
            current = rank;
            user = String(users[row]);
            timeline = [];
          }
          const v = values[row];
          const b: Behaviour = { item: String(items[row]), time: Number(times[row]), value: v === null ? undefined : Number(v) };
          const s = shown[row];
          if (s !== null) {
            const list = String(s).split('|').map((x) => x.trim()).filter((x) => x !== '');
            if (list.length > 0) b.shown = list;
          }
          if (this.contextColumns.length > 0) {
            const texts = this.contextColumns.map((_, k) => String(c[7 + k][row]));
            const k = texts.join('\u0000');
            let shared = contexts.get(k);
            if (!shared) contexts.set(k, (shared = Object.freeze(Object.fromEntries(this.contextColumns.map((name, j) => [name, texts[j]])))));
            b.context = shared;
          }
          if (this.hasConversions) b.converted = converted[row] === true;
          timeline.push(b);
        }
      }
      if (current !== undefined) yield [user, timeline.sort(compareBehaviours)];
    } catch (err) {
      // A spill that fills the disk, a file changed under a long run: one line, not DuckDB's SQL.
      throw engineError(err, `${this.options.layout.dir} (streaming timelines)`);
    } finally {
      try {
        await connection.run(`DROP TABLE IF EXISTS ${rank}`);
      } finally {
        connection.closeSync();
      }
    }
  }
}

/** The items table's TITLE (or NAME) column by item (the first row wins), for reports: personalize.ts's readItemTitles for Parquet and shards. */
export async function readItemTitlesWithEngine(layout: PersonalizeLayout): Promise<Map<string, string>> {
  const titles = new Map<string, string>();
  const t = layout.items;
  if (!t) return titles;
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const cols = await schemaOf(c, t);
    const titleKey = cols.first.has('TITLE') ? 'TITLE' : 'NAME';
    if (!cols.first.has('ITEM_ID') || !cols.first.has(titleKey)) return titles;
    const sql = `SELECT id, arg_min(title, f * 4294967296 + r) AS title FROM (${fileSources(t, (c) => `${text(c.get('ITEM_ID'))} AS id, ${text(c.get(titleKey))} AS title`, cols)}) WHERE id <> '' GROUP BY id`;
    for (const row of (await c.runAndReadAll(sql)).getRows()) titles.set(String(row[0]), String(row[1]));
    return titles;
  } catch (err) {
    throw engineError(err, t.path);
  } finally {
    c.closeSync();
    db.closeSync();
  }
}
