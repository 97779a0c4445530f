/**
 * Train every model of an experiment config over its seeds and write a DIN-paper-style table
 * (AUC / GAUC mean ± std, RelaImpr against the baseline) to experiments/results/<name>.md.
 *
 *   npm run experiment -- experiments/movielens-next.json [--only <model id>] [--force]
 *   npm run experiment -- experiments/movielens-next.json --data path/to/csvs    (same models, your data)
 *
 * The data is the config's `dataset` (docs/data-sources.md), else the vendored MovieLens; the
 * flags --source, --data and --config override it.
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
import { slug } from '../model-export/data/personalize.js';
import { datasetIdentity, loadDataset } from '../model-export/sources/registry.js';
import { selectBackend } from '../model-export/train/backend.js';
import { experimentDataset, experimentRows, markdownTable, readExperiment, runConfigOf, runFile, storedRun, taskTable } from '../model-export/train/experiments.js';
import { meanStd } from '../model-export/train/metrics.js';
import { popularityBaseline } from '../model-export/train/popularity.js';
import { DEFAULT_RUN, prepareRun, trainRun } from '../model-export/train/run.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    only: { type: 'string' },
    force: { type: 'boolean', default: false },
    out: { type: 'string', default: 'experiments/results' },
    source: { type: 'string' },
    data: { type: 'string' },
    config: { type: 'string' },
  },
});
if (positionals.length !== 1) {
  console.error('usage: npm run experiment -- <config.json> [--only <model id>] [--force] [--out dir] [--source name] [--data dir|file] [--config dataset.json]');
  process.exit(2);
}
const exp = readExperiment(positionals[0]);
const datasetConfig = experimentDataset(exp, { source: values.source, data: values.data, config: values.config });
// Runs on other data than the config's are stored apart: <out>/<experiment>/ or <out>/<experiment>-<dataset>/.
const datasetName = values.data !== undefined || values.source !== undefined || values.config !== undefined ? `-${slug(datasetIdentity(datasetConfig) ?? 'movielens')}` : '';
const runDir = join(values.out!, exp.name + datasetName);
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
const dataset = await loadDataset(datasetConfig, { progress: process.stderr.isTTY === true });
const protocol = dataset.protocol;
for (const m of exp.models.filter((m) => !values.only || m.id === values.only)) {
  for (const seed of exp.seeds) {
    const config = runConfigOf(exp, m, seed, datasetConfig);
    if (!values.force && storedRun(runDir, m.id, config)) {
      console.error(`${m.id} seed ${seed}: stored result reused (${runFile(runDir, m.id, seed)})`);
      continue;
    }
    backend ??= await selectBackend();
    const { result, model } = await trainRun(dataset, config, backend);
    model.params.dispose();
    writeFileSync(runFile(runDir, m.id, seed), JSON.stringify({ ...result, code: CODE_VERSION }, null, 1) + '\n');
  }
}

// The table covers every model with all its seeds stored.
const { rows, missing } = experimentRows(exp, runDir, datasetConfig);
// The popularity baseline needs no training: evaluated on each seed's test samples.
const popularity = exp.seeds.map((seed) => popularityBaseline(prepareRun(dataset, { ...DEFAULT_RUN, model: 'base', protocol, seed }).test));
const table = markdownTable(
  [
    { id: 'popularity', label: 'popularity (no training)', auc: meanStd(popularity.map((p) => p.auc)), gauc: meanStd(popularity.map((p) => p.gauc)), samplesPerSecond: Number.NaN, backend: '-' },
    ...rows,
  ],
  exp.baseline,
);
const tasks = taskTable(rows, exp.baseline, exp.conversionBaseline ?? exp.baseline);
const report =
  `## ${exp.name}\n\n${exp.description ?? ''}\n\n` +
  `Data \`${dataset.source}\` (${dataset.log.source}), protocol \`${protocol}\`, ${exp.epochs} epochs, seeds ${exp.seeds.join(', ')}; test-split metrics after the last epoch, ` +
  `mean ± sample std over seeds; RelaImpr (DIN eq. 10) against \`${exp.baseline}\`. Throughput is per process and ` +
  `depends on what else ran on the machine. Re-run: \`npm run experiment -- ${positionals[0]}\`.\n\n` +
  table +
  (tasks ? `\n\n### Per task\n\nA single-task model's one score stands in for every task. RelaImpr (GAUC) of ctr against \`${exp.baseline}\`, of cvr and ctcvr against \`${exp.conversionBaseline ?? exp.baseline}\`.\n\n${tasks}` : '') +
  (missing.length ? `\n\nNot yet run for every seed: ${missing.join(', ')}.` : '') +
  '\n';
console.log(report);
writeFileSync(join(values.out!, `${exp.name}${datasetName}.md`), report);
