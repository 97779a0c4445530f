/**
 * Section 4, training: samples/s of each model type on the tfjs backend the train CLI would pick
 * (model-export/train/backend.ts), on the real MovieLens data (protocol `next`, as the shipped
 * models). Per model: one fit over the first (warmup + batches) × batchSize training samples; the
 * clock runs from the end of the warm-up batch(es) (kernel compilation, first allocations) to the
 * end of the last batch, so evaluation (on a small test slice) is not timed.
 */
import { MODEL_TYPES, type ModelType } from '../contract/manifest.js';
import { readMovieLens } from '../model-export/data/movielens.js';
import { createModel, defaultConfig } from '../model-export/models/index.js';
import { selectBackend } from '../model-export/train/backend.js';
import { fit } from '../model-export/train/fit.js';
import { prepareData, type PreparedData } from '../model-export/train/pipeline.js';
import { DEFAULT_RUN } from '../model-export/train/run.js';
import { loadShippedModel } from './lib/servingModels.js';

export interface TrainingSettings {
  warmupBatches: number;
  batches: number;
  batchSize: number;
}

export function trainingSettings(quick: boolean): TrainingSettings {
  return { warmupBatches: 1, batches: quick ? 3 : 30, batchSize: DEFAULT_RUN.batchSize };
}

export interface TrainingRow {
  model: ModelType;
  samplesPerSecond: number;
  seconds: number;
  /** samples/s / BaseModel's samples/s in this run. */
  relativeToBase: number;
  /** samples/s recorded in the shipped model's manifest (a full training run, possibly another backend/load), if any. */
  shipped: { name: string; samplesPerSecond: number; backend: string } | null;
}

export interface TrainingResults {
  settings: TrainingSettings;
  backend: string;
  data: { source: string; protocol: 'next'; trainSamples: number; prepareSeconds: number };
  rows: TrainingRow[];
}

const SHIPPED_BY_TYPE: Partial<Record<ModelType, string>> = { din: 'din-movielens', dien: 'dien-movielens' };

export async function runTraining(settings: TrainingSettings, log: (line: string) => void): Promise<TrainingResults> {
  const backend = await selectBackend(undefined, (line) => log(`training: ${line}`));
  const t0 = performance.now();
  const movielens = readMovieLens();
  const prepare = (negativeSequences: boolean): PreparedData =>
    prepareData(movielens, { protocol: 'next', seed: 1, maxHistory: DEFAULT_RUN.maxHistory, minItemCount: DEFAULT_RUN.minItemCount, negativeSequences });
  const plain = prepare(false);
  const withNegatives = prepare(true); // DIEN's auxiliary loss
  const prepareSeconds = (performance.now() - t0) / 1000;
  const rows: Array<Omit<TrainingRow, 'relativeToBase'>> = [];
  for (const type of MODEL_TYPES) {
    log(`training: ${type}, ${settings.batches} batches of ${settings.batchSize}`);
    const data = type === 'dien' ? withNegatives : plain;
    const model = createModel(defaultConfig(type, data.contract.itemCount, data.contract.categoryCount), 1);
    const samples = (settings.warmupBatches + settings.batches) * settings.batchSize;
    let start = Number.NaN;
    let end = Number.NaN;
    await fit(model, data.train.limit(samples), data.test.limit(settings.batchSize), {
      epochs: 1,
      batchSize: settings.batchSize,
      learningRate: DEFAULT_RUN.learningRate,
      seed: 1,
      onStep: ({ step }) => {
        if (step === settings.warmupBatches) start = performance.now();
        if (step === settings.warmupBatches + settings.batches) end = performance.now();
      },
    });
    const seconds = (end - start) / 1000;
    const shippedName = SHIPPED_BY_TYPE[type];
    const shippedTraining = shippedName ? loadShippedModel(shippedName).manifest.training : undefined;
    rows.push({
      model: type,
      samplesPerSecond: (settings.batches * settings.batchSize) / seconds,
      seconds,
      shipped:
        shippedName && typeof shippedTraining?.samplesPerSecond === 'number'
          ? { name: shippedName, samplesPerSecond: shippedTraining.samplesPerSecond, backend: String(shippedTraining.backend ?? '?') }
          : null,
    });
  }
  const base = rows.find((r) => r.model === 'base')?.samplesPerSecond ?? Number.NaN;
  return {
    settings,
    backend,
    data: { source: movielens.source, protocol: 'next', trainSamples: plain.train.size, prepareSeconds },
    rows: rows.map((r) => ({ ...r, relativeToBase: r.samplesPerSecond / base })),
  };
}
