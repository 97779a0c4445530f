/**
 * Train every model of an experiment config over its seeds and write a DIN-paper-style table
 * (AUC / GAUC mean ± std, RelaImpr against the baseline) to experiments/results/<name>.md.
 *
 *   npm run experiment -- experiments/movielens-next.json [--only <model id>] [--force]
 *
 * Each (model, seed) run is stored in experiments/results/<name>/<id>-seed<N>.json and reused
 * while its configuration is unchanged, so long experiments resume where they stopped and models
 * can be trained by separate processes (one per core: `--only din`, `--only dien`, …).
 * `npm run report` turns the stored runs into an HTML report with learning curves.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readMovieLens } from '../model-export/data/movielens.js';
import { selectBackend } from '../model-export/train/backend.js';
import { experimentRows, markdownTable, readExperiment, runConfigOf, runFile, storedRun } from '../model-export/train/experiments.js';
import { meanStd } from '../model-export/train/metrics.js';
import { prepareData } from '../model-export/train/pipeline.js';
import { popularityBaseline } from '../model-export/train/popularity.js';
import { DEFAULT_RUN, trainRun } from '../model-export/train/run.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { only: { type: 'string' }, force: { type: 'boolean', default: false }, out: { type: 'string', default: 'experiments/results' } },
});
if (positionals.length !== 1) {
  console.error('usage: npm run experiment -- <config.json> [--only <model id>] [--force] [--out dir]');
  process.exit(2);
}
const exp = readExperiment(positionals[0]);
const runDir = join(values.out!, exp.name);
mkdirSync(runDir, { recursive: true });

/** Provenance of a stored run: the commit it was trained at (results are reused by config only). */
function codeVersion(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'model-export', 'contract']).toString().trim() !== '';
    return dirty ? `${commit}+uncommitted` : commit;
  } catch {
    return 'unknown';
  }
}
const CODE_VERSION = codeVersion(); // read at start: the code this process runs

let backend: string | undefined;
const log = readMovieLens();
for (const m of exp.models.filter((m) => !values.only || m.id === values.only)) {
  for (const seed of exp.seeds) {
    const config = runConfigOf(exp, m, seed);
    if (!values.force && storedRun(runDir, m.id, config)) {
      console.error(`${m.id} seed ${seed}: stored result reused (${runFile(runDir, m.id, seed)})`);
      continue;
    }
    backend ??= await selectBackend();
    const { result, model } = await trainRun(log, config, backend);
    model.params.dispose();
    writeFileSync(runFile(runDir, m.id, seed), JSON.stringify({ ...result, code: CODE_VERSION }, null, 1) + '\n');
  }
}

// The table covers every model with all its seeds stored.
const { rows, missing } = experimentRows(exp, runDir);
// The popularity baseline needs no training: evaluated on each seed's test samples.
const popularity = exp.seeds.map((seed) => popularityBaseline(prepareData(log, { ...DEFAULT_RUN, protocol: exp.protocol, seed }).test));
const table = markdownTable(
  [
    { id: 'popularity', label: 'popularity (no training)', auc: meanStd(popularity.map((p) => p.auc)), gauc: meanStd(popularity.map((p) => p.gauc)), samplesPerSecond: Number.NaN, backend: '-' },
    ...rows,
  ],
  exp.baseline,
);
const report =
  `## ${exp.name}\n\n${exp.description ?? ''}\n\n` +
  `Protocol \`${exp.protocol}\`, ${exp.epochs} epochs, seeds ${exp.seeds.join(', ')}; test-split metrics after the last epoch, ` +
  `mean ± sample std over seeds; RelaImpr (DIN eq. 10) against \`${exp.baseline}\`. Throughput is per process and ` +
  `depends on what else ran on the machine. Re-run: \`npm run experiment -- ${positionals[0]}\`.\n\n` +
  table +
  (missing.length ? `\n\nNot yet run for every seed: ${missing.join(', ')}.` : '') +
  '\n';
console.log(report);
writeFileSync(join(values.out!, `${exp.name}.md`), report);
