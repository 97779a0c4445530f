/**
 * Train one model on any data source and (optionally) export it.
 *
 *   npm run train -- --model din --epochs 4 --seed 1 --out models/din-movielens      (vendored MovieLens)
 *   npm run train -- --data path/to/csvs --out models/din-shop                        (Personalize layout)
 *   npm run train -- --source amazon --data reviews_Electronics_5.json.gz --protocol din
 *
 * Without --out only metrics are printed (and written to --results if given). The data options
 * (docs/data-sources.md): --source, --data, --config (default <data>/dataset.json), --category.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { MODEL_TYPES, MULTI_TASK_TYPES, type ModelType } from '../contract/manifest.js';
import { MODEL_KINDS } from '../model-export/models/kinds.js';
import { PROTOCOLS, type Protocol } from '../model-export/samples/protocols.js';
import { SOURCE_NAMES } from '../model-export/sources/datasetConfig.js';
import { datasetIdentity, loadDataset, resolveDatasetConfig, SOURCES } from '../model-export/sources/registry.js';
import { selectBackend, BACKEND_PREFERENCE, type BackendName } from '../model-export/train/backend.js';
import { DEFAULT_RUN, trainRun } from '../model-export/train/run.js';
import { exportModel, servingBytes } from '../model-export/onnx/exportModel.js';
import { onnxTestMetrics } from '../model-export/train/onnxEvaluation.js';

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
        epochs: { type: 'string', default: String(DEFAULT_RUN.epochs) },
        'batch-size': { type: 'string', default: String(DEFAULT_RUN.batchSize) },
        lr: { type: 'string', default: String(DEFAULT_RUN.learningRate) },
        'max-history': { type: 'string' },
        'min-item-count': { type: 'string' },
        'embedding-dim': { type: 'string', default: String(DEFAULT_RUN.embeddingDim) },
        activation: { type: 'string' },
        'aux-weight': { type: 'string' },
        l2: { type: 'string' },
        label: { type: 'string' },
        'task-weights': { type: 'string' },
        backbone: { type: 'string' },
        'attention-hidden': { type: 'string' },
        quantize: { type: 'string' },
        backend: { type: 'string' },
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
  console.log(`usage: npm run train -- [--model ${MODEL_TYPES.join('|')}] [--seed N] [--epochs N]
  data: [--source ${SOURCE_NAMES.join('|')}] [--data dir|file] [--config dataset.json] [--protocol ${PROTOCOLS.join('|')}] [--category COLUMN] [--dataset-name NAME]
${Object.values(SOURCES).map((src) => `    ${src.name}: ${src.dataHelp}; protocols ${src.protocols.join(', ')} (default ${src.defaultProtocol})`).join('\n')}
  multi-task (${MULTI_TASK_TYPES.join(', ')}; click + conversion, ESMM): [--backbone din|dien] [--task-weights w_ctr,w_ctcvr (default 1,1)]; single-task: [--label click|conversion]
  [--batch-size N] [--lr X] [--max-history H] [--min-item-count N] [--embedding-dim D] [--activation dice|prelu] [--attention-hidden h1,h2 (din, dien; default 80,40)] [--aux-weight α (dien)] [--l2 λ (mini-batch aware L2, paper: 0.01)] [--quantize int8 (int8 weights in the export; DIN also int8 attention products)]
  [--backend ${BACKEND_PREFERENCE.join('|')}] [--out models/<name>] [--name <model name, default <model>-<dataset name>>] [--results file.json]`);
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

if (a.protocol !== undefined) oneOf<Protocol>('protocol', a.protocol, PROTOCOLS);
const { dataset, datasetId } = await (async () => {
  try {
    const datasetConfig = resolveDatasetConfig({ source: a.source, data: a.data, config: a.config, name: a['dataset-name'], protocol: a.protocol, category: a.category });
    return { dataset: await loadDataset(datasetConfig, { progress: process.stderr.isTTY === true }), datasetId: datasetIdentity(datasetConfig) };
  } catch (err) {
    // Bad data or config: one line naming the file, the column or the field.
    console.error(`train: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
})();
console.error(`data: ${dataset.source} ${dataset.config.data} → ${dataset.log.timelines.size} users, protocol ${dataset.protocol}, split ${JSON.stringify(dataset.config.split)}${dataset.droppedUsers ? `, ${dataset.droppedUsers} users with too few behaviours dropped` : ''}`);
console.error(`data stats: ${JSON.stringify(dataset.stats)}`);

const config = {
  model: oneOf<ModelType>('model', a.model, MODEL_TYPES),
  protocol: dataset.protocol,
  seed: int('seed', a.seed, 0),
  epochs: int('epochs', a.epochs),
  batchSize: int('batch-size', a['batch-size']),
  learningRate: positive('lr', a.lr),
  maxHistory: a['max-history'] !== undefined ? int('max-history', a['max-history']) : (dataset.prepare.maxHistory ?? DEFAULT_RUN.maxHistory),
  minItemCount: a['min-item-count'] !== undefined ? int('min-item-count', a['min-item-count']) : (dataset.prepare.minItemCount ?? DEFAULT_RUN.minItemCount),
  embeddingDim: int('embedding-dim', a['embedding-dim']),
  ...(a.activation ? { activation: oneOf('activation', a.activation, ['dice', 'prelu'] as const) } : {}),
  ...(a['aux-weight'] !== undefined ? { auxWeight: a['aux-weight'] === '0' ? 0 : positive('aux-weight', a['aux-weight']) } : {}),
  ...(a.l2 !== undefined ? { l2: positive('l2', a.l2) } : {}),
  ...(a.label !== undefined ? { label: oneOf('label', a.label, ['click', 'conversion'] as const) } : {}),
  ...(a.backbone !== undefined ? { backbone: oneOf('backbone', a.backbone, ['din', 'dien'] as const) } : {}),
  ...(a['task-weights'] !== undefined ? { taskWeights: taskWeights(a['task-weights']) } : {}),
  ...(a['attention-hidden'] !== undefined ? { attentionHidden: attentionHidden(a['attention-hidden']) } : {}),
  ...(datasetId !== undefined ? { dataset: datasetId } : {}),
};

const quantize = a.quantize !== undefined ? oneOf('quantize', a.quantize, ['int8'] as const) : undefined;
if (quantize && !MODEL_KINDS[config.model].int8) fail(`--quantize int8 is not implemented for --model ${config.model}`);
if (quantize && !a.out) fail('--quantize applies to the export: give --out');

const backend = await selectBackend(a.backend ? oneOf<BackendName>('backend', a.backend, BACKEND_PREFERENCE) : undefined);
const { result, model, data } = await trainRun(dataset, config, backend);
const last = result.epochs[result.epochs.length - 1];
console.log(JSON.stringify({ model: config.model, protocol: config.protocol, seed: config.seed, auc: last.auc, gauc: last.gauc, logloss: last.logloss, samplesPerSecond: last.samplesPerSecond }));
if (a.results) {
  mkdirSync(dirname(a.results), { recursive: true });
  writeFileSync(a.results, JSON.stringify(result, null, 2) + '\n');
}
if (a.out) {
  const name = a.name ?? `${config.model}-${dataset.name}`;
  const manifest = await exportModel(model, data.contract, {
    dir: a.out,
    name,
    metrics: { auc: last.auc, gauc: last.gauc, logloss: last.logloss, ...(last.tasks ? Object.fromEntries(Object.entries(last.tasks).flatMap(([t, m]) => [[`${t}Auc`, m.auc], [`${t}Gauc`, m.gauc]])) : {}) },
    training: { ...config, backend, source: dataset.log.source, dataset: { ...dataset.config, data: relative(process.cwd(), dataset.config.data) || '.' }, trainSamples: result.trainSamples, testSamples: result.testSamples, samplesPerSecond: last.samplesPerSecond },
    ...(quantize ? { quantize } : {}),
    // The artifact's own test-split metrics (onnxruntime-node); for an int8 export also the float32
    // graph's, so the manifest records what the int8 weights cost.
    evaluate: async (bytes) => {
      const shipped = await onnxTestMetrics(bytes, data.test);
      const float32 = quantize ? await onnxTestMetrics((await servingBytes(model)).bytes, data.test) : undefined;
      return { onnxAuc: shipped.auc, onnxGauc: shipped.gauc, ...(float32 ? { float32OnnxAuc: float32.auc, float32OnnxGauc: float32.gauc } : {}) };
    },
  });
  console.error(`exported ${name} ${manifest.version} → ${a.out} (${manifest.onnx.bytes} bytes, sha256 ${manifest.onnx.sha256.slice(0, 12)}…)`);
}
