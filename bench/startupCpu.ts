/**
 * `npm run bench -- startup [-- --runs 3]`: the worker's start-up CPU (issue 17, item 5), the figure
 * Workers cap at 1 s, for each way ORT can start. `wrangler check startup` profiles a bundle's
 * start-up in workerd but passes no vars, so each setting is its own bundle: a generated entry
 * (bench/.startup/) that calls `startOrtRuntime(kinds)` at module scope as worker/index.ts does
 * with ORT_START = isolate and ORT_START_GRAPHS = kinds, built with `wrangler deploy --dry-run --outfile`.
 * CPU = the profile's sampled time minus `(idle)`. Writes bench/results/<date>-startup.{md,json}.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { table } from './lib/markdown.js';
import { REPO_ROOT } from './lib/servingModels.js';
import { percentile } from './lib/stats.js';
import { WRANGLER, WRANGLER_ENV } from './lib/wranglerDev.js';
import { writeResults } from './lib/results.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(args.runs);
const log = (line: string) => console.error(`[bench startup] ${line}`);

/** Setting name → the kinds whose start graphs run at isolate start (undefined: ORT starts in the first request). */
const SETTINGS: Array<[string, string[] | undefined]> = [
  ['first-request (default)', undefined],
  ['isolate: din', ['din']],
  ['isolate: din, dien', ['din', 'dien']],
  ['isolate: din, dien, ple (all)', ['din', 'dien', 'ple']],
];

const work = join(REPO_ROOT, 'bench/.startup');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

interface Profile {
  nodes: Array<{ id: number; callFrame: { functionName: string } }>;
  samples: number[];
  timeDeltas: number[];
}

/** Sampled CPU time of a start-up profile, ms: all samples except those in `(idle)`. */
function cpuMs(profile: Profile): number {
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  let us = 0;
  profile.samples.forEach((node, i) => {
    if (!idle.has(node)) us += profile.timeDeltas[i] ?? 0;
  });
  return us / 1000;
}

const rows: Array<{ setting: string; kinds: string[] | null; ms: number[] }> = [];
try {
  for (const [setting, kinds] of SETTINGS) {
    const entry = join(work, `${rows.length}.ts`);
    writeFileSync(
      entry,
      [
        `import { createApp } from '../../worker/app.js';`,
        `import { startOrtRuntime } from '../../worker/runtime/ort.js';`,
        kinds ? `void startOrtRuntime(${JSON.stringify(kinds)});` : '',
        `export default createApp();`,
      ].join('\n'),
    );
    const bundle = join(work, `${rows.length}.bundle`);
    const build = spawnSync(WRANGLER, ['deploy', '--dry-run', '--outfile', bundle, entry], { cwd: REPO_ROOT, env: WRANGLER_ENV, encoding: 'utf8', timeout: 180_000 });
    if (build.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${build.stderr}`);
    const ms: number[] = [];
    for (let r = 0; r < runs; r++) {
      const outfile = join(work, `profile-${rows.length}-${r}.cpuprofile`);
      const check = spawnSync(WRANGLER, ['check', 'startup', '--worker', bundle, '--outfile', outfile], { cwd: REPO_ROOT, env: WRANGLER_ENV, encoding: 'utf8', timeout: 180_000 });
      if (check.status !== 0) throw new Error(`wrangler check startup failed:\n${check.stdout}\n${check.stderr}`);
      ms.push(cpuMs(JSON.parse(readFileSync(outfile, 'utf8')) as Profile));
      log(`${setting}: run ${r + 1}: ${ms.at(-1)!.toFixed(0)} ms`);
    }
    rows.push({ setting, kinds: kinds ?? null, ms });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const date = new Date().toISOString().slice(0, 10);
const reference = percentile(rows[0].ms, 0.5);
const markdown = [
  `# Start-up CPU ${date}`,
  `\`npm run bench -- startup -- --runs ${runs}\` (bench/startupCpu.ts): \`wrangler check startup\` (workerd's start-up profile, locally) of a bundle per setting; CPU = sampled time outside \`(idle)\`, ms. Workers reject a script whose start-up exceeds 1 s of CPU. Reference: ORT started in the first request (the default). 2 loaded cores: compare within the table.`,
  table(
    ['ORT start', 'runs (ms)', 'median (ms)', 'vs reference'],
    rows.map((r) => [r.setting, r.ms.map((m) => m.toFixed(0)).join(', '), percentile(r.ms, 0.5).toFixed(0), `${(percentile(r.ms, 0.5) / reference).toFixed(2)}×`]),
  ),
].join('\n\n');
console.log(markdown);
writeResults(`${date}-startup`, markdown, { date, runs, rows });
