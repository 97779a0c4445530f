/**
 * The seeded Personalize-layout log (generatePersonalize.ts) as a warehouse would write it:
 * `interactions/` a directory of Parquet shards (typed columns: TIMESTAMP BIGINT, EVENT_VALUE
 * DOUBLE, ids VARCHAR) in file order, `items.parquet`, `users.parquet`. Converted from the CSV the
 * generator writes (same seed ⇒ the same log), by DuckDB's COPY; shards are renamed
 * part-00000.parquet, … so their name order is the log's order.
 *
 *   npx tsx bench/data/personalizeParquet.ts --csv DIR --out DIR [--shard-rows N]
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';

export interface ParquetLayoutResult { dir: string; shards: number; bytes: number; seconds: number }

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** CSV layout in `csvDir` → Parquet layout in `outDir` (replaced). */
export async function personalizeToParquet(csvDir: string, outDir: string, o: { shardRows?: number; memoryLimit?: string } = {}): Promise<ParquetLayoutResult> {
  const t0 = performance.now();
  const shardRows = o.shardRows ?? 10_000_000;
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'interactions'), { recursive: true });
  const tmp = join(outDir, '.duckdb-tmp');
  const db = await DuckDBInstance.create(':memory:', { memory_limit: o.memoryLimit ?? '2GB', temp_directory: tmp, preserve_insertion_order: 'true' });
  const c = await db.connect();
  const csv = (name: string) => {
    const file = ['csv', 'csv.gz'].map((e) => join(csvDir, `${name}.${e}`)).find(existsSync);
    if (!file) throw new Error(`${csvDir} has no ${name}.csv`);
    return file;
  };
  const interactions = csv('interactions');
  const columns = (await c.runAndReadAll(`DESCRIBE SELECT * FROM read_csv(${quote(interactions)}, header = true, all_varchar = true)`)).getRowObjectsJS().map((r) => String(r.column_name));
  const typed = columns.map((n) => (/^TIMESTAMP$/i.test(n) ? `CAST("${n}" AS BIGINT) AS "${n}"` : /^EVENT_VALUE$/i.test(n) ? `CAST("${n}" AS DOUBLE) AS "${n}"` : `"${n}"`)).join(', ');
  await c.run(
    `COPY (SELECT ${typed} FROM read_csv(${quote(interactions)}, header = true, all_varchar = true)) TO ${quote(join(outDir, 'interactions'))} ` +
      `(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000, FILE_SIZE_BYTES ${Math.round(shardRows * 9)}, FILENAME_PATTERN 'part-{i}', OVERWRITE_OR_IGNORE true)`,
  );
  // part-0, part-1, … part-10 → part-00000, … so name order is file order.
  const shards = readdirSync(join(outDir, 'interactions')).filter((n) => n.endsWith('.parquet'));
  for (const n of shards) {
    const i = Number(/part-(\d+)/.exec(n)?.[1]);
    renameSync(join(outDir, 'interactions', n), join(outDir, 'interactions', `part-${String(i).padStart(5, '0')}.parquet`));
  }
  for (const name of ['items', 'users']) {
    const file = ['csv', 'csv.gz'].map((e) => join(csvDir, `${name}.${e}`)).find(existsSync);
    if (file) await c.run(`COPY (SELECT * FROM read_csv(${quote(file)}, header = true, all_varchar = true)) TO ${quote(join(outDir, `${name}.parquet`))} (FORMAT parquet, COMPRESSION zstd)`);
  }
  c.closeSync();
  db.closeSync();
  rmSync(tmp, { recursive: true, force: true });
  let bytes = 0;
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else bytes += statSync(p).size;
    }
  };
  walk(outDir);
  return { dir: resolve(outDir), shards: shards.length, bytes, seconds: (performance.now() - t0) / 1000 };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { csv: { type: 'string' }, out: { type: 'string' }, 'shard-rows': { type: 'string' } } });
  if (!values.csv || !values.out) throw new Error('usage: --csv DIR --out DIR [--shard-rows N]');
  console.log(JSON.stringify(await personalizeToParquet(values.csv, values.out, { shardRows: values['shard-rows'] ? Number(values['shard-rows']) : undefined })));
}
