/**
 * Train one model on any data source and (optionally) export it.
 *
 *   npm run train -- --model din --epochs 4 --seed 1 --out models/din-movielens      (vendored MovieLens)
 *   npm run train -- --data path/to/csvs --out models/din-shop                        (Personalize layout)
 *   npm run train -- --source amazon --data reviews_Electronics_5.json.gz --protocol din
 *
 * Without --out only metrics are printed. stdout gets a short summary (samples, users, items,
 * dropped rows, split, metrics, kept epoch, export); --results file.json gets the full run (every
 * epoch, the config). The model is named after --out's folder (the worker serves models/<name>/)
 * unless --name says otherwise. The data options (docs/data-sources.md): --source, --data,
 * --config (default <data>/dataset.json), --category. On one's own data (--data or --config),
 * 10 % of the training users are held out to stop early and keep the best epoch
 * (--validation-fraction, --patience; --epochs is then the maximum).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FIRST_INDEX } from '../contract/featureContract.js';
import { modelManifestSchema, MODEL_TYPES, MULTI_TASK_TYPES, type ModelType } from '../contract/manifest.js';
import { MODEL_KINDS } from '../model-export/models/kinds.js';
import { PROTOCOLS, type Protocol } from '../model-export/samples/protocols.js';
import { SOURCE_NAMES } from '../model-export/sources/datasetConfig.js';
import { datasetIdentity, describeDatasetConfig, loadDataset, resolveDatasetConfig, SOURCES, type LoadedDataset } from '../model-export/sources/registry.js';
import { selectBackend, BACKEND_PREFERENCE, type BackendName } from '../model-export/train/backend.js';
import { BASELINE_KINDS, BASELINES, baselineUnsupported, type BaselineKind } from '../model-export/train/baselines.js';
import { keptEpoch, type EvalReport } from '../model-export/train/fit.js';
import type { PreparedData } from '../model-export/train/pipeline.js';
import { DEFAULT_PATIENCE, DEFAULT_RUN, prepareRun, trainRun, type RunConfig, type RunResult } from '../model-export/train/run.js';
import { exportModel, servingBytes } from '../model-export/onnx/exportModel.js';
import { onnxTestMetrics } from '../model-export/train/onnxEvaluation.js';
import { openStreamedDataset, usesEngine, type Engine } from '../model-export/sources/personalizeStream.js';
import { trainStreamedRun } from '../model-export/train/streamedRun.js';
import { DEFAULT_MAX_USER_BEHAVIOURS } from '../model-export/data/behaviourLog.js';

/** With a validation split, --epochs is a maximum: its default is larger than the fixed-epoch default. */
const DEFAULT_MAX_EPOCHS = 10;
/** Share of the training users held out for early stopping when training on one's own data. */
const DEFAULT_VALIDATION_FRACTION = 0.1;

const { values: a } = (() => {
  try {
    return parseArgs({
      options: {
        model: { type: 'string', default: 'din' },
        protocol: { type: 'string' },
        source: { type: 'string' },
        config: { type: 'string' },
        category: { type: 'string' },
        'dataset-name': { type: 'string' },
        seed: { type: 'string', default: '1' },
        epochs: { type: 'string' },
        'validation-fraction': { type: 'string' },
        patience: { type: 'string' },
        'batch-size': { type: 'string', default: String(DEFAULT_RUN.batchSize) },
        lr: { type: 'string', default: String(DEFAULT_RUN.learningRate) },
        'max-history': { type: 'string' },
        'min-item-count': { type: 'string' },
        'max-items': { type: 'string' },
        'hashed-items': { type: 'string' },
        'embedding-dim': { type: 'string', default: String(DEFAULT_RUN.embeddingDim) },
        activation: { type: 'string' },
        'aux-weight': { type: 'string' },
        l2: { type: 'string' },
        label: { type: 'string' },
        'task-weights': { type: 'string' },
        backbone: { type: 'string' },
        'attention-hidden': { type: 'string' },
        quantize: { type: 'string' },
        'item-rows': { type: 'string', default: 'auto' },
        backend: { type: 'string' },
        'dense-embeddings': { type: 'boolean' },
        engine: { type: 'string' },
        'memory-limit': { type: 'string' },
        data: { type: 'string' },
        out: { type: 'string' },
        name: { type: 'string' },
        results: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
})();

if (a.help) {
  console.log(`usage: npm run train -- [--model ${MODEL_TYPES.join('|')}|${BASELINE_KINDS.join('|')}] [--seed N] [--epochs N]
  data: [--source ${SOURCE_NAMES.join('|')}] [--data dir|file] [--config dataset.json] [--protocol ${PROTOCOLS.join('|')}] [--category COLUMN] [--dataset-name NAME]
${Object.values(SOURCES).map((src) => `    ${src.name}: ${src.dataHelp}; protocols ${src.protocols.join(', ')} (default ${src.defaultProtocol})`).join('\n')}
    a dataset.json inside --data is used unless --config names another; the first log line says which
  early stopping: [--validation-fraction F (share of the training users held out; default ${DEFAULT_VALIDATION_FRACTION} with --data or --config, 0 = off, the default on the vendored MovieLens)] [--patience N (epochs without a better validation GAUC; default ${DEFAULT_PATIENCE})]
    --epochs: fixed epochs without validation (default ${DEFAULT_RUN.epochs}), the maximum with it (default ${DEFAULT_MAX_EPOCHS}); the best epoch's weights are kept, exported and tested
  multi-task (${MULTI_TASK_TYPES.join(', ')}; click + conversion, ESMM): [--backbone din|dien] [--task-weights w_ctr,w_ctcvr (default 1,1)]; single-task: [--label click|conversion]
  no model (test metrics only, no export): ${BASELINE_KINDS.map((k) => `--model ${k} (${BASELINES[k].description}${BASELINES[k].protocols ? `; protocol ${BASELINES[k].protocols!.join(', ')}` : ''})`).join(', ')}
  item ids: a vocabulary of the items seen ≥ --min-item-count times (default), [--max-items N (only the N most frequent of them; the rest OOV)],
    or [--hashed-items ROWS (no vocabulary: ids hashed, embedded by quotient-remainder tables of ROWS rows in all; contract format 3; not lr)]
  [--batch-size N] [--lr X] [--max-history H] [--min-item-count N] [--embedding-dim D] [--activation dice|prelu] [--attention-hidden h1,h2 (din, dien; default 80,40)] [--aux-weight α (dien)] [--l2 λ (mini-batch aware L2, paper: 0.01)] [--quantize int8 (int8 weights in the export; DIN also int8 attention products)]
  [--item-rows auto|graph|store (where the exported item rows live: in the ONNX graph, or int8 shards in <out>/rows/ read per request (docs/catalogues.md); auto: the store once the item table passes 16 MiB)]
  [--dense-embeddings (update every row of the item embedding tables each step, the former path; default: sparse, only the batch's rows, lazy Adam)]
  out of core (docs/data-sources.md, "Parquet and out-of-core preparation"): Parquet or sharded layouts stream from DuckDB; [--engine memory|duckdb (duckdb: CSV too)] [--memory-limit 1GB (DuckDB's; sorts spill past it)]
  [--backend ${BACKEND_PREFERENCE.join('|')}] [--out models/<name> (export; the model is named after the folder)] [--name <model name> (default: --out's folder name)] [--results file.json (the full run: every epoch, the config)]`);
  process.exit(0);
}

/** Bad arguments: one line naming the option, exit code 2. */
function fail(message: string): never {
  console.error(`train: ${message} (see --help)`);
  process.exit(2);
}
function int(name: string, v: string | undefined, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got "${v}"`);
  return n;
}
function positive(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) fail(`--${name} must be a positive number, got "${v}"`);
  return n;
}
function taskWeights(v: string): [number, number] {
  const w = v.split(',').map(Number);
  if (w.length !== 2 || !w.every((x) => Number.isFinite(x) && x >= 0) || w[0] + w[1] === 0) fail(`--task-weights must be two non-negative numbers "w_ctr,w_ctcvr", got "${v}"`);
  return [w[0], w[1]];
}
function attentionHidden(v: string): [number, number] {
  const h = v.split(',').map(Number);
  if (h.length !== 2 || !h.every((x) => Number.isInteger(x) && x >= 1)) fail(`--attention-hidden must be two positive integers "h1,h2", got "${v}"`);
  return [h[0], h[1]];
}
function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) fail(`--${name} must be one of ${allowed.join(', ')}, got "${v}"`);
  return v as T;
}
function fraction(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n >= 1) fail(`--${name} must be a number ≥ 0 and < 1, got "${v}"`);
  return n;
}
const isModelName = (name: string) => modelManifestSchema.shape.name.safeParse(name).success;
/** A valid model name close to `name`, for the hint. */
const modelNameLike = (name: string) => name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'my-model';

// Everything the arguments alone decide is checked before the data is read and the model trained.
if (a.protocol !== undefined) oneOf<Protocol>('protocol', a.protocol, PROTOCOLS);
const kind = oneOf<ModelType | BaselineKind>('model', a.model, [...MODEL_TYPES, ...BASELINE_KINDS]);
const baseline = (BASELINE_KINDS as readonly string[]).includes(kind) ? (kind as BaselineKind) : undefined;
if (baseline && a.out) fail(`--model ${baseline} is a baseline without a model: nothing to export, drop --out (it prints test metrics, and --results writes them)`);
if (a['hashed-items'] !== undefined && a['max-items'] !== undefined) fail('--hashed-items replaces the item vocabulary: drop --max-items');
if (a['hashed-items'] !== undefined && kind === 'lr') fail('--hashed-items needs embeddings to compose (base, din, dien or a multi-task kind): lr learns one weight per item');
const quantize = a.quantize !== undefined ? oneOf('quantize', a.quantize, ['int8'] as const) : undefined;
const itemRows = oneOf('item-rows', a['item-rows'] ?? 'auto', ['auto', 'graph', 'store'] as const);
if (itemRows === 'store' && !MODEL_KINDS[kind as ModelType]?.externalItemRows) fail(`--item-rows store is not implemented for --model ${kind}`);
if (quantize && !a.out) fail('--quantize applies to the export: give --out');
if (quantize && !MODEL_KINDS[kind as ModelType].int8) fail(`--quantize int8 is not implemented for --model ${kind}`);
if (a.name !== undefined && !a.out) fail('--name names the exported model: give --out');
// The worker serves models/<name>/ and refuses a manifest whose name is not its folder's.
const folder = a.out !== undefined ? basename(resolve(a.out)) : undefined;
if (a.name !== undefined && !isModelName(a.name)) fail(`--name "${a.name}" is not a valid model name (lowercase letters, digits and dashes, starting with a letter or digit), e.g. --name ${modelNameLike(a.name)}`);
if (folder !== undefined && a.name === undefined && !isModelName(folder)) {
  const like = modelNameLike(folder);
  fail(`--out ${a.out}: the model is named after its folder, and "${folder}" is not a valid model name (lowercase letters, digits and dashes, starting with a letter or digit): export to --out ${join(dirname(a.out!), like)} (the worker serves a model from the folder of its name), or name it with --name ${like}`);
}
const modelName = a.name ?? folder;
if (a.name !== undefined && folder !== undefined && a.name !== folder) {
  console.error(`train: note: the model is named "${a.name}" but exported to a folder named "${folder}": the worker serves models/<name>/ and will refuse ${a.out} until it is renamed to ${a.name}`);
}
// Early stopping: on by default for one's own data; off on the vendored MovieLens, so the README's
// retrain commands reproduce the shipped models.
const ownData = a.data !== undefined || a.config !== undefined;
const validationFraction = baseline ? 0 : a['validation-fraction'] !== undefined ? fraction('validation-fraction', a['validation-fraction']) : ownData ? DEFAULT_VALIDATION_FRACTION : 0;
if (a.patience !== undefined && validationFraction === 0) fail('--patience applies to early stopping: it needs a validation split (--validation-fraction > 0)');
const patience = a.patience !== undefined ? int('patience', a.patience) : DEFAULT_PATIENCE;
const epochs = a.epochs !== undefined ? int('epochs', a.epochs) : validationFraction > 0 ? DEFAULT_MAX_EPOCHS : DEFAULT_RUN.epochs;

const datasetFlags = { source: a.source, data: a.data, config: a.config, name: a['dataset-name'], protocol: a.protocol, category: a.category };
console.error(describeDatasetConfig(datasetFlags));
const engine = a.engine !== undefined ? oneOf<Engine>('engine', a.engine, ['memory', 'duckdb']) : undefined;
if (a['memory-limit'] !== undefined && engine === 'memory') fail('--memory-limit is DuckDB\'s: it applies to the out-of-core engine');
const streamed = (() => {
  try {
    return usesEngine(resolveDatasetConfig(datasetFlags), engine);
  } catch (err) {
    console.error(`train: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
})();
if (streamed) {
  await trainStreamed();
  process.exit(process.exitCode ?? 0);
}
const { dataset, datasetId } = await (async () => {
  try {
    const datasetConfig = resolveDatasetConfig(datasetFlags);
    return { dataset: await loadDataset(datasetConfig, { progress: process.stderr.isTTY === true }), datasetId: datasetIdentity(datasetConfig) };
  } catch (err) {
    // Bad data or config: one line naming the file, the column or the field.
    console.error(`train: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
})();
console.error(`data: ${dataset.source} ${dataset.config.data} → ${dataset.log.timelines.size} users, protocol ${dataset.protocol}, split ${JSON.stringify(dataset.config.split)}${dataset.droppedUsers ? `, ${dataset.droppedUsers} users with too few behaviours dropped` : ''}`);
console.error(`data stats: ${JSON.stringify(dataset.stats)}`);

const unsupported = baseline && baselineUnsupported(baseline, dataset.protocol);
if (unsupported) fail(unsupported);

// a baseline prepares the data as any model does
const config = runConfigOf(baseline ? 'base' : (kind as ModelType), { ...dataset.prepare, protocol: dataset.protocol }, datasetId);

if (baseline) {
  // No model: the run's data, scored by the baseline on the test split.
  const started = performance.now();
  const data = prepareRun(dataset, config);
  const metrics = BASELINES[baseline].evaluate(data);
  const seconds = (performance.now() - started) / 1000;
  const { model: _model, epochs: _epochs, batchSize: _b, learningRate: _lr, embeddingDim: _d, ...prepared } = config;
  writeResults({ baseline, config: prepared, ...metrics, trainSamples: data.train.size, testSamples: data.test.size, seconds });
  console.log(summary(dataset, data, config, { baseline, metrics, seconds }));
  process.exit(0);
}

const backend = await selectBackend(a.backend ? oneOf<BackendName>('backend', a.backend, BACKEND_PREFERENCE) : undefined);
const { result, model, data } = await trainRun(dataset, config, backend);
// The model holds the kept epoch's weights (the last one without early stopping): its metrics are the run's.
const kept = keptEpoch(result.epochs);
writeResults(result);
let exported: string | undefined;
if (a.out) {
  const name = modelName!;
  const manifest = await exportModel(model, data.contract, {
    dir: a.out,
    name,
    metrics: { auc: kept.auc, gauc: kept.gauc, logloss: kept.logloss, ...(kept.tasks ? Object.fromEntries(Object.entries(kept.tasks).flatMap(([t, m]) => [[`${t}Auc`, m.auc], [`${t}Gauc`, m.gauc]])) : {}) },
    training: trainingRecord(config, backend, dataset.log.source, dataset.config, result, kept),
    ...(quantize ? { quantize } : {}),
    itemRows,
    // The artifact's own test-split metrics (onnxruntime-node); for an int8 export also the float32
    // graph's, so the manifest records what the int8 weights cost.
    evaluate: async (bytes, rows) => {
      const shipped = await onnxTestMetrics(bytes, data.test, rows ? { table: rows.servedTable(), dim: rows.spec.dim } : undefined);
      const float32 = quantize ? await onnxTestMetrics((await servingBytes(model)).bytes, data.test) : undefined;
      return { onnxAuc: shipped.auc, onnxGauc: shipped.gauc, ...(float32 ? { float32OnnxAuc: float32.auc, float32OnnxGauc: float32.gauc } : {}) };
    },
  });
  console.error(`exported ${name} ${manifest.version} → ${a.out} (${manifest.onnx.bytes} bytes, sha256 ${manifest.onnx.sha256.slice(0, 12)}…)`);
  const onnx = manifest.metrics;
  const store = manifest.itemRows ? `; item rows outside the graph: ${count(manifest.itemRows.items)} rows in ${count(manifest.itemRows.shards)} shards, ${count(manifest.itemRows.bytes)} bytes` : '';
  exported = `${name} ${manifest.version} → ${a.out} (${count(manifest.onnx.bytes)} bytes${quantize ? `, ${quantize}` : ''}${store}; the ONNX graph's own test AUC ${fixed(onnx.onnxAuc)}, GAUC ${fixed(onnx.onnxGauc)})`;
}
console.log(summary(dataset, data, config, { result, backend, exported }));

function writeResults(value: object): void {
  if (!a.results) return;
  mkdirSync(dirname(a.results), { recursive: true });
  writeFileSync(a.results, JSON.stringify(value, null, 2) + '\n');
}

/** A path relative to the working directory when it lies inside it, else absolute. */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? resolve(path) : rel;
}
/** The dropped line's note on users with no negative to draw (negativeSampler.ts coversPool). */
function noNegativeText(users: number): string {
  return `the samples of ${count(users)} user${users > 1 ? 's' : ''} who touched every item of the training catalogue (no negative to draw; positions with impressions kept)`;
}

/** The dropped line's note on users cut to their recent behaviours (dataset config maxUserBehaviours). */
function cappedText(users: number, max: number | undefined): string {
  return `the older behaviours of ${count(users)} user${users > 1 ? 's' : ''} over ${count(max ?? DEFAULT_MAX_USER_BEHAVIOURS)} (maxUserBehaviours)`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
function fixed(x: number | undefined): string {
  return x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(4);
}

/** How item ids became rows, and how many rows the item embedding costs. */
function itemIdsText(data: PreparedData, c: RunConfig): string {
  const hashed = data.contract.hashedItems;
  if (hashed) return `hashed into ${count(hashed.buckets)} buckets, quotient-remainder m = ${hashed.remainder}: ${count(data.contract.itemRows)} embedding rows`;
  const most = c.maxItems !== undefined ? `, the ${count(c.maxItems)} most frequent kept` : '';
  return `${count(data.contract.itemCount - FIRST_INDEX)} in the vocabulary: seen ≥ ${c.minItemCount} times in training${most}; ${count(data.contract.itemRows)} embedding rows`;
}

/** Split of the samples in words: the dataset's user or time split, or the din/dien protocol's own. */
function splitText(d: LoadedDataset): string {
  if (d.protocol === 'din') return "the DIN protocol's: each user's last behaviour is the test pair";
  if (d.protocol === 'dien') return "the DIEN protocol's: users 9:1 by a hash of the id, one pair per user";
  const s = d.config.split;
  if (s.by === 'time') return `by time: behaviours of the last ${s.lastDays} days are test samples`;
  return s.assign === 'modulo' ? `by user: user id mod ${Math.round(1 / s.testFraction)} == 0 in test` : `by user: ${100 * s.testFraction} % of users in test (hash of the id)`;
}

/**
 * The human summary on stdout: what was read and dropped, the split, the samples, which epoch the
 * model ends with, its test metrics (per task for multi-task runs) and the export. The full run is
 * what --results writes.
 */
function summary(
  d: LoadedDataset,
  data: PreparedData,
  c: RunConfig,
  run: { baseline: BaselineKind; metrics: { auc: number; gauc: number }; seconds: number } | { result: RunResult; backend: string; exported?: string },
): string {
  const items = new Set<string>();
  for (const timeline of d.log.timelines.values()) for (const b of timeline) items.add(b.item);
  const users = (x: { userIds: readonly string[] }) => `${count(x.userIds.length)} users`;
  const dropped = [
    d.malformed.rows > 0 ? `${count(d.malformed.rows)} malformed row${d.malformed.rows > 1 ? 's' : ''} (first: ${d.malformed.first})` : undefined,
    d.droppedUsers > 0 ? `${count(d.droppedUsers)} user${d.droppedUsers > 1 ? 's' : ''} with fewer than ${d.config.minUserBehaviours ?? 2} behaviours` : undefined,
    d.cappedUsers > 0 ? cappedText(d.cappedUsers, d.config.maxUserBehaviours) : undefined,
    data.noNegativeUsers ? noNegativeText(data.noNegativeUsers.size) : undefined,
  ].filter((x) => x !== undefined);
  const validation = data.validation;
  const what = 'baseline' in run ? `${run.baseline} baseline (no model)` : c.model;
  const lines = [
    `${what} on ${d.source} ${shortPath(d.config.data)} (${d.log.source}), protocol ${c.protocol}, seed ${c.seed}`,
    `  data      ${count(d.log.timelines.size)} users, ${count(items.size)} items (${itemIdsText(data, c)})`,
    `  dropped   ${dropped.length ? dropped.join('; ') : 'nothing'}`,
    `  split     ${splitText(d)}${validation ? `; validation: ${100 * c.validationFraction!} % of the training users (hash of the id)` : ''}`,
    `  samples   train ${count(data.train.size)} (${users(data.train)})${validation ? ` · validation ${count(validation.size)} (${users(validation)})` : ''} · test ${count(data.test.size)} (${users(data.test)})`,
  ];
  if ('baseline' in run) {
    lines.push(`  test      AUC ${fixed(run.metrics.auc)} · GAUC ${fixed(run.metrics.gauc)} (scores are not probabilities: no logloss)`);
    lines.push(`  export    none (a baseline has no model)${a.results ? `; results → ${a.results}` : ''}`);
    return lines.join('\n');
  }
  const { result } = run;
  const kept = keptEpoch(result.epochs);
  const ran = result.epochs.length;
  if (result.keptEpoch !== undefined) {
    const stopped = ran - kept.epoch >= c.patience!;
    const why = stopped ? `stopped after epoch ${ran}: no better validation GAUC for ${c.patience} epoch${c.patience! > 1 ? 's' : ''}` : `all ${c.epochs} epochs ran (the maximum: more may help, --epochs)`;
    lines.push(`  epochs    kept epoch ${kept.epoch} of ${ran} (validation GAUC ${fixed(kept.validation?.gauc)}); ${why}`);
  } else {
    const why = c.validationFraction ? 'the validation slice holds no sample' : ownData ? '--validation-fraction 0' : 'the vendored MovieLens trains fixed epochs; --validation-fraction 0.1 stops early';
    lines.push(`  epochs    ${ran}, fixed (${why})`);
  }
  lines.push(`  test      AUC ${fixed(kept.auc)} · GAUC ${fixed(kept.gauc)} · logloss ${fixed(kept.logloss)}${c.label === 'conversion' ? ' (label: click ∧ conversion)' : ''}`);
  const multiTask = result.modelConfig.multiTask !== undefined || c.label === 'conversion';
  if (multiTask && kept.tasks) {
    const task = (t: keyof NonNullable<EvalReport['tasks']>, label: string) => `${label} AUC ${fixed(kept.tasks![t].auc)} GAUC ${fixed(kept.tasks![t].gauc)}`;
    lines.push(`  tasks     ${task('ctr', 'ctr')} · ${task('cvr', 'cvr (clicked samples)')} · ${task('ctcvr', 'ctcvr')}`);
  }
  lines.push(`  speed     ${count(Math.round(kept.samplesPerSecond))} samples/s (${run.backend}), ${result.seconds.toFixed(0)} s in all`);
  lines.push(`  export    ${run.exported ?? 'none (give --out models/<name>)'}${a.results ? `; results → ${a.results}` : ''}`);
  return lines.join('\n');
}

/** The manifest's `training` record: the run's configuration, where its data came from, its sizes and speed. */
function trainingRecord(config: RunConfig, backend: string, source: string, datasetConfig: { data: string }, result: RunResult, kept: { samplesPerSecond: number }): Record<string, unknown> {
  return {
    ...config,
    backend,
    source,
    dataset: { ...datasetConfig, data: relative(process.cwd(), datasetConfig.data) || '.' },
    trainSamples: result.trainSamples,
    testSamples: result.testSamples,
    ...(result.keptEpoch !== undefined ? { validationSamples: result.validationSamples, keptEpoch: result.keptEpoch, epochsRun: result.epochs.length } : {}),
    samplesPerSecond: kept.samplesPerSecond,
  };
}

/** The run configuration the flags give, over a dataset's protocol and its config's history length and count defaults. */
function runConfigOf(model: ModelType, d: { protocol: Protocol; maxHistory?: number; minItemCount?: number }, datasetId: string | undefined): RunConfig {
  return {
    model,
    protocol: d.protocol,
    seed: int('seed', a.seed, 0),
    epochs,
    batchSize: int('batch-size', a['batch-size']),
    learningRate: positive('lr', a.lr),
    maxHistory: a['max-history'] !== undefined ? int('max-history', a['max-history']) : (d.maxHistory ?? DEFAULT_RUN.maxHistory),
    minItemCount: a['min-item-count'] !== undefined ? int('min-item-count', a['min-item-count']) : (d.minItemCount ?? DEFAULT_RUN.minItemCount),
    embeddingDim: int('embedding-dim', a['embedding-dim']),
    ...(a['max-items'] !== undefined ? { maxItems: int('max-items', a['max-items']) } : {}),
    ...(a['hashed-items'] !== undefined ? { hashedItems: int('hashed-items', a['hashed-items'], 4) } : {}),
    ...(a.activation ? { activation: oneOf('activation', a.activation, ['dice', 'prelu'] as const) } : {}),
    ...(a['aux-weight'] !== undefined ? { auxWeight: a['aux-weight'] === '0' ? 0 : positive('aux-weight', a['aux-weight']) } : {}),
    ...(a.l2 !== undefined ? { l2: positive('l2', a.l2) } : {}),
    ...(a.label !== undefined ? { label: oneOf('label', a.label, ['click', 'conversion'] as const) } : {}),
    ...(a.backbone !== undefined ? { backbone: oneOf('backbone', a.backbone, ['din', 'dien'] as const) } : {}),
    ...(a['task-weights'] !== undefined ? { taskWeights: taskWeights(a['task-weights']) } : {}),
    ...(a['attention-hidden'] !== undefined ? { attentionHidden: attentionHidden(a['attention-hidden']) } : {}),
    ...(datasetId !== undefined ? { dataset: datasetId } : {}),
    ...(validationFraction > 0 ? { validationFraction, patience } : {}),
    ...(a['dense-embeddings'] ? { denseEmbeddings: true } : {}),
  };
}

/**
 * The out-of-core path: the personalize layout through DuckDB, batches streamed into the fit
 * (model-export/train/streamedRun.ts); the same dataset config, the run options that apply.
 */
async function trainStreamed(): Promise<void> {
  if (baseline) fail(`--model ${baseline}: baselines need the in-memory data (--engine memory, a CSV layout)`);
  const datasetConfig = resolveDatasetConfig(datasetFlags);
  const datasetId = datasetIdentity(datasetConfig);
  let dataset;
  try {
    dataset = await openStreamedDataset(datasetConfig, { validationFraction, ...(a['memory-limit'] ? { memoryLimit: a['memory-limit'] } : {}), log: (line) => console.error(`data: ${line}`) });
  } catch (err) {
    console.error(`train: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  const s = dataset.stats;
  console.error(`data: personalize ${datasetConfig.data} (out of core) → ${count(s.userCount)} users, ${count(s.itemCount)} items, protocol ${dataset.protocol}, split ${JSON.stringify(dataset.config.split)}${s.droppedUsers ? `, ${s.droppedUsers} users with too few behaviours dropped` : ''}${dataset.malformed.rows ? `, ${count(dataset.malformed.rows)} malformed rows (first: ${dataset.malformed.first})` : ''}`);
  const config = runConfigOf(kind as ModelType, dataset, datasetId);
  const backend = await selectBackend(a.backend ? oneOf<BackendName>('backend', a.backend, BACKEND_PREFERENCE) : undefined);
  try {
    const { result, model, data } = await trainStreamedRun(dataset, config, backend, { log: (line) => console.error(`data: ${line}`) });
    const kept = keptEpoch(result.epochs);
    writeResults({ ...result, engine: 'duckdb', stats: s });
    let exported = 'none (give --out models/<name>)';
    if (a.out) {
      const name = modelName!;
      const manifest = await exportModel(model, data.contract, {
        dir: a.out,
        name,
        metrics: { auc: kept.auc, gauc: kept.gauc, logloss: kept.logloss },
        training: trainingRecord(config, backend, `personalize-${dataset.name}`, dataset.config, result, kept),
        ...(quantize ? { quantize } : {}),
        itemRows,
        evaluate: async (bytes, rows) => {
          const shipped = await onnxTestMetrics(bytes, data.test, rows ? { table: rows.servedTable(), dim: rows.spec.dim } : undefined);
          return { onnxAuc: shipped.auc, onnxGauc: shipped.gauc };
        },
      });
      exported = `${name} ${manifest.version} → ${a.out} (${count(manifest.onnx.bytes)} bytes; the ONNX graph's own test AUC ${fixed(manifest.metrics.onnxAuc)}, GAUC ${fixed(manifest.metrics.onnxGauc)})`;
    }
    console.log(
      [
        `${config.model} on personalize ${shortPath(dataset.config.data)} (out of core, DuckDB), protocol ${config.protocol}, seed ${config.seed}`,
        `  data      ${count(s.userCount)} users, ${count(s.itemCount)} items (${count(data.contract.itemCount - FIRST_INDEX)} in the vocabulary: seen ≥ ${config.minItemCount} times in training)`,
        `  dropped   ${[dataset.malformed.rows ? `${count(dataset.malformed.rows)} malformed rows (first: ${dataset.malformed.first})` : undefined, s.droppedUsers ? `${count(s.droppedUsers)} users with too few behaviours` : undefined, s.cappedUsers ? cappedText(s.cappedUsers, dataset.config.maxUserBehaviours) : undefined, data.noNegativeUsers.size ? noNegativeText(data.noNegativeUsers.size) : undefined].filter(Boolean).join('; ') || 'nothing'}`,
        `  samples   train ${count(result.trainSamples)} per epoch (${count(data.train.users)} users, streamed)${data.validation ? ` · validation ${count(data.validation.size)}` : ''} · test ${count(data.test.size)} (${count(data.test.userIds.length)} of ${count(dataset.users.test)} test users${data.test.userIds.length < dataset.users.test ? ', capped' : ''})`,
        `  epochs    ${result.epochs.length}${result.keptEpoch !== undefined ? `, kept epoch ${kept.epoch} (validation GAUC ${fixed(kept.validation?.gauc)})` : ', fixed'}`,
        `  test      AUC ${fixed(kept.auc)} · GAUC ${fixed(kept.gauc)} · logloss ${fixed(kept.logloss)}`,
        `  speed     ${count(Math.round(kept.samplesPerSecond))} samples/s (${backend}), ${result.seconds.toFixed(0)} s in all`,
        `  export    ${exported}${a.results ? `; results → ${a.results}` : ''}`,
      ].join('\n'),
    );
  } catch (err) {
    console.error(`train: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  } finally {
    dataset.engine.close();
  }
}
