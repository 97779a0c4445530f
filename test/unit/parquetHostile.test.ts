/**
 * Hostile and sloppy warehouse exports through the out-of-core engine (personalizeLayout.ts,
 * data/duckdb/personalizeEngine.ts): each either reads correctly — the CSV reader's counts on the
 * same data where there is a CSV twin — or fails with one line naming the file and the problem,
 * never DuckDB's error with its SQL, and leaves no temporary directory behind.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import seedrandom from 'seedrandom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Behaviour } from '../../model-export/data/behaviourLog.js';
import { readPersonalize } from '../../model-export/data/personalize.js';
import { personalizeLayout } from '../../model-export/data/personalizeLayout.js';
import type { DatasetConfig } from '../../model-export/sources/datasetConfig.js';
import { openStreamedDataset, type StreamedDataset } from '../../model-export/sources/personalizeStream.js';
import { prepareStreamed } from '../../model-export/train/streamedData.js';

const root = mkdtempSync(join(tmpdir(), 'parquet-hostile-'));
const spill = join(root, 'spill');
const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
let db: DuckDBInstance;
let c: DuckDBConnection;

beforeAll(async () => {
  mkdirSync(spill);
  db = await DuckDBInstance.create(':memory:');
  c = await db.connect();
});
afterAll(() => {
  c.closeSync();
  db.closeSync();
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
const fresh = (name: string) => {
  const dir = join(root, `${name}-${n++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};
async function parquet(file: string, sql: string, options = ''): Promise<void> {
  mkdirSync(join(file, '..'), { recursive: true });
  await c.run(`COPY (${sql}) TO ${q(file)} (FORMAT parquet${options})`);
}
/** 400 rows: 20 users × 20 rows, 30 items, seconds. */
const rows = (extra = '', n = 400) => `SELECT 'u' || (i % 20) AS USER_ID, 'i' || (i % 30) AS ITEM_ID, 1700000000 + i AS TIMESTAMP${extra} FROM range(${n}) r(i)`;
const open = (data: string, more: Partial<DatasetConfig> = {}) => openStreamedDataset({ source: 'personalize', data, ...more }, { tempDir: spill });

/** The run's failure: one line naming `file`, no DuckDB SQL, no temporary directory left. */
async function fails(data: string, message: RegExp, more: Partial<DatasetConfig> = {}): Promise<string> {
  let error: Error | undefined;
  try {
    (await open(data, more)).engine.close();
  } catch (err) {
    error = err as Error;
  }
  expect(error, 'the read should fail').toBeDefined();
  expect(error!.message).toMatch(message);
  expect(error!.message).not.toMatch(/\n|LINE \d|read_parquet\(|read_csv\(/);
  expect(readdirSync(spill)).toEqual([]);
  return error!.message;
}

async function reads<T>(data: string, check: (d: StreamedDataset) => Promise<T> | T, more: Partial<DatasetConfig> = {}): Promise<T> {
  const d = await open(data, more);
  try {
    return await check(d);
  } finally {
    d.engine.close();
    expect(readdirSync(spill)).toEqual([]);
  }
}

async function timelines(d: StreamedDataset): Promise<Map<string, Behaviour[]>> {
  const out = new Map<string, Behaviour[]>();
  for await (const [user, timeline] of d.engine.timelines('all', { by: 'first' })) out.set(user, timeline);
  return out;
}

describe('hostile Parquet and shard layouts', () => {
  it('a truncated shard, a zero-byte shard and a CSV named .parquet are refused by name before DuckDB reads them', async () => {
    const dir = fresh('truncated');
    await parquet(join(dir, 'interactions', 'part-0.parquet'), rows());
    await parquet(join(dir, 'interactions', 'part-1.parquet'), rows());
    truncateSync(join(dir, 'interactions', 'part-1.parquet'), 300);
    await fails(dir, /interactions\/part-1\.parquet: truncated Parquet file \(no PAR1 magic at its end, 300 bytes\)/);
    writeFileSync(join(dir, 'interactions', 'part-1.parquet'), '');
    await fails(dir, /interactions\/part-1\.parquet: empty file \(0 bytes\), not Parquet/);
    const text = fresh('text');
    writeFileSync(join(text, 'interactions.parquet'), 'USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1700000000\n');
    await fails(text, /interactions\.parquet: not a Parquet file \(.*CSV\? name it \.csv\)/);
  });

  it('a Parquet file named .csv is refused; gzip is told by its bytes, not its name (as the CSV reader does)', async () => {
    const dir = fresh('misnamed');
    await parquet(join(dir, 'x.parquet'), rows());
    mkdirSync(join(dir, 'interactions'));
    copyFileSync(join(dir, 'x.parquet'), join(dir, 'interactions', 'part-0.csv'));
    rmSync(join(dir, 'x.parquet'));
    await fails(dir, /interactions\/part-0\.csv: a Parquet file named like CSV: rename it \.parquet/);
    const gz = fresh('gzip');
    const body = (from: number) => ['USER_ID,ITEM_ID,TIMESTAMP', ...Array.from({ length: 50 }, (_, k) => `u${(from + k) % 5},i${k % 7},${1700000000 + from + k}`)].join('\n') + '\n';
    mkdirSync(join(gz, 'interactions'));
    writeFileSync(join(gz, 'interactions', 'part-0.csv'), gzipSync(body(0))); // gzip, named .csv
    writeFileSync(join(gz, 'interactions', 'part-1.csv.gz'), body(50)); // plain, named .csv.gz
    const single = fresh('single');
    writeFileSync(join(single, 'interactions.csv'), body(0) + body(50).split('\n').slice(1).join('\n'));
    const memory = await readPersonalize({ dir: single, progress: false });
    await reads(gz, async (d) => {
      expect(d.stats.interactions).toMatchObject({ lines: 100, malformed: 0, kept: memory.stats.interactions.kept });
      expect(await timelines(d)).toEqual(memory.log.timelines);
    });
  });

  it('a gzip CSV shard cut short past its header stops the run by name (DuckDB alone reads it as far as it goes, silently)', async () => {
    const dir = fresh('gzip-cut');
    mkdirSync(join(dir, 'interactions'));
    const lines = Array.from({ length: 200_000 }, (_, k) => `u${k % 500},i${(k * 2654435761) % 1_000_003},${1700000000 + k}`);
    const gz = gzipSync(['USER_ID,ITEM_ID,TIMESTAMP', ...lines].join('\n') + '\n');
    expect(gz.length).toBeGreaterThan(2 ** 20); // past the reader's first chunk: the header reads fine
    writeFileSync(join(dir, 'interactions', 'part-0.csv.gz'), gzipSync('USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1700000000\nu1,i2,1700000001\n'));
    writeFileSync(join(dir, 'interactions', 'part-1.csv.gz'), gz.subarray(0, gz.length - 100_000));
    await fails(dir, /interactions\/part-1\.csv\.gz: cannot be read \(unexpected end of file\): a truncated or corrupt gzip file\? Re-export it/);
    writeFileSync(join(dir, 'interactions', 'part-1.csv.gz'), gz.subarray(0, 10));
    await fails(dir, /interactions\/part-1\.csv\.gz: cannot be read \(unexpected end of file\)/);
  });

  it('a zero-byte CSV shard (an empty partition) is skipped; an all-empty directory and an empty directory are refused', async () => {
    const dir = fresh('zero-csv');
    mkdirSync(join(dir, 'interactions'));
    writeFileSync(join(dir, 'interactions', 'part-0.csv'), '');
    writeFileSync(join(dir, 'interactions', 'part-1.csv'), 'USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1700000000\nu1,i2,1700000001\n');
    writeFileSync(join(dir, 'interactions', 'part-2.csv'), '');
    expect(personalizeLayout(dir).interactions.files.map((f) => f.split('/').pop())).toEqual(['part-1.csv']);
    await reads(dir, (d) => expect(d.stats.interactions).toMatchObject({ lines: 2, malformed: 0, kept: 2 }));
    rmSync(join(dir, 'interactions', 'part-1.csv'));
    expect(() => personalizeLayout(dir)).toThrow(/interactions: every shard of the interactions directory is empty \(0 bytes\)/);
    rmSync(join(dir, 'interactions'), { recursive: true });
    mkdirSync(join(dir, 'interactions'));
    expect(() => personalizeLayout(dir)).toThrow(/interactions: no \*\.parquet, \*\.csv or \*\.csv\.gz shard in the interactions directory/);
  });

  it('Spark’s layout: interactions.parquet/ and items.csv/ as directories of part files, _SUCCESS and .crc beside them', async () => {
    const dir = fresh('spark');
    await parquet(join(dir, 'interactions.parquet', 'part-00000-3f2a-c000.snappy.parquet'), rows('', 200));
    await parquet(join(dir, 'interactions.parquet', 'part-00001-3f2a-c000.snappy.parquet'), rows('', 400));
    writeFileSync(join(dir, 'interactions.parquet', '_SUCCESS'), '');
    writeFileSync(join(dir, 'interactions.parquet', '.part-00000-3f2a-c000.snappy.parquet.crc'), 'crc');
    mkdirSync(join(dir, 'items.csv'));
    writeFileSync(join(dir, 'items.csv', 'part-00000.csv'), 'ITEM_ID,GENRE\n' + Array.from({ length: 30 }, (_, k) => `i${k},g${k % 3}`).join('\n') + '\n');
    const layout = personalizeLayout(dir);
    expect(layout.interactions).toMatchObject({ format: 'parquet', sharded: true });
    expect(layout.items).toMatchObject({ format: 'csv', sharded: true });
    await reads(dir, (d) => {
      expect(d.stats.interactions).toMatchObject({ lines: 600, malformed: 0 });
      expect(d.stats.items).toMatchObject({ lines: 30, categoryColumn: 'GENRE' });
    });
  });

  it('Hive partitions (Spark’s partitionBy) are read in natural order, reports naming the partition', async () => {
    const dir = fresh('hive');
    const part = (day: number, from: number) => `SELECT 'u' || (i % 5) AS USER_ID, 'i' || (i % 9) AS ITEM_ID, CASE WHEN i = ${from} + 3 THEN 'soon' ELSE CAST(1700000000 + i AS VARCHAR) END AS TIMESTAMP FROM range(${from}, ${from + 100}) r(i)`;
    await parquet(join(dir, 'interactions', 'date=2024-01-10', 'part-00000.parquet'), part(10, 200));
    await parquet(join(dir, 'interactions', 'date=2024-01-2', 'part-00000.parquet'), part(2, 0));
    await parquet(join(dir, 'interactions', 'date=2024-01-2', 'part-00001.parquet'), part(2, 100));
    writeFileSync(join(dir, 'interactions', 'date=2024-01-2', '_SUCCESS'), '');
    expect(personalizeLayout(dir).interactions.files.map((f) => f.split('/interactions/')[1])).toEqual(['date=2024-01-2/part-00000.parquet', 'date=2024-01-2/part-00001.parquet', 'date=2024-01-10/part-00000.parquet']);
    await reads(
      dir,
      (d) => {
        expect(d.stats.interactions).toMatchObject({ lines: 300, malformed: 3, kept: 297 });
        expect(d.stats.interactions.examples.map((e) => e.where)).toEqual(['date=2024-01-2/part-00000.parquet:row 4 (row group 0)', 'date=2024-01-2/part-00001.parquet:row 4 (row group 0)', 'date=2024-01-10/part-00000.parquet:row 4 (row group 0)']);
      },
      { maxMalformedFraction: 0.05 },
    );
    symlinkSync(join(dir, 'interactions'), join(dir, 'interactions', 'date=loop'));
    await fails(dir, /interactions\/date=loop: a symbolic link loop \(this directory is reached twice\)/);
  });

  it('a subdirectory that is not a Hive partition, a stray file, a directory named like a shard and a symlink loop are refused by name; _SUCCESS and .crc are ignored', async () => {
    const dir = fresh('nested');
    await parquet(join(dir, 'interactions', 'part-0.parquet'), rows());
    writeFileSync(join(dir, 'interactions', '_SUCCESS'), '');
    writeFileSync(join(dir, 'interactions', '.part-0.parquet.crc'), 'crc');
    await reads(dir, (d) => expect(d.stats.interactions).toMatchObject({ lines: 400, kept: 400 }));
    await parquet(join(dir, 'interactions', 'backup', 'part-0.parquet'), rows());
    await fails(dir, /interactions\/backup: a subdirectory in the interactions directory that is not a Hive partition \(key=value\)/);
    rmSync(join(dir, 'interactions', 'backup'), { recursive: true });
    writeFileSync(join(dir, 'interactions', '000000_0'), 'x');
    await fails(dir, /interactions\/000000_0: not a \*\.parquet, \*\.csv or \*\.csv\.gz shard/);
    rmSync(join(dir, 'interactions', '000000_0'));
    symlinkSync(join(dir, 'interactions', 'loop.parquet'), join(dir, 'interactions', 'loop.parquet'));
    await fails(dir, /interactions\/loop\.parquet: a symbolic link loop/);
    const loop = fresh('loop');
    symlinkSync(join(loop, 'interactions'), join(loop, 'interactions'));
    await fails(loop, /interactions: a symbolic link loop/);
  });

  it('shards must agree on the layout columns: a missing TIMESTAMP or an EVENT_TYPE only some shards have is named', async () => {
    const dir = fresh('schema');
    await parquet(join(dir, 'interactions', 'part-0.parquet'), rows());
    await parquet(join(dir, 'interactions', 'part-1.parquet'), `SELECT 'u1' AS USER_ID, 'i1' AS ITEM_ID`);
    await fails(dir, /interactions\/part-1\.parquet: no TIMESTAMP column, which part-0\.parquet has: a table's shards need the same columns \(the header has USER_ID, ITEM_ID\)/);
    await parquet(join(dir, 'interactions', 'part-1.parquet'), rows(`, 'click' AS EVENT_TYPE`));
    await fails(dir, /interactions\/part-0\.parquet: no EVENT_TYPE column, which part-1\.parquet has/);
    // An extra column that is not the layout's is ignored.
    await parquet(join(dir, 'interactions', 'part-1.parquet'), rows(`, 'phone' AS DEVICE`));
    await reads(dir, (d) => expect(d.stats.interactions).toMatchObject({ lines: 800, malformed: 0, kept: 800 }));
  });

  it('each shard keeps its own types: TIMESTAMP BIGINT, TIMESTAMP, DATE, text; USER_ID int and string; lower-case names', async () => {
    const dir = fresh('types');
    const t = (expr: string, k: number) => `SELECT ${k} AS user_id, 'i' || i AS Item_Id, ${expr} AS "timestamp" FROM range(3) r(i)`;
    await parquet(join(dir, 'Interactions', 'part-0.parquet'), t('1700000000 + i', 1));
    await parquet(join(dir, 'Interactions', 'part-1.parquet'), `SELECT '2' AS USER_ID, 'i' || i AS ITEM_ID, to_timestamp(1700000000 + i)::TIMESTAMP AS TIMESTAMP FROM range(3) r(i)`);
    await parquet(join(dir, 'Interactions', 'part-2.parquet'), t(`DATE '2023-11-14' + i::INT`, 3));
    await parquet(join(dir, 'Interactions', 'part-3.parquet'), t(`CASE WHEN i = 1 THEN 'yesterday' ELSE CAST(1700000000 + i AS VARCHAR) END`, 4));
    await reads(dir, async (d) => {
      expect(d.stats.interactions).toMatchObject({ lines: 12, malformed: 1, kept: 11 });
      expect(d.malformed.first).toBe('part-3.parquet:row 2 (row group 0): TIMESTAMP "yesterday" is not Unix seconds');
      const all = await timelines(d);
      expect([...all.keys()]).toEqual(['1', '2', '3', '4']);
      expect(all.get('2')!.map((b) => b.time)).toEqual([1700000000, 1700000001, 1700000002]);
      expect(all.get('3')!.map((b) => b.time)).toEqual([1699920000, 1700006400, 1700092800]);
    }, { maxMalformedFraction: 0.1 });
  });

  it('negative and NULL TIMESTAMPs, milliseconds, NULL ids, NaN and Infinity EVENT_VALUEs are counted as the CSV reader counts them', async () => {
    const dir = fresh('values');
    await parquet(
      join(dir, 'interactions.parquet'),
      `SELECT CASE WHEN i = 7 THEN NULL ELSE 'u' || (i % 20) END AS USER_ID, CASE WHEN i = 8 THEN NULL ELSE 'i' || (i % 30) END AS ITEM_ID,
        CASE WHEN i = 1 THEN -1 WHEN i = 2 THEN NULL WHEN i = 3 THEN 1700000000000 ELSE 1700000000 + i END AS TIMESTAMP,
        CASE WHEN i = 4 THEN 'nan'::DOUBLE WHEN i = 5 THEN 'inf'::DOUBLE WHEN i = 6 THEN NULL ELSE 1.5 END AS EVENT_VALUE FROM range(1000) r(i)`,
    );
    const reasons = await reads(dir, (d) => {
      expect(d.stats.interactions).toMatchObject({ lines: 1000, malformed: 7, kept: 993 });
      return d.stats.interactions.examples.map((e) => `${e.where}: ${e.reason}`);
    });
    expect(reasons).toEqual([
      'interactions.parquet:row 2 (row group 0): TIMESTAMP "-1" is not Unix seconds',
      'interactions.parquet:row 3 (row group 0): TIMESTAMP "" is not Unix seconds',
      'interactions.parquet:row 4 (row group 0): TIMESTAMP 1700000000000 is after the year 2286: milliseconds? The layout wants seconds',
      'interactions.parquet:row 5 (row group 0): EVENT_VALUE "nan" is not a number',
      'interactions.parquet:row 6 (row group 0): EVENT_VALUE "inf" is not a number',
    ]);
  });

  it('every row malformed stops the read (no training on nothing); an event type the data lacks is named with the types it has', async () => {
    const dir = fresh('all-bad');
    await parquet(join(dir, 'interactions.parquet'), `SELECT 'u' AS USER_ID, 'i' AS ITEM_ID, 'soon' AS TIMESTAMP FROM range(300) r(i)`);
    await fails(dir, /interactions\.parquet: 300 of 300 rows are malformed \(more than 1 % allowed\) — first: interactions\.parquet:row 1 \(row group 0\): TIMESTAMP "soon" is not Unix seconds/);
    await fails(dir, /every row is malformed/, { maxMalformedFraction: 1 });
    const types = fresh('types');
    await parquet(join(types, 'interactions.parquet'), rows(`, CASE WHEN i % 4 = 0 THEN 'purchase' ELSE 'view' END AS EVENT_TYPE`));
    await fails(types, /no row has EVENT_TYPE "click" \(positive\.eventTypes\); the data has "view" 300, "purchase" 100/, { positive: { eventTypes: ['click'] } });
  });

  it('a column twice (USER_ID and user_id) in a CSV shard is refused, as the CSV reader refuses it', async () => {
    // (DuckDB cannot write such a Parquet file: its names are case-insensitive; the engine refuses one all the same.)
    const csv = fresh('twice-csv');
    mkdirSync(join(csv, 'interactions'));
    writeFileSync(join(csv, 'interactions', 'part-0.csv'), 'USER_ID,user_id,ITEM_ID,TIMESTAMP\nu1,x1,i1,1700000000\n');
    await fails(csv, /interactions\/part-0\.csv: column user_id appears twice in the header/);
  });

  it('an event type the config names that no row has is logged; a conversion filter no row matches stops the run', async () => {
    const dir = fresh('typo');
    await parquet(join(dir, 'interactions.parquet'), rows(`, CASE WHEN i % 4 = 0 THEN 'purchase' ELSE 'click' END AS EVENT_TYPE`));
    const log: string[] = [];
    const d = await openStreamedDataset({ source: 'personalize', data: dir, positive: { eventTypes: ['click', 'purchse'] } }, { tempDir: spill, log: (l) => log.push(l) });
    d.engine.close();
    expect(log).toContain('warning: positive.eventTypes "purchse": no row has this event type; the data has "click", "purchase"');
    await fails(dir, /no row matches the dataset config's conversion filter \(EVENT_TYPE "purchse"; the data has "click", "purchase"\): every conversion label would be 0/, { conversion: { eventTypes: ['purchse'] } });
  });

  it('ids with commas, quotes, newlines and unicode come through as written', async () => {
    const dir = fresh('ids');
    const ids = ['a,b', 'say "hi"', 'line\nbreak', 'naïve 🙂', ' padded '];
    await parquet(join(dir, 'interactions.parquet'), `SELECT ([${ids.map(q).join(', ')}])[1 + (i % 5)] AS USER_ID, 'i' || i AS ITEM_ID, 1700000000 + i AS TIMESTAMP FROM range(20) r(i)`);
    await reads(dir, async (d) => {
      const all = await timelines(d);
      // Trimmed, as the CSV reader trims a field.
      expect([...all.keys()].sort()).toEqual(ids.map((s) => s.trim()).sort());
      expect([...all.values()].every((t) => t.length === 4)).toBe(true);
    });
  });

  it('strings stored as BLOB (Parquet without the UTF8 annotation: Hive, older Spark) are decoded, not escaped', async () => {
    const dir = fresh('blob');
    await parquet(join(dir, 'interactions.parquet'), `SELECT encode('é' || (i % 2)) AS USER_ID, encode('ß' || i) AS ITEM_ID, 1700000000 + i AS TIMESTAMP, CASE WHEN i = 3 THEN encode('x') ELSE encode('1.5') END AS EVENT_VALUE FROM range(10) r(i)`);
    await reads(
      dir,
      async (d) => {
        const all = await timelines(d);
        expect([...all.keys()]).toEqual(['é0', 'é1']);
        expect(all.get('é1')!.map((b) => [b.item, b.value])).toEqual(['ß1', 'ß3', 'ß5', 'ß7', 'ß9'].map((item) => [item, item === 'ß3' ? undefined : 1.5]).filter(([item]) => item !== 'ß3'));
        expect(d.malformed.first).toBe('interactions.parquet:row 4 (row group 0): EVENT_VALUE "x" is not a number');
      },
      { maxMalformedFraction: 0.2 },
    );
  });

  it('IMPRESSION and item categories stored as Parquet lists are read as the layout’s pipe-separated values', async () => {
    const dir = fresh('lists');
    await parquet(
      join(dir, 'interactions.parquet'),
      `SELECT 'u' || (i % 2) AS USER_ID, 'i' || i AS ITEM_ID, 1700000000 + i AS TIMESTAMP, CASE WHEN i = 0 THEN ['i0', 'i7', 'i8'] WHEN i = 1 THEN []::VARCHAR[] WHEN i = 2 THEN NULL ELSE ['i' || i, 'i9'] END AS IMPRESSION FROM range(6) r(i)`,
    );
    await parquet(join(dir, 'items.parquet'), `SELECT 'i' || i AS ITEM_ID, CASE WHEN i % 2 = 0 THEN ['Drama', 'Comedy'] ELSE ['Action'] END AS GENRES FROM range(10) r(i)`);
    await reads(dir, async (d) => {
      const all = await timelines(d);
      expect(all.get('u0')!.map((b) => b.shown)).toEqual([['i0', 'i7', 'i8'], undefined, ['i4', 'i9']]);
      expect(all.get('u1')!.map((b) => b.shown)).toEqual([undefined, ['i3', 'i9'], ['i5', 'i9']]);
      expect(d.stats.interactions.withImpressions).toBe(4);
      expect(d.engine.itemCategory.get('i4')).toBe('Drama');
      expect(d.engine.itemCategory.get('i5')).toBe('Action');
    });
  });

  it('integer ids written as float64 (pandas, a column with a NULL) are the same ids as in an integer shard or items table', async () => {
    const dir = fresh('float-ids');
    await parquet(join(dir, 'interactions', 'part-0.parquet'), `SELECT i % 3 AS USER_ID, i % 5 AS ITEM_ID, 1700000000 + i AS TIMESTAMP FROM range(15) r(i)`);
    await parquet(
      join(dir, 'interactions', 'part-1.parquet'),
      `SELECT CAST(i % 3 AS DOUBLE) AS USER_ID, CASE WHEN i = 0 THEN NULL ELSE CAST(i % 5 AS DOUBLE) END AS ITEM_ID, 1700000100 + i AS TIMESTAMP FROM range(15) r(i)`,
    );
    await parquet(join(dir, 'items.parquet'), `SELECT CAST(i AS DOUBLE) AS ITEM_ID, CASE WHEN i < 3 THEN 'a' ELSE 'b' END AS GENRE FROM range(5) r(i)`);
    await reads(
      dir,
      async (d) => {
        const all = await timelines(d);
        expect([...all.keys()].sort()).toEqual(['0', '1', '2']);
        expect(new Set([...all.values()].flatMap((t) => t.map((b) => b.item)))).toEqual(new Set(['0', '1', '2', '3', '4']));
        expect(d.stats).toMatchObject({ itemCount: 5, itemsWithoutCategory: 0 });
      },
      { maxMalformedFraction: 0.05 },
    );
  });

  it('an id column of a nested type (STRUCT, LIST) is refused by name, not read as its text', async () => {
    const dir = fresh('nested-ids');
    await parquet(join(dir, 'interactions', 'part-0.parquet'), rows());
    await parquet(join(dir, 'interactions', 'part-1.parquet'), `SELECT {'id': i % 20} AS USER_ID, 'i' || i AS ITEM_ID, 1700000000 + i AS TIMESTAMP FROM range(10) r(i)`);
    await fails(dir, /interactions\/part-1\.parquet: USER_ID is a STRUCT\(id BIGINT\) column: ids must be text or numbers/);
    await parquet(join(dir, 'interactions', 'part-1.parquet'), `SELECT 'u1' AS USER_ID, ['i1', 'i2'] AS ITEM_ID, 1700000000 + i AS TIMESTAMP FROM range(10) r(i)`);
    await fails(dir, /interactions\/part-1\.parquet: ITEM_ID is a VARCHAR\[\] column: ids must be text or numbers/);
  });

  it('a corrupt page inside a valid-looking Parquet file is named, without DuckDB’s SQL', async () => {
    const dir = fresh('corrupt');
    await parquet(join(dir, 'interactions', 'part-0.parquet'), rows());
    const file = join(dir, 'interactions', 'part-1.parquet');
    await parquet(file, `SELECT 'u' || (i % 20) AS USER_ID, 'i' || i AS ITEM_ID, 1700000000 + i AS TIMESTAMP FROM range(20000) r(i)`, ', COMPRESSION zstd');
    const bytes = readFileSync(file);
    bytes.fill(0x55, 100, 2000);
    writeFileSync(file, bytes);
    await fails(dir, /interactions\/part-1\.parquet: DuckDB could not read it: .*a corrupt Parquet file\? Re-export it/);
  });

  it('items.parquet with duplicate ITEM_IDs: the first row wins, as in items.csv through the CSV reader', async () => {
    const dir = fresh('dup-items');
    const csv = fresh('dup-items-csv');
    await parquet(join(dir, 'interactions.parquet'), rows());
    await c.run(`COPY (${rows()}) TO ${q(join(csv, 'interactions.csv'))} (HEADER)`);
    const items = `SELECT 'i' || (i % 30) AS ITEM_ID, CASE WHEN i < 30 THEN 'first' || (i % 3) ELSE 'second' || (i % 3) END AS GENRE FROM range(60) r(i)`;
    await parquet(join(dir, 'items.parquet'), items);
    await c.run(`COPY (${items}) TO ${q(join(csv, 'items.csv'))} (HEADER)`);
    const memory = await readPersonalize({ dir: csv, progress: false });
    await reads(dir, (d) => {
      expect(d.engine.itemCategory).toEqual(memory.log.itemCategory);
      expect(d.engine.itemCategory.get('i4')).toBe('first1');
      expect(d.stats.items).toMatchObject({ lines: 60, malformed: 0, categoryColumn: 'GENRE' });
    });
  });

  it('CSV shards through the engine: an unclosed quote is one malformed line, as the CSV reader counts it (no sniffer failure)', async () => {
    const dir = fresh('quote');
    const body = 'USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1700000000\nu1,i2,1700000001\nu2,i1,1700000002\nu2,"i2,1700000003\n';
    writeFileSync(join(dir, 'interactions.csv'), body);
    const memory = await readPersonalize({ dir, progress: false, maxMalformedFraction: 0.5 });
    await reads(
      dir,
      (d) => {
        expect(d.stats.interactions).toMatchObject({ lines: memory.stats.interactions.lines, malformed: memory.stats.interactions.malformed, kept: memory.stats.interactions.kept });
        expect(d.stats.interactions.malformed).toBe(1);
        expect(d.stats.interactions.examples.map((e) => e.line)).toEqual(memory.stats.interactions.examples.map((e) => e.line));
      },
      { maxMalformedFraction: 0.5 },
    );
  });

  it('Ctrl-C (SIGINT) and SIGTERM remove the temporary directory; a killed run’s directory is swept by the next open', async () => {
    const dir = fresh('signals');
    await parquet(join(dir, 'interactions.parquet'), rows());
    const script = join(root, 'open-and-wait.mts');
    writeFileSync(
      script,
      `import { openStreamedDataset } from ${JSON.stringify(join(process.cwd(), 'model-export/sources/personalizeStream.ts'))};
await openStreamedDataset({ source: 'personalize', data: ${JSON.stringify(dir)} }, { tempDir: ${JSON.stringify(spill)} });
process.stdout.write('open\\n');
setInterval(() => {}, 1000);
`,
    );
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (b: Buffer) => b.toString().includes('open') && resolve());
        child.on('exit', (code) => reject(new Error(`the child exited (${code}) before opening`)));
      });
      expect(readdirSync(spill)).toHaveLength(1);
      const exit = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, s) => resolve(s)));
      child.kill(signal);
      expect(await exit).toBe(signal);
      expect(readdirSync(spill)).toEqual([]);
    }
    // A run killed outright (SIGKILL, the OOM killer) leaves its directory: the next open removes it, not a live one's.
    const stale = join(spill, 'interest-edge-duckdb-stale');
    const live = join(spill, 'interest-edge-duckdb-live');
    const foreign = join(spill, 'interest-edge-duckdb-foreign');
    for (const d of [stale, live, foreign]) mkdirSync(join(d, 'spill'), { recursive: true });
    writeFileSync(join(stale, 'owner.pid'), `999999999 ${hostname()}`);
    writeFileSync(join(live, 'owner.pid'), `${process.ppid} ${hostname()}`);
    writeFileSync(join(foreign, 'owner.pid'), `999999999 another-host`);
    (await open(dir)).engine.close();
    expect(readdirSync(spill).sort()).toEqual(['interest-edge-duckdb-foreign', 'interest-edge-duckdb-live']);
    for (const d of [live, foreign]) rmSync(d, { recursive: true });
  }, 60_000);

  it('a layout too small for a test user stops before training (no NaN metrics on an empty test set)', async () => {
    const dir = fresh('tiny');
    await parquet(
      join(dir, 'interactions.parquet'),
      `SELECT 'u' || (i % 2) AS USER_ID, 'i' || (i * 7 % 50) AS ITEM_ID, 1700000000 + i AS TIMESTAMP FROM range(10) r(i) UNION ALL SELECT 'v', 'i' || i, 1700000000 + i FROM range(40) r(i)`,
    );
    await reads(dir, async (d) => {
      expect(d.users.test).toBe(0);
      await expect(prepareStreamed(d.engine, d.users, { protocol: 'next', seed: 1, maxHistory: 10, minItemCount: 1 })).rejects.toThrow(/the test split holds no sample \(0 of 3 users are test users\)/);
    });
  });

  it('CSV lines are reported as the CSV reader numbers them, past blank lines and quoted newlines', async () => {
    const dir = fresh('lines');
    const body = 'USER_ID,ITEM_ID,TIMESTAMP\n\n"u\n1",i1,1700000000\n\n"u\n1","i,2",1700000001\nu2,i1,x\nu2,i1\nu2,i1,1700000003\n"a\nb",,1\nu3,"i\n9\n",soon\nu3,i1,2,extra\nu3,i2,1700000009\n';
    writeFileSync(join(dir, 'interactions.csv'), body);
    const memory = await readPersonalize({ dir, progress: false, maxMalformedFraction: 1 });
    expect(memory.stats.interactions.examples.map((e) => e.line)).toEqual([8, 9, 11, 13, 16]);
    await reads(
      dir,
      (d) => {
        expect(d.stats.interactions).toMatchObject({ lines: memory.stats.interactions.lines, malformed: memory.stats.interactions.malformed });
        expect(d.stats.interactions.examples.map((e) => [e.line, e.reason])).toEqual(memory.stats.interactions.examples.map((e) => [e.line, e.reason]));
      },
      { maxMalformedFraction: 1 },
    );
  });

  it('a bad --memory-limit, a memory limit too small and a missing temporary directory are one line each', async () => {
    const dir = fresh('limits');
    await parquet(join(dir, 'interactions.parquet'), rows());
    const data = { source: 'personalize' as const, data: dir };
    await expect(openStreamedDataset(data, { tempDir: spill, memoryLimit: 'lots' })).rejects.toThrow(/^--memory-limit lots: DuckDB refuses it \(.*\); give a size such as 512MB or 4GB$/);
    await expect(openStreamedDataset(data, { tempDir: spill, memoryLimit: '1KB' })).rejects.toThrow(/^\S+interactions\.parquet: DuckDB could not read it: could not allocate [^\n]* \(out of memory error\) \(raise --memory-limit/);
    await expect(openStreamedDataset(data, { tempDir: join(root, 'nowhere') })).rejects.toThrow(/^the temporary directory \S+nowhere \(DuckDB's database and spill files\): does not exist$/);
    expect(readdirSync(spill)).toEqual([]);
  });

  it('items and users CSV shards: malformed lines counted and located like the interactions’', async () => {
    const dir = fresh('catalogue');
    await parquet(join(dir, 'interactions.parquet'), rows());
    mkdirSync(join(dir, 'items'));
    mkdirSync(join(dir, 'users'));
    writeFileSync(join(dir, 'items', 'part-0.csv'), 'ITEM_ID,GENRE\n' + Array.from({ length: 15 }, (_, k) => `i${k},g${k % 3}`).join('\n') + '\n');
    writeFileSync(join(dir, 'items', 'part-1.csv.gz'), gzipSync('ITEM_ID,GENRE\n\n' + Array.from({ length: 15 }, (_, k) => (k === 4 ? 'i99' : k === 6 ? ',g1' : `i${15 + k},"g${k % 3}"`)).join('\n') + '\n'));
    writeFileSync(join(dir, 'users', 'part-0.csv'), 'USER_ID,AGE\n' + Array.from({ length: 20 }, (_, k) => (k === 2 ? 'u2,3,4' : `u${k},${20 + k}`)).join('\n') + '\n');
    await reads(
      dir,
      (d) => {
        expect(d.stats.items).toMatchObject({ lines: 30, malformed: 2, categoryColumn: 'GENRE' });
        expect(d.stats.items!.examples.map((e) => `${e.where}: ${e.reason}`)).toEqual(['part-1.csv.gz:line 7: expected 2 fields (the header\'s), got 1', 'part-1.csv.gz:line 9: ITEM_ID is empty']);
        expect(d.stats.users).toMatchObject({ lines: 20, malformed: 1 });
        expect(d.stats.users!.examples.map((e) => `${e.where}: ${e.reason}`)).toEqual(['part-0.csv:line 4: expected 2 fields (the header\'s), got 3']);
        expect(d.engine.itemCategory.get('i20')).toBe('g2');
      },
      { maxMalformedFraction: 0.1 },
    );
  });

  it('a sloppy CSV (random defects) through the engine: the CSV reader’s counts, event types and first five examples', async () => {
    // Seeds 9 and 28 found a line missing several fields counted once per missing field, and an
    // example dropped by ordering DuckDB's rejects against row indices.
    for (const seed of [9, 28, 31]) {
      const rng = seedrandom(String(seed));
      const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)];
      const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
      const lines = ['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE'];
      for (let k = 0; k < 300; k++) {
        const r = rng();
        const fields = [
          pick(['u1', 'u2', ' u3 ', 'u"4', 'ü5', '']),
          pick(['i1', 'i2', 'i,3', 'i\n4', '', ' i5']),
          pick(['1700000000', String(1700000000 + k), '1700000000000', '-5', 'x', '', '1.7e9', ' 1700000001 ', 'Infinity']),
          pick(['click', 'buy', '', ' click']),
          pick(['', '1', '2.5', 'NaN', 'abc', '-1', '1e3', ' 4 ']),
        ].map(quote);
        lines.push(r < 0.03 ? '' : r < 0.06 ? fields.slice(0, 2).join(',') : r < 0.08 ? [...fields, 'extra'].join(',') : fields.join(','));
      }
      const dir = fresh(`sloppy-${seed}`);
      writeFileSync(join(dir, 'interactions.csv'), lines.join('\n') + '\n');
      const filters = { ...(seed % 2 ? { eventTypes: ['click'] } : {}), ...(seed % 3 === 0 ? { minEventValue: 1 } : {}) };
      const memory = (await readPersonalize({ dir, progress: false, maxMalformedFraction: 1, ...filters })).stats.interactions;
      const summary = (s: typeof memory) => ({ ...s, examples: s.examples.map((e) => [e.line, e.reason]), outOfOrder: 0, where: undefined });
      const d = await openStreamedDataset({ source: 'personalize', data: dir, maxMalformedFraction: 1, minUserBehaviours: 1, positive: filters }, { tempDir: spill });
      try {
        expect(summary(d.stats.interactions)).toEqual(summary(memory));
      } finally {
        d.engine.close();
      }
    }
  });

  it('a BOM, a quoted header, CRLF line ends and padded names in a gzip CSV shard read as the CSV reader reads them', async () => {
    const rows = 'u1,i1,1700000000\r\n"u1","i,2",1700000001\r\n\r\nu2,i1,1700000002\r\nu2,,1700000003\r\n';
    for (const start of ['\ufeff', '']) {
      const body = `${start}"USER_ID", item_id ,"Timestamp"\r\n${rows}`;
      const dir = fresh('bom');
      mkdirSync(join(dir, 'interactions'));
      writeFileSync(join(dir, 'interactions', 'part-0.csv.gz'), gzipSync(body));
      const single = fresh('bom-single');
      writeFileSync(join(single, 'interactions.csv'), body);
      const memory = await readPersonalize({ dir: single, progress: false, maxMalformedFraction: 0.5 });
      await reads(
        dir,
        async (d) => {
          expect(d.stats.interactions).toMatchObject({ lines: memory.stats.interactions.lines, malformed: 1, kept: memory.stats.interactions.kept });
          expect(d.stats.interactions.examples.map((e) => [e.line, e.reason])).toEqual(memory.stats.interactions.examples.map((e) => [e.line, e.reason]));
          expect(await timelines(d)).toEqual(memory.log.timelines);
        },
        { maxMalformedFraction: 0.5, minUserBehaviours: 1 },
      );
    }
    const mixed = fresh('mixed-line-ends');
    writeFileSync(join(mixed, 'interactions.csv'), `USER_ID,ITEM_ID,TIMESTAMP\r\nu1,i1,1700000000\r\nu1,i2,1700000001\nu1,i3,1700000002\n`);
    await fails(mixed, /interactions\.csv: DuckDB could not read it: .*line ends mixed in one file \(CRLF and LF\)\?/);
    // Fields padded with tabs and no-break spaces: trimmed as JavaScript trims them.
    const padded = fresh('padded');
    const paddedBody = 'USER_ID,ITEM_ID,TIMESTAMP\n\tu1\u00a0,i1\t,1700000000\t\nu1, i2 ,\u00a01700000001\n';
    writeFileSync(join(padded, 'interactions.csv'), paddedBody);
    const paddedMemory = await readPersonalize({ dir: padded, progress: false });
    await reads(padded, async (d) => {
      expect(d.stats.interactions).toMatchObject({ lines: 2, malformed: 0, kept: 2 });
      expect(await timelines(d)).toEqual(paddedMemory.log.timelines);
    });
    const blank = fresh('blank-first');
    writeFileSync(join(blank, 'interactions.csv'), `\r\n\n"USER_ID",ITEM_ID,TIMESTAMP\r\n${rows}`);
    await fails(blank, /interactions\.csv: 2 blank lines before the header: the out-of-core engine needs the header on the first line; remove them/);
  });

  it('opening and closing engines leaves no exit listener behind', async () => {
    const dir = fresh('listeners');
    await parquet(join(dir, 'interactions.parquet'), rows());
    const before = process.listenerCount('exit');
    for (let k = 0; k < 3; k++) await reads(dir, () => undefined);
    await fails(dir, /no row has EVENT_TYPE|no EVENT_TYPE column/, { positive: { eventTypes: ['click'] } });
    expect(process.listenerCount('exit')).toBe(before);
  });
});
