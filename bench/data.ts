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
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generatePersonalize } from './data/generatePersonalize.js';
import type { DataRun } from './data/prepareOnce.js';
import { mib, num, ratio, table } from './lib/markdown.js';
import { REPO_ROOT } from './lib/servingModels.js';
import { loadSample, systemInfo } from './lib/system.js';
import { writeResults } from './lib/results.js';

const TARGET = { interactions: 1e7, readySeconds: 90, peakRssBytes: 3e9 };

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1e5,1e6,1e7' },
    batches: { type: 'string', default: '40' },
    'epoch-up-to': { type: 'string', default: '1e5' },
    dir: { type: 'string', default: join(tmpdir(), 'interest-edge-bench-data') },
  },
});
const sizes = values.sizes!.split(',').map(Number);
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
  `Training speed (${rows[0]?.training.backend ?? '?'} backend) falls with the catalogue: the fit updates every row of the embedding tables at each step (dense Adam), so samples/s scale with items, not with the batch. docs/data-sources.md, "Scale".`,
].join('\n\n');
console.log(markdown);
const date = new Date().toISOString().slice(0, 10);
const name = `${date}-data${values.sizes === '1e5,1e6,1e7' ? '' : `-${sizes.join('-')}`}`;
writeResults(name, markdown, { date, system: systemInfo(), loads, seconds: (performance.now() - started) / 1000, target: TARGET, rows });
log(`written bench/results/${name}.json and .md`);
