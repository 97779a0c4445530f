/**
 * One out-of-core data-path measurement in a fresh process (its peak RSS is its own): open a
 * Personalize layout (Parquet shards) in the DuckDB engine, build the vocabulary and the held-out
 * set, stream the first training batch; then the stream alone for up to --stream-seconds; then DIN
 * training fed from a fresh epoch stream for --batches batches. Prints one JSON line (StreamRun).
 * bench/data.ts runs it.
 *
 *   node --import tsx bench/data/streamOnce.ts --data DIR [--batches N] [--stream-seconds S] [--memory-limit 1GB]
 */
import { parseArgs } from 'node:util';
import { createModel, defaultConfig } from '../../model-export/models/index.js';
import { openStreamedDataset } from '../../model-export/sources/personalizeStream.js';
import { selectBackend } from '../../model-export/train/backend.js';
import type { Batch } from '../../model-export/train/dataset.js';
import { fit, type BatchSource } from '../../model-export/train/fit.js';
import { DEFAULT_RUN } from '../../model-export/train/run.js';
import { prepareStreamed } from '../../model-export/train/streamedData.js';

export interface StreamRun {
  interactions: number;
  users: number;
  items: number;
  memoryLimit: string;
  /** Engine passes: validation, kept rows, catalogue; then vocabulary and the held-out set. */
  seconds: { validate: number; events: number; catalogue: number; vocabulary: number; test: number; open: number; firstBatch: number };
  /** From the start (engine open) to the first assembled training batch. */
  firstBatchSeconds: number;
  peakRssReadyBytes: number;
  heapUsedReadyBytes: number;
  testSamples: number;
  estimatedTrainSamples: number;
  /** The stream alone (DuckDB sort + regrouping + protocol + EncodedDataset + shuffle), samples over seconds. */
  stream: { samples: number; seconds: number; samplesPerSecond: number; fullEpoch: boolean; maxBufferedSamples: number };
  /** DIN fed from the stream; `epochStartSeconds`: from asking for epoch 2 to its first batch (DuckDB's sort), outside samples/s. */
  training: { backend: string; batches: number; samplesPerSecond: number; epochStartSeconds: number; peakRssBytes: number };
  peakRssBytes: number;
}

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    batches: { type: 'string', default: '40' },
    'stream-seconds': { type: 'string', default: '60' },
    'memory-limit': { type: 'string', default: '1GB' },
  },
});
if (!values.data) throw new Error('--data DIR is required');
const log = (line: string) => console.error(`[stream] ${line}`);
const rss = () => process.resourceUsage().maxRSS * 1024;

const t0 = performance.now();
const dataset = await openStreamedDataset({ source: 'personalize', data: values.data }, { memoryLimit: values['memory-limit'], log });
const open = (performance.now() - t0) / 1000;
const config = { ...DEFAULT_RUN, protocol: dataset.protocol, seed: 1 };
const data = await prepareStreamed(dataset.engine, dataset.users, { ...config, log });
const t1 = performance.now();
const first = data.train.batches(1, config.batchSize)[Symbol.asyncIterator]();
const firstBatch = await first.next();
if (firstBatch.done) throw new Error('no training batch');
const firstBatchSeconds = (performance.now() - t0) / 1000;
const peakRssReadyBytes = rss();
const heapUsedReadyBytes = process.memoryUsage().heapUsed;
log(`first batch after ${firstBatchSeconds.toFixed(1)} s, peak RSS ${(peakRssReadyBytes / 2 ** 20).toFixed(0)} MiB`);

// The stream alone: the rest of epoch 1, up to the time budget.
const budget = Number(values['stream-seconds']) * 1000;
const s0 = performance.now();
let samples = firstBatch.value.size;
let fullEpoch = true;
for (let b = await first.next(); !b.done; b = await first.next()) {
  samples += b.value.size;
  if (performance.now() - s0 > budget) {
    fullEpoch = false;
    await first.return?.(undefined);
    break;
  }
}
const streamSeconds = (performance.now() - s0) / 1000;
log(`stream: ${samples} samples in ${streamSeconds.toFixed(1)} s`);

// DIN fed from the stream (epoch 2's order), for a bounded number of batches. The epoch's first
// batch (DuckDB's sort of the epoch's rows: `epochStartSeconds`) is awaited before the fit's
// clock starts, so samples/s is the steady state the stream feeds, not one sort over 40 batches.
const batches = Number(values.batches);
const e0 = performance.now();
const second = data.train.batches(2, config.batchSize)[Symbol.asyncIterator]();
const secondFirst = await second.next();
const epochStartSeconds = (performance.now() - e0) / 1000;
const limited: BatchSource = {
  maxHistory: data.train.maxHistory,
  hasConversions: data.train.hasConversions,
  size: batches * config.batchSize,
  async *batches(): AsyncGenerator<Batch> {
    if (secondFirst.done) return;
    yield secondFirst.value;
    for (let n = 1; n < batches; n++) {
      const b = await second.next();
      if (b.done) return;
      yield b.value;
    }
    await second.return?.(undefined);
  },
};
const backend = await selectBackend(undefined, () => {});
const model = createModel(defaultConfig('din', data.contract.itemCount, data.contract.categoryCount), 1);
const [report] = await fit(model, limited, data.test.limit(2048), { epochs: 1, batchSize: config.batchSize, learningRate: config.learningRate, seed: 1 });
const s = dataset.stats;
const run: StreamRun = {
  interactions: s.interactions.lines,
  users: s.userCount,
  items: s.itemCount,
  memoryLimit: values['memory-limit']!,
  seconds: { ...s.seconds, vocabulary: data.seconds.vocabulary, test: data.seconds.test, open, firstBatch: (performance.now() - t1) / 1000 },
  firstBatchSeconds,
  peakRssReadyBytes,
  heapUsedReadyBytes,
  testSamples: data.test.size,
  estimatedTrainSamples: (await dataset.engine.size('fit')).behaviours * 2,
  stream: { samples, seconds: streamSeconds, samplesPerSecond: samples / streamSeconds, fullEpoch, maxBufferedSamples: data.train.maxBufferedSamples },
  training: { backend, batches, samplesPerSecond: report.samplesPerSecond, epochStartSeconds, peakRssBytes: rss() },
  peakRssBytes: rss(),
};
dataset.engine.close();
console.log(JSON.stringify(run));
process.exit(0);
