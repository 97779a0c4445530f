/**
 * Train every model of an experiment config over its seeds and write a DIN-paper-style table
 * (AUC / GAUC mean ± std, RelaImpr against the baseline) to experiments/results/<name>.md.
 *
 *   npm run experiment -- experiments/movielens-next.json [--only <model id>] [--force]
 *   (`--only <baseline>` trains nothing: the table is rebuilt from the stored runs and the
 *   baselines, which need no training — e.g. after adding one to the config's `baselines`)
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
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { slug } from '../model-export/data/personalize.js';
import { datasetIdentity, describeDatasetConfig, loadDataset } from '../model-export/sources/registry.js';
import { selectBackend } from '../model-export/train/backend.js';
import { BASELINES, baselineUnsupported } from '../model-export/train/baselines.js';
import { experimentDataset, experimentRows, markdownTable, readExperiment, runConfigOf, runFile, storedRun, taskTable } from '../model-export/train/experiments.js';
import { meanStd } from '../model-export/train/metrics.js';
import { DEFAULT_PATIENCE, DEFAULT_RUN, prepareRun, trainRun } from '../model-export/train/run.js';

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
const flags = { source: values.source, data: values.data, config: values.config };
const datasetConfig = experimentDataset(exp, flags);
const baselines = exp.baselines ?? ['popularity'];
if (values.only !== undefined && !exp.models.some((m) => m.id === values.only) && !(baselines as string[]).includes(values.only)) {
  console.error(`experiment: --only ${values.only}: ${positionals[0]} has no model or baseline with that id (${[...baselines, ...exp.models.map((m) => m.id)].join(', ')})`);
  process.exit(2);
}
for (const kind of baselines) {
  const why = baselineUnsupported(kind, datasetConfig.protocol!);
  if (why) {
    console.error(`experiment: ${positionals[0]}: ${why}`);
    process.exit(2);
  }
}
// Which dataset config applies: the experiment's own "dataset" (inline or a file), and the flags' (whose fields win).
const ownDataset = (JSON.parse(readFileSync(positionals[0], 'utf8')) as { dataset?: unknown }).dataset;
const flagsGiven = Object.values(flags).some((v) => v !== undefined);
if (ownDataset !== undefined) console.error(`dataset config: ${typeof ownDataset === 'string' ? join(dirname(positionals[0]), ownDataset) : `${positionals[0]} ("dataset")`}${flagsGiven ? ', under the flags below' : ''}`);
if (flagsGiven || ownDataset === undefined) console.error(describeDatasetConfig(flags));
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
// The baselines need no training: evaluated on each seed's test samples.
const scores = exp.seeds.map((seed) => {
  const data = prepareRun(dataset, { ...DEFAULT_RUN, model: 'base', protocol, seed });
  return baselines.map((kind) => BASELINES[kind].evaluate(data));
});
const table = markdownTable(
  [
    ...baselines.map((kind, k) => ({
      id: kind,
      label: BASELINES[kind].label,
      auc: meanStd(scores.map((s) => s[k].auc)),
      gauc: meanStd(scores.map((s) => s[k].gauc)),
      samplesPerSecond: Number.NaN,
      backend: '-',
    })),
    ...rows,
  ],
  exp.baseline,
);
const epochs = exp.validationFraction
  ? `at most ${exp.epochs} epochs (early stopping: ${100 * exp.validationFraction} % of the training users held out, patience ${exp.patience ?? DEFAULT_PATIENCE}), seeds ${exp.seeds.join(', ')}; test-split metrics of the kept epoch`
  : `${exp.epochs} epochs, seeds ${exp.seeds.join(', ')}; test-split metrics after the last epoch`;
const tasks = taskTable(rows, exp.baseline, exp.conversionBaseline ?? exp.baseline);
const report =
  `## ${exp.name}\n\n${exp.description ?? ''}\n\n` +
  `Data \`${dataset.source}\` (${dataset.log.source}), protocol \`${protocol}\`, ${epochs}, ` +
  `mean ± sample std over seeds; RelaImpr (DIN eq. 10) against \`${exp.baseline}\`. Throughput is per process and ` +
  `depends on what else ran on the machine. Re-run: \`npm run experiment -- ${positionals[0]}\`.\n\n` +
  table +
  (tasks ? `\n\n### Per task\n\nA single-task model's one score stands in for every task. RelaImpr (GAUC) of ctr against \`${exp.baseline}\`, of cvr and ctcvr against \`${exp.conversionBaseline ?? exp.baseline}\`.\n\n${tasks}` : '') +
  (missing.length ? `\n\nNot yet run for every seed: ${missing.join(', ')}.` : '') +
  '\n';
console.log(report);
writeFileSync(join(values.out!, `${exp.name}${datasetName}.md`), report);
