/**
 * Training throughput against the size of the catalogue (issue 28): DIN samples/s when the item
 * table has `items` rows, with the item tables updated sparsely (train/fit.ts default: host
 * tables, batch rows, lazy Adam) or densely (`denseEmbeddings`: tfjs Adam over every row).
 *
 * Only throughput matters, so the batches are synthetic and built directly over the vocabulary:
 * histories of 10–50 behaviours and candidates drawn with a Zipf-like popularity (exponent 1,
 * rank = ⌊items^u⌋), the ranks scattered over the table by a multiplicative hash so popular rows
 * are not neighbours. The clock runs over `steps` training steps after `warmupSteps`, through the
 * real `fit` (batch assembly included, evaluation excluded). Not a bench suite of its own: the
 * catalogue benchmark calls `measureTrainingThroughput`.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { FIRST_INDEX } from '../contract/featureContract.js';
import { createModel, defaultConfig } from '../model-export/models/index.js';
import type { Batch, EncodedDataset } from '../model-export/train/dataset.js';
import { fit } from '../model-export/train/fit.js';
import { DEFAULT_RUN } from '../model-export/train/run.js';

export interface CatalogueTrainingOptions {
  /** Catalogue size: rows of the item table beyond padding and OOV. */
  items: number;
  /** Timed training steps. */
  steps: number;
  batchSize: number;
  /** true: sparse item-table updates (the default path); false: dense (`denseEmbeddings`). */
  sparse: boolean;
  /** Untimed steps first (kernel set-up, first allocations); default 2. */
  warmupSteps?: number;
  /** History length H; default DEFAULT_RUN.maxHistory (50). */
  maxHistory?: number;
  categories?: number;
  seed?: number;
}

export interface CatalogueTrainingResult {
  items: number;
  sparse: boolean;
  backend: string;
  batchSize: number;
  steps: number;
  samplesPerSecond: number;
  /** Seconds of the timed steps. */
  seconds: number;
  /** Seconds to build the model (its item table initialised), outside the clock. */
  buildSeconds: number;
  /** Mean distinct item ids per batch (rows a sparse step touches). */
  distinctItemsPerBatch: number;
  /** Resident set size after the run, MB. */
  rssMB: number;
}

/** Synthetic batches over a catalogue, shaped as EncodedDataset as far as fit and evaluate read it. */
function syntheticData(size: number, items: number, categories: number, H: number, seed: number) {
  const rng = seedrandom.alea(`catalogue:${items}:${seed}`);
  const logItems = Math.log(items);
  const item = () => {
    const rank = Math.min(items - 1, Math.floor(Math.exp(rng() * logItems))); // Zipf-like: P(rank ≤ r) = ln r / ln items
    return FIRST_INDEX + ((Math.imul(rank, 0x9e3779b1) >>> 0) % items); // Knuth's multiplicative hash scatters the ranks
  };
  const categoryOf = (i: number) => FIRST_INDEX + (i % categories);
  const labels = Float32Array.from({ length: size }, (_, i) => i % 2);
  const sampleUser = Int32Array.from({ length: size }, (_, i) => i % 64);
  let distinct = 0;
  let batches = 0;
  const data = {
    size,
    maxHistory: H,
    labels,
    conversions: new Float32Array(size),
    sampleUser,
    hasConversions: false,
    batch(indices: ArrayLike<number>): Batch {
      const B = indices.length;
      const historyItems = new Int32Array(B * H);
      const candidateItems = new Int32Array(B);
      for (let b = 0; b < B; b++) {
        const length = 10 + Math.floor(rng() * (H - 9));
        for (let t = 0; t < length; t++) historyItems[b * H + t] = item();
        candidateItems[b] = item();
      }
      const seen = new Set<number>([...historyItems, ...candidateItems]);
      distinct += seen.size - (seen.has(0) ? 1 : 0);
      batches++;
      return {
        size: B,
        historyItems,
        historyCategories: historyItems.map((i) => (i === 0 ? 0 : categoryOf(i))),
        candidateItems,
        candidateCategories: candidateItems.map(categoryOf),
        labels: Float32Array.from(indices, (i) => labels[i]),
        conversions: new Float32Array(B),
        users: Int32Array.from(indices, (i) => sampleUser[i]),
        negativeItems: new Int32Array(0),
        negativeCategories: new Int32Array(0),
        features: {},
      };
    },
  };
  return { data: data as unknown as EncodedDataset, distinctPerBatch: () => distinct / Math.max(1, batches) };
}

export async function measureTrainingThroughput(options: CatalogueTrainingOptions): Promise<CatalogueTrainingResult> {
  const { items, steps, batchSize, sparse } = options;
  const warmup = options.warmupSteps ?? 2;
  if (warmup < 1) throw new Error('warmupSteps must be ≥ 1: the clock starts at the end of the last warm-up step');
  const H = options.maxHistory ?? DEFAULT_RUN.maxHistory;
  const categories = options.categories ?? 20;
  const seed = options.seed ?? 1;
  const built = performance.now();
  const model = createModel(defaultConfig('din', FIRST_INDEX + items, FIRST_INDEX + categories), seed);
  const buildSeconds = (performance.now() - built) / 1000;
  const train = syntheticData((warmup + steps) * batchSize, items, categories, H, seed);
  const test = syntheticData(batchSize, items, categories, H, seed + 1);
  let start = Number.NaN;
  let end = Number.NaN;
  try {
    await fit(model, train.data, test.data, {
      epochs: 1,
      batchSize,
      learningRate: DEFAULT_RUN.learningRate,
      seed,
      denseEmbeddings: !sparse,
      onStep: ({ step }) => {
        if (step === warmup) start = performance.now();
        if (step === warmup + steps) end = performance.now();
      },
    });
  } finally {
    model.params.dispose();
  }
  const seconds = (end - start) / 1000;
  return {
    items,
    sparse,
    backend: tf.getBackend(),
    batchSize,
    steps,
    samplesPerSecond: (steps * batchSize) / seconds,
    seconds,
    buildSeconds,
    distinctItemsPerBatch: train.distinctPerBatch(),
    rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
}
