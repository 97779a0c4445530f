/**
 * `npm run bench -- crawler [-- --crawler-events 3e6] [--users 500] [--dir DIR]`
 *
 * One crawler in a shop's log (dataset config `maxUserBehaviours`, docs/data-sources.md "Bad
 * input"): a seeded Personalize layout of `--users` people with 40 behaviours each and one
 * training-split user with `--crawler-events` behaviours, as Parquet. The out-of-core stream keeps
 * each user whole in one shuffle group, so without a cap the crawler alone sets the memory of the
 * run and fills the training set. Each setting runs in a fresh process (bench/data/crawlerOnce.ts):
 * the default cap (10⁵) against no cap. Writes bench/results/<date>-crawler.md and .json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { hashUserSplit } from '../model-export/samples/sample.js';
import type { CrawlerRun } from './data/crawlerOnce.js';
import { mib, num, ratio, table } from './lib/markdown.js';
import { writeResults } from './lib/results.js';
import { REPO_ROOT } from './lib/servingModels.js';
import { systemInfo } from './lib/system.js';

const { values } = parseArgs({
  options: {
    'crawler-events': { type: 'string', default: '3e6' },
    users: { type: 'string', default: '500' },
    dir: { type: 'string', default: join(tmpdir(), 'interest-edge-bench-crawler') },
  },
});
const events = Number(values['crawler-events']);
const users = Number(values.users);
const log = (line: string) => console.error(`[bench crawler] ${line}`);
// The default split is a 20 % hash split: the crawler must be a training user to be streamed.
const crawler = Array.from({ length: 100 }, (_, i) => `crawler-${i}`).find((u) => hashUserSplit(0.2)(u) === 'train')!;
const dir = join(values.dir!, `crawler-${events}-${users}`);
if (!existsSync(join(dir, 'interactions.parquet'))) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`writing ${num(events, 0)} crawler events and ${users} × 40 people's → ${dir}`);
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  // The crawler walks 3,000 items of its own in id order; people pick among 5,000 others.
  await c.run(`COPY (
      SELECT '${crawler}' AS USER_ID, 'c' || (i % 3000) AS ITEM_ID, 1600000000 + i AS TIMESTAMP FROM range(${events}) r(i)
      UNION ALL SELECT 'u' || (i // 40), 'i' || ((i * 7919) % 5000), 1600000000 + i FROM range(${users * 40}) r(i)
    ) TO '${join(dir, 'interactions.parquet')}' (FORMAT parquet)`);
  c.closeSync();
  db.closeSync();
}

const once = (cap?: number): CrawlerRun => {
  const args = ['--import', 'tsx', join(REPO_ROOT, 'bench/data/crawlerOnce.ts'), '--data', dir, '--crawler', crawler, ...(cap ? ['--max-user-behaviours', String(cap)] : [])];
  const out = execFileSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop()!) as CrawlerRun;
};
log('default cap');
const capped = once();
log('no cap');
const uncapped = once(Number.MAX_SAFE_INTEGER);

const row = (label: string, r: CrawlerRun) => [
  label,
  r.cappedUsers,
  num(r.trainSamples, 0),
  `${num(r.crawlerSamples, 0)} (${((100 * r.crawlerSamples) / r.trainSamples).toFixed(0)} %)`,
  num(r.maxBufferedSamples, 0),
  mib(r.peakRssBytes),
  ratio(r.peakRssBytes / uncapped.peakRssBytes),
  r.seconds.toFixed(1),
];
const date = new Date().toISOString().slice(0, 10);
const markdown = [
  `# One crawler in the log (${date})`,
  '',
  `A Personalize layout of ${users} people with 40 behaviours each and one training user with ${num(events, 0)} (Parquet), streamed out of core for one epoch of the \`next\` protocol (DuckDB engine, a fresh process each). Reference: the same run without a cap.`,
  '',
  table(
    ['maxUserBehaviours', 'users cut', 'training samples', "of them the crawler's", 'largest shuffle group (samples)', 'peak RSS', '× no cap', 'seconds'],
    [row(`${num(capped.maxUserBehaviours, 0)} (default)`, capped), row('no cap', uncapped)],
  ),
  '',
  'The shuffle buffer keeps users whole, so its bound is 65,536 samples plus one user: without a cap that user is the crawler. docs/data-sources.md, "Bad input".',
].join('\n');
console.log(markdown);
const stem = writeResults(`${date}-crawler`, markdown, { date, system: systemInfo(), events, users, crawler, capped, uncapped });
log(`written ${stem}.md and .json`);
