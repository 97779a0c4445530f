/**
 * The one entry point of the benchmarks (docs/benchmarks.md):
 *
 *   npm run bench                     the core suite (compute, e2e, footprint, training)
 *   npm run bench -- <suite> [args]   one suite, its own arguments after the name
 *   npm run bench -- --list           every suite, what it measures, its latest result file
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../model-export/shippedModels.js';
import { SUITES, type Suite } from './suites.js';

const RESULTS = join(REPO_ROOT, 'bench/results');

/** The newest bench/results/<date>[-<tag>].md (or .json) of a suite, if any. */
export function latestResult(suite: Suite): string | undefined {
  if (suite.tag === undefined) return undefined;
  const tag = suite.tag ? `-${suite.tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(-[a-z0-9-]+)?` : '';
  const pattern = new RegExp(`^\\d{4}-\\d{2}-\\d{2}${tag}\\.(md|json)$`);
  // Sorted by name: dates first; a day's .json sorts before its .md, which is preferred.
  const files = readdirSync(RESULTS).filter((f) => pattern.test(f)).sort();
  return files.length ? `bench/results/${files[files.length - 1]}` : undefined;
}

const [first, ...rest] = process.argv.slice(2);
if (first === '--list' || first === '--help' || first === '-h') {
  console.log('| suite | measures | latest result |\n| --- | --- | --- |');
  for (const s of SUITES) console.log(`| ${s.name} | ${s.what} | ${latestResult(s) ?? (s.tag === undefined ? 'prints only' : '–')} |`);
  console.log('\nnpm run bench -- <suite> [its arguments]   (no suite: core)');
  process.exit(0);
}
const named = first !== undefined && !first.startsWith('-');
const suite = SUITES.find((s) => s.name === (named ? first : 'core'));
if (!suite) {
  console.error(`bench: no suite "${first}"; npm run bench -- --list shows them`);
  process.exit(2);
}
const args = named ? rest : process.argv.slice(2);
// The suites that drive wrangler dev over WebSocket inspectors need Node 20's flag.
const result = spawnSync(process.execPath, ['--experimental-websocket', '--import', 'tsx', join(REPO_ROOT, suite.script), ...args], { stdio: 'inherit', cwd: REPO_ROOT });
process.exit(result.status ?? 1);
