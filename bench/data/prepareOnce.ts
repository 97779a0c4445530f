/**
 * One data-pipeline measurement in a fresh process (its peak RSS is its own): read a
 * Personalize-layout directory, prepare samples, assemble the first batch, then train DIN for a
 * bounded number of batches. Prints one JSON line (DataRun) on stdout. bench/data.ts runs it.
 *
 *   node --import tsx bench/data/prepareOnce.ts --data DIR [--batches N] [--epoch]
 */
import { parseArgs } from 'node:util';
import { readLines } from '../../model-export/data/lineReader.js';
import { createModel, defaultConfig } from '../../model-export/models/index.js';
import { loadDataset } from '../../model-export/sources/registry.js';
import { selectBackend } from '../../model-export/train/backend.js';
import { fit } from '../../model-export/train/fit.js';
import { DEFAULT_RUN, prepareRun } from '../../model-export/train/run.js';
import { personalizeFiles } from '../../model-export/data/personalize.js';

export interface DataRun {
  interactions: number;
  users: number;
  /** Reading the raw lines of interactions.csv only (no parsing): the reference for parse speed. */
  rawLinesPerSecond: number;
  readSeconds: number;
  rowsPerSecond: number;
  prepareSeconds: number;
  /** From the start of the read to the first assembled training batch. */
  firstBatchSeconds: number;
  trainSamples: number;
  testSamples: number;
  /** Peak resident set size up to the first batch (before tfjs allocates anything). */
  peakRssReadyBytes: number;
  heapUsedReadyBytes: number;
  training: { backend: string; batches: number; samplesPerSecond: number; seconds: number; fullEpoch: boolean; projectedEpochSeconds: number; peakRssBytes: number };
}

const { values } = parseArgs({ options: { data: { type: 'string' }, batches: { type: 'string', default: '100' }, epoch: { type: 'boolean', default: false } } });
if (!values.data) throw new Error('--data DIR is required');

// Reference: the raw line rate of the same file (gunzip + UTF-8 decode + split on newlines).
const file = personalizeFiles(values.data).interactions;
let lines = 0;
const r0 = performance.now();
for await (const _ of readLines(file, { progress: false })) lines++;
const rawLinesPerSecond = lines / ((performance.now() - r0) / 1000);

const t0 = performance.now();
const dataset = await loadDataset({ data: values.data }, { progress: false });
const readSeconds = (performance.now() - t0) / 1000;
const rows = (dataset.stats as { interactions: { lines: number } }).interactions.lines;
const config = { ...DEFAULT_RUN, model: 'din' as const, protocol: dataset.protocol, seed: 1 };
const t1 = performance.now();
const data = prepareRun(dataset, config);
const prepareSeconds = (performance.now() - t1) / 1000;
data.train.batch(Array.from({ length: Math.min(config.batchSize, data.train.size) }, (_, i) => i));
const firstBatchSeconds = (performance.now() - t0) / 1000;
const peakRssReadyBytes = process.resourceUsage().maxRSS * 1024;
const heapUsedReadyBytes = process.memoryUsage().heapUsed;

const backend = await selectBackend(undefined, () => {});
const model = createModel(defaultConfig('din', data.contract.itemCount, data.contract.categoryCount), 1);
const batches = values.epoch ? Math.ceil(data.train.size / config.batchSize) : Math.min(Number(values.batches), Math.ceil(data.train.size / config.batchSize));
const train = data.train.limit(batches * config.batchSize);
const [report] = await fit(model, train, data.test.limit(2048), { epochs: 1, batchSize: config.batchSize, learningRate: config.learningRate, seed: 1 });
const run: DataRun = {
  interactions: rows,
  users: dataset.log.timelines.size,
  rawLinesPerSecond,
  readSeconds,
  rowsPerSecond: rows / readSeconds,
  prepareSeconds,
  firstBatchSeconds,
  trainSamples: data.train.size,
  testSamples: data.test.size,
  peakRssReadyBytes,
  heapUsedReadyBytes,
  training: {
    backend,
    batches,
    samplesPerSecond: report.samplesPerSecond,
    seconds: train.size / report.samplesPerSecond,
    fullEpoch: batches * config.batchSize >= data.train.size,
    projectedEpochSeconds: data.train.size / report.samplesPerSecond,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  },
};
console.log(JSON.stringify(run));
process.exit(0);
