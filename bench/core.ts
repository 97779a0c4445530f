/**
 * The core suite: `npm run bench [-- core] [--only compute|e2e|footprint|training] [--quick]`
 *
 * Runs the benchmark sections (docs/benchmarks.md), prints their markdown tables and writes
 * bench/results/<YYYY-MM-DD>.json and .md (a full run), bench/results/<date>-<sections>.json/.md
 * (a partial run, so it never overwrites the day's full results), or, for --quick development
 * runs, the same files under the OS temp directory (never committed).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { computeSettings, runCompute } from './compute.js';
import { endToEndSettings, runEndToEnd } from './endToEnd.js';
import { runFootprint } from './footprint.js';
import { renderCompute, renderEndToEnd, renderFootprint, renderHeader, renderTargets, renderTraining } from './lib/report.js';
import { REPO_ROOT } from './lib/servingModels.js';
import { loadSample, NOISY_LOAD, systemInfo, type LoadSample } from './lib/system.js';
import { checkTargets, type SectionResults } from './lib/targets.js';
import { runTraining, trainingSettings, type TrainingResults } from './training.js';

const SECTIONS = ['compute', 'e2e', 'footprint', 'training'] as const;
type Section = (typeof SECTIONS)[number];

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    /** e2e: score on this route of config/routes.json (e.g. `search` = DIEN). */
    route: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log('npm run bench [-- core] [--only compute|e2e|footprint|training] [--quick] [--route <route>]');
  process.exit(0);
}
const only = args.only?.split(',').map((s) => s.trim());
for (const s of only ?? []) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`--only: unknown section "${s}" (${SECTIONS.join(', ')})`);
const sections = SECTIONS.filter((s) => !only || only.includes(s));
const quick = args.quick;

const log = (line: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
const started = performance.now();
const system = systemInfo();
const loads: LoadSample[] = [loadSample('start')];
const results: SectionResults & { training?: TrainingResults } = {};
const errors: Partial<Record<Section, string>> = {};

for (const section of sections) {
  loads.push(loadSample(`${section} start`));
  const t0 = performance.now();
  try {
    if (section === 'compute') results.compute = await runCompute(computeSettings(quick), log);
    if (section === 'e2e') results.endToEnd = await runEndToEnd(endToEndSettings(quick, args.route), log);
    if (section === 'footprint') results.footprint = runFootprint(log);
    if (section === 'training') results.training = await runTraining(trainingSettings(quick), log);
  } catch (err) {
    errors[section] = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`${section} failed: ${errors[section]}`);
  }
  log(`${section}: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
loads.push(loadSample('end'));

const seconds = (performance.now() - started) / 1000;
const date = new Date().toISOString().slice(0, 10);
const targets = checkTargets(results);
const full = !quick && sections.length === SECTIONS.length;
const markdown = [
  renderHeader({ date, system, loads, seconds, quick, sections }),
  results.compute && renderCompute(results.compute),
  results.endToEnd && renderEndToEnd(results.endToEnd, computeReference()),
  results.footprint && renderFootprint(results.footprint),
  results.training && renderTraining(results.training),
  renderTargets(full ? targets : targets.filter((t) => t.status !== 'not measured')),
  ...Object.entries(errors).map(([s, e]) => `## ${s}: failed\n\n\`\`\`\n${e}\n\`\`\``),
]
  .filter(Boolean)
  .join('\n\n');
console.log(markdown);

/** The served model's compute p50 at the end-to-end request shape, if section 1 ran. */
function computeReference(): { wasmP50Ms: number; nativeP50Ms: number } | undefined {
  const e = results.endToEnd;
  const cell = e && results.compute?.grid.find((c) => e.model.startsWith(`${c.model}@`) && c.H === e.settings.H && c.C === e.settings.C);
  return cell ? { wasmP50Ms: cell.wasm.p50Ms, nativeP50Ms: cell.native.p50Ms } : undefined;
}

const name = `${date}${sections.length === SECTIONS.length ? '' : `-${sections.join('-')}`}${args.route ? `-${args.route}` : ''}${quick ? '-quick' : ''}`;
const dir = quick ? join(tmpdir(), 'interest-edge-bench') : join(REPO_ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
const noisy = loads[0].loadAverage[0] > NOISY_LOAD; // the machine's load before the run (later samples include ours)
const json = { date, quick, sections, seconds, system, loadAverages: loads, noisy, targets, ...results, errors };
writeFileSync(join(dir, `${name}.json`), JSON.stringify(json, null, 1) + '\n');
writeFileSync(join(dir, `${name}.md`), markdown + '\n');
const shown = quick ? dir : relative(process.cwd(), dir) || '.';
log(`written ${join(shown, name)}.json and .md (${seconds.toFixed(0)} s)`);
process.exit(Object.keys(errors).length > 0 ? 1 : 0);
