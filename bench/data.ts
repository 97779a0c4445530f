/**
 * `npm run bench -- data [-- --sizes 1e5,1e6,1e7] [--batches N] [--epoch-up-to N] [--dir DIR]`
 *
 * The data pipeline at scale (issue "bring your own data"): for each size, a seeded
 * Personalize-layout log (bench/data/generatePersonalize.ts: users prefer a few categories) is
 * read, split, sampled and encoded up to the first training batch, then DIN trains — one full
 * epoch up to --epoch-up-to interactions, else --batches batches, from which the epoch time is
 * projected. Each size runs in a fresh process so its peak RSS is its own.
 *
 * References named in the table: parse speed against the raw line rate of the same file (read,
 * gunzip, decode, split on newlines; no CSV), and the issue's targets (10⁷ interactions ready to
 * train in ≤ 90 s, peak RSS ≤ 3 GB). Writes bench/results/<date>-data.json and .md.
 *
 * Parquet rows (`--parquet 1e6,1e7,1e8`, issue 29): the same seeded log written as Parquet shards
 * (bench/data/personalizeParquet.ts), prepared out of core by the DuckDB engine and streamed
 * (bench/data/streamOnce.ts, a fresh process each): time and peak RSS to the first batch, the
 * stream's samples/s alone and DIN's fed from it, against the in-memory 10⁶ row (target: 10⁸
 * reaches its first batch in ≤ 4 GiB; the stream no slower than training from an in-memory 10⁶
 * log). Generated data is reused from --dir (the 10⁸ log is ≈ 4.7 GB of CSV and 1.2 GB of Parquet).
 * With Parquet rows the files are <date>-data-parquet (or -<sizes>-parquet).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generatePersonalize } from './data/generatePersonalize.js';
import { personalizeToParquet } from './data/personalizeParquet.js';
import type { DataRun } from './data/prepareOnce.js';
import type { StreamRun } from './data/streamOnce.js';
import { mib, num, ratio, table } from './lib/markdown.js';
import { REPO_ROOT } from './lib/servingModels.js';
import { loadSample, systemInfo } from './lib/system.js';
import { writeResults } from './lib/results.js';

const TARGET = { interactions: 1e7, readySeconds: 90, peakRssBytes: 3e9 };
const PARQUET_TARGET = { interactions: 1e8, peakRssBytes: 4 * 2 ** 30, reference: 1e6 };

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1e5,1e6,1e7' },
    batches: { type: 'string', default: '40' },
    'epoch-up-to': { type: 'string', default: '1e5' },
    dir: { type: 'string', default: join(tmpdir(), 'interest-edge-bench-data') },
    parquet: { type: 'string', default: '' },
    'stream-seconds': { type: 'string', default: '60' },
    'memory-limit': { type: 'string', default: '1GB' },
  },
});
const sizes = values.sizes === '' ? [] : values.sizes!.split(',').map(Number);
const parquetSizes = values.parquet === '' ? [] : values.parquet!.split(',').map(Number);
const epochUpTo = Number(values['epoch-up-to']);
const log = (line: string) => console.error(`[bench data ${new Date().toISOString().slice(11, 19)}] ${line}`);
const started = performance.now();
const loads = [loadSample('start')];

interface Row extends DataRun {
  generated: { seconds: number; bytes: number; reused: boolean };
}
const rows: Row[] = [];
for (const size of sizes) {
  const dir = join(values.dir!, `personalize-${size}`);
  let generated: Row['generated'];
  if (existsSync(join(dir, 'interactions.csv'))) {
    generated = { seconds: Number.NaN, bytes: Number.NaN, reused: true };
  } else {
    log(`generating ${size} interactions → ${dir}`);
    const g = await generatePersonalize({ dir, interactions: size, seed: 1 });
    generated = { seconds: g.seconds, bytes: g.bytes, reused: false };
  }
  const args = ['--import', 'tsx', join(REPO_ROOT, 'bench/data/prepareOnce.ts'), '--data', dir, ...(size <= epochUpTo ? ['--epoch'] : ['--batches', values.batches!])];
  log(`${size}: read, prepare, first batch, ${size <= epochUpTo ? 'one epoch' : `${values.batches} batches`} of DIN (fresh process)`);
  const out = execFileSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  const run = JSON.parse(out.trim().split('\n').pop()!) as DataRun;
  rows.push({ ...run, generated });
  log(`${size}: ready to train in ${run.firstBatchSeconds.toFixed(1)} s, peak RSS ${mib(run.peakRssReadyBytes)}`);
  loads.push(loadSample(`${size} done`));
}

interface ParquetRow extends StreamRun {
  parquet: { shards: number; bytes: number; converted: boolean; seconds: number };
}
const parquetRows: ParquetRow[] = [];
for (const size of parquetSizes) {
  const csvDir = join(values.dir!, `personalize-${size}`);
  const dir = join(values.dir!, `personalize-${size}-parquet`);
  let parquet: ParquetRow['parquet'];
  if (existsSync(join(dir, 'interactions'))) {
    parquet = { shards: readdirSync(join(dir, 'interactions')).length, bytes: dirBytes(dir), converted: false, seconds: Number.NaN };
  } else {
    if (!existsSync(join(csvDir, 'interactions.csv'))) {
      log(`generating ${size} interactions → ${csvDir}`);
      await generatePersonalize({ dir: csvDir, interactions: size, seed: 1 });
    }
    log(`${size}: writing Parquet shards → ${dir}`);
    const p = await personalizeToParquet(csvDir, dir);
    parquet = { shards: p.shards, bytes: p.bytes, converted: true, seconds: p.seconds };
  }
  const args = ['--import', 'tsx', join(REPO_ROOT, 'bench/data/streamOnce.ts'), '--data', dir, '--batches', values.batches!, '--stream-seconds', values['stream-seconds']!, '--memory-limit', values['memory-limit']!];
  log(`${size} (Parquet): engine, first batch, the stream for ≤ ${values['stream-seconds']} s, ${values.batches} batches of DIN (fresh process)`);
  const out = execFileSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  const run = JSON.parse(out.trim().split('\n').pop()!) as StreamRun;
  parquetRows.push({ ...run, parquet });
  log(`${size} (Parquet): first batch in ${run.firstBatchSeconds.toFixed(1)} s, peak RSS ${mib(run.peakRssReadyBytes)}, stream ${Math.round(run.stream.samplesPerSecond)} samples/s`);
  loads.push(loadSample(`${size} parquet done`));
}

function dirBytes(d: string): number {
  return readdirSync(d).reduce((s, n) => {
    const p = join(d, n);
    return s + (statSync(p).isDirectory() ? dirBytes(p) : statSync(p).size);
  }, 0);
}

const reference = rows.find((r) => r.interactions === PARQUET_TARGET.reference);
const referenceRate = reference?.training.samplesPerSecond ?? Number.NaN;
const parquetTarget = parquetRows.find((r) => r.interactions === PARQUET_TARGET.interactions);
const parquetSection = parquetRows.length === 0 ? [] : [
  `## Parquet, out of core (DuckDB)`,
  `The same seeded logs as Parquet shards (bench/data/personalizeParquet.ts: typed columns, zstd, row groups of 10⁶), read by the DuckDB engine ` +
    `(memory limit ${values['memory-limit']}, spilling to a temporary directory) and streamed into training (model-export/train/streamedData.ts: ` +
    `users in a seeded order per epoch, a shuffle buffer of 65,536 samples, held-out set capped at 200,000 samples). "ready" = engine open → first batch: ` +
    `validation pass, kept rows written to DuckDB's on-disk table, catalogue, vocabulary (GROUP BY), test set, and the first epoch's sort. ` +
    `"stream" = the rest of epoch 1 with no model (DuckDB sort output → timelines → protocol → EncodedDataset → shuffled batches), at most ${values['stream-seconds']} s. ` +
    `"epoch start" = from asking for epoch 2 to its first batch (DuckDB sorts the epoch's rows in a new user order); DIN's samples/s is timed after it (${values.batches} batches). ` +
    `"× in-memory 10⁶" compares with the DIN samples/s of the in-memory CSV 10⁶ row${reference ? ` above (${num(referenceRate, 0)} samples/s)` : ' (not run: no ratio)'}.`,
  table(
    ['interactions', 'Parquet', 'users', 'items', 'validate s', 'keep s', 'catalogue s', 'vocabulary s', 'test s', 'first epoch sort → batch s', 'ready s', 'peak RSS (ready)', 'stream samples/s', '× in-memory 10⁶', 'epoch start s', 'DIN samples/s (streamed)', '× in-memory 10⁶', 'peak RSS (training)'],
    parquetRows.map((r) => [
      r.interactions.toExponential(0).replace('+', ''),
      `${r.parquet.shards} shard${r.parquet.shards === 1 ? '' : 's'}, ${mib(r.parquet.bytes)}`,
      r.users.toLocaleString('en-US'),
      r.items.toLocaleString('en-US'),
      num(r.seconds.validate),
      num(r.seconds.events),
      num(r.seconds.catalogue),
      num(r.seconds.vocabulary),
      num(r.seconds.test),
      num(r.firstBatchSeconds - r.seconds.open - r.seconds.vocabulary - r.seconds.test),
      num(r.firstBatchSeconds),
      mib(r.peakRssReadyBytes),
      `${Math.round(r.stream.samplesPerSecond).toLocaleString('en-US')}${r.stream.fullEpoch ? ' (full epoch)' : ''}`,
      ratio(r.stream.samplesPerSecond / referenceRate),
      num(r.training.epochStartSeconds ?? Number.NaN),
      num(r.training.samplesPerSecond, 0),
      ratio(r.training.samplesPerSecond / referenceRate),
      mib(r.training.peakRssBytes),
    ]),
  ),
  parquetTarget
    ? table(
        ['target (10⁸ interactions, Parquet)', 'measured', 'ratio to target', 'status'],
        [
          ['first batch with peak RSS ≤ 4 GiB', mib(parquetTarget.peakRssReadyBytes), ratio(parquetTarget.peakRssReadyBytes / PARQUET_TARGET.peakRssBytes), parquetTarget.peakRssReadyBytes <= PARQUET_TARGET.peakRssBytes ? 'met' : 'missed'],
          [
            'stream samples/s ≥ in-memory 10⁶ training samples/s',
            `${Math.round(parquetTarget.stream.samplesPerSecond).toLocaleString('en-US')} vs ${num(referenceRate, 0)}`,
            ratio(parquetTarget.stream.samplesPerSecond / referenceRate),
            parquetTarget.stream.samplesPerSecond >= referenceRate ? 'met' : Number.isNaN(referenceRate) ? 'n/a (no in-memory 10⁶ row)' : 'missed',
          ],
        ],
      )
    : 'The 10⁸ Parquet size was not run: no target check.',
];

const target = rows.find((r) => r.interactions === TARGET.interactions);
const markdown = [
  `# Data pipeline at scale — ${new Date().toISOString().slice(0, 10)}`,
  `Seeded Personalize-layout logs (bench/data/generatePersonalize.ts; ≈ 100 events per user, items = interactions / 50, 50 categories), ` +
    `protocol \`next\` (one sampled negative per positive), user-hash split (20 % test), H = 50. Each size in a fresh Node process; ` +
    `"ready" = from the start of the read to the first assembled training batch. Machine: ${systemInfo().cpu}, ${systemInfo().cores} cores, Node ${process.version}; ` +
    `load average ${loads.map((l) => l.loadAverage[0]).join(' → ')}.`,
  table(
    ['interactions', 'users', 'parse rows/s', '× raw line rate', 'read s', 'prepare s', 'ready s', 'peak RSS (ready)', 'train samples', 'DIN samples/s', 'epoch s'],
    rows.map((r) => [
      r.interactions.toExponential(0).replace('+', ''),
      r.users.toLocaleString('en-US'),
      Math.round(r.rowsPerSecond).toLocaleString('en-US'),
      ratio(r.rowsPerSecond / r.rawLinesPerSecond),
      num(r.readSeconds),
      num(r.prepareSeconds),
      num(r.firstBatchSeconds),
      mib(r.peakRssReadyBytes),
      r.trainSamples.toLocaleString('en-US'),
      num(r.training.samplesPerSecond, 0),
      r.training.fullEpoch ? num(r.training.seconds, 0) : `≈ ${num(r.training.projectedEpochSeconds, 0)} (projected from ${r.training.batches} batches)`,
    ]),
  ),
  target
    ? table(
        ['target (10⁷ interactions)', 'measured', 'ratio to target', 'status'],
        [
          ['ready to train ≤ 90 s', `${num(target.firstBatchSeconds)} s`, ratio(target.firstBatchSeconds / TARGET.readySeconds), target.firstBatchSeconds <= TARGET.readySeconds ? 'met' : 'missed'],
          ['peak RSS ≤ 3 GB', mib(target.peakRssReadyBytes), ratio(target.peakRssReadyBytes / TARGET.peakRssBytes), target.peakRssReadyBytes <= TARGET.peakRssBytes ? 'met' : 'missed'],
        ],
      )
    : 'The 10⁷ size was not run: no target check.',
  `Training speed (${rows[0]?.training.backend ?? parquetRows[0]?.training.backend ?? '?'} backend) falls with the catalogue. docs/data-sources.md, "Scale" and "Parquet and out-of-core preparation".`,
  ...parquetSection,
].join('\n\n');
console.log(markdown);
const date = new Date().toISOString().slice(0, 10);
const name = `${date}-data${values.sizes === '1e5,1e6,1e7' ? '' : `-${sizes.join('-')}`}${parquetRows.length ? '-parquet' : ''}`.replace('--', '-');
writeResults(name, markdown, { date, system: systemInfo(), loads, seconds: (performance.now() - started) / 1000, target: TARGET, rows, parquetTarget: PARQUET_TARGET, parquetRows });
log(`written bench/results/${name}.json and .md`);
