/**
 * Training data streamed out of the DuckDB engine (data/duckdb/personalizeEngine.ts): memory
 * depends on the batch, the shuffle buffer and the catalogue, not on the log.
 * docs/data-sources.md, "Parquet and out-of-core preparation".
 *
 * - Vocabulary: item counts over the training users by a GROUP BY in DuckDB, then the same
 *   contract rule as prepareData (pipeline.ts's vocabularyOptions). Negative pool: the items the
 *   training users touched, sorted, as itemPool does.
 * - An epoch: the fitting users' timelines stream in a seeded order (a hash of the id keyed by the
 *   seed and the epoch: a new order each epoch), gathered in groups of whole users until the group
 *   holds ≥ `shuffleBuffer` samples; each group runs the protocol (protocols.ts) on a small
 *   BehaviourLog, is packed by EncodedDataset (the one encoding path) and shuffled, and its batches
 *   are yielded — the leftover samples of a group open the next group's first batch. tf.data's
 *   shuffle buffer, with users kept whole.
 * - `next` negatives: one random stream per epoch (`next:<seed>:train:epoch-<n>`) through the
 *   groups, so an epoch's negatives are fresh, unlike the in-memory path's which are drawn once.
 *   DIEN's auxiliary negative sequences likewise (`negative-sequence:<seed>:epoch-<n>`): one
 *   unclicked item of the training pool per behaviour, drawn as negativeSequences.ts draws them.
 * - Test (and validation): materialised as EncodedDatasets, the users in a fixed hash order up to
 *   `maxTestSamples` samples (every test user when they fit): metrics on a capped, user-uniform
 *   sample of the test split.
 */
import seedrandom from 'seedrandom';
import { buildFeatureContract, type FeatureContract } from '../../contract/featureContract.js';
import type { Behaviour, BehaviourLog } from '../data/behaviourLog.js';
import type { PersonalizeEngine, UserSelection } from '../data/duckdb/personalizeEngine.js';
import { negativeSequences } from '../samples/negativeSequences.js';
import { sampleStream, type PositionProtocol } from '../samples/protocols.js';
import { EncodedDataset, type Batch, type BatchFeature } from './dataset.js';
import { shuffled, type BatchSource } from './fit.js';
import { vocabularyOptions } from './pipeline.js';

export interface StreamedOptions {
  protocol: PositionProtocol;
  seed: number;
  maxHistory: number;
  minItemCount: number;
  maxItems?: number;
  hashedItems?: number;
  positiveRating?: number;
  maxImpressionNegatives?: number;
  /** Share of the training users held out for early stopping (pipeline.ts's validationUsers hash). */
  validationFraction?: number;
  /** Samples a training group gathers before it is shuffled and batched (default 65,536). */
  shuffleBuffer?: number;
  /** Test (and validation) samples kept in memory at most (default 200,000). */
  maxTestSamples?: number;
  /** Draw DIEN's auxiliary-loss negative sequences for the training samples. */
  negativeSequences?: boolean;
  log?: (line: string) => void;
}

export const DEFAULT_SHUFFLE_BUFFER = 65_536;
export const DEFAULT_MAX_TEST_SAMPLES = 200_000;

export interface StreamedData {
  contract: FeatureContract;
  train: StreamedTrain;
  test: EncodedDataset;
  validation?: EncodedDataset;
  negativePool: string[];
  users: { train: number; test: number; validation: number };
  /** `next`: users who touched every item of the negative pool (their positions without impressions give no sample); grows as the stream reaches them. */
  noNegativeUsers: Set<string>;
  /** Seconds: vocabulary (counts + contract), test and validation materialised. */
  seconds: { vocabulary: number; test: number };
}

/** The protocol's samples of a timeline, before negatives (for group sizes: impression negatives are not known until sampled). */
const positions = (timeline: readonly Behaviour[]) => Math.max(0, timeline.length - 1);

/** One small log over a group of users, sharing the engine's catalogue. */
function groupLog(engine: PersonalizeEngine, timelines: Map<string, Behaviour[]>): BehaviourLog {
  return {
    timelines,
    itemCategory: engine.itemCategory,
    source: 'stream',
    ...(engine.itemAttributes ? { itemAttributes: engine.itemAttributes } : {}),
    ...(engine.userAttributes ? { userAttributes: engine.userAttributes } : {}),
  };
}


/** Two batches as one (samples of `b` after those of `a`; b's user numbers shifted past a's). */
export function concatBatches(a: Batch, b: Batch, userOffset: number): Batch {
  const cat = <T extends Int32Array | Float32Array>(x: T, y: T): T => {
    const out = new (x.constructor as { new (n: number): T })(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  const features: Record<string, BatchFeature> = {};
  for (const [name, f] of Object.entries(a.features)) {
    const g = b.features[name];
    features[name] = { data: cat(f.data, g.data), dims: [f.dims[0] + g.dims[0], ...f.dims.slice(1)] };
  }
  return {
    size: a.size + b.size,
    historyItems: cat(a.historyItems, b.historyItems),
    historyCategories: cat(a.historyCategories, b.historyCategories),
    candidateItems: cat(a.candidateItems, b.candidateItems),
    candidateCategories: cat(a.candidateCategories, b.candidateCategories),
    labels: cat(a.labels, b.labels),
    conversions: cat(a.conversions, b.conversions),
    users: cat(a.users, b.users.map((u) => u + userOffset)),
    negativeItems: cat(a.negativeItems, b.negativeItems),
    negativeCategories: cat(a.negativeCategories, b.negativeCategories),
    features,
  };
}

/** The training split as a BatchSource: one DuckDB stream per epoch, batched through a shuffle buffer. */
export class StreamedTrain implements BatchSource {
  readonly maxHistory: number;
  readonly hasConversions: boolean;
  size: number;
  /** Largest number of samples a group held (the buffer's bound: shuffleBuffer + one user's samples). */
  maxBufferedSamples = 0;
  /** Users streamed in the last epoch. */
  users = 0;

  constructor(
    private readonly engine: PersonalizeEngine,
    private readonly contract: FeatureContract,
    private readonly negativePool: readonly string[],
    private readonly o: StreamedOptions,
    estimatedSize: number,
    private readonly noNegative: Set<string>,
  ) {
    this.maxHistory = contract.maxHistory;
    this.hasConversions = engine.hasConversions;
    this.size = estimatedSize;
  }

  async *batches(epoch: number, batchSize: number): AsyncGenerator<Batch> {
    const o = this.o;
    const buffer = o.shuffleBuffer ?? DEFAULT_SHUFFLE_BUFFER;
    const rng = seedrandom(`next:${o.seed}:train:epoch-${epoch}`);
    const shuffle = seedrandom(`stream-shuffle:${o.seed}:epoch-${epoch}`);
    const common = { seed: o.seed, positiveRating: o.positiveRating, maxImpressionNegatives: o.maxImpressionNegatives, negativePool: this.negativePool, stream: 'train', rng, noNegative: this.noNegative };
    const sequenceRng = o.negativeSequences ? seedrandom(`negative-sequence:${o.seed}:epoch-${epoch}`) : undefined;
    const pool = this.negativePool;
    let carry: { batch: Batch; users: number } | undefined;
    let samples = 0;
    let users = 0;
    const engine = this.engine;
    const contract = this.contract;
    const protocol = o.protocol;
    const self = this;
    function* flush(group: Map<string, Behaviour[]>): Generator<Batch> {
      if (group.size === 0) return;
      const log = groupLog(engine, group);
      const negatives = sequenceRng ? negativeSequences(log, o.seed, pool, sequenceRng) : undefined;
      const data = new EncodedDataset(log, sampleStream(log, protocol, common), contract, negatives);
      self.maxBufferedSamples = Math.max(self.maxBufferedSamples, data.size);
      samples += data.size;
      const order = shuffled(data.size, shuffle);
      let at = 0;
      if (carry) {
        const need = Math.min(batchSize - carry.batch.size, data.size);
        const joined = concatBatches(carry.batch, data.batch(order.subarray(0, need)), carry.users);
        at = need;
        if (joined.size < batchSize) {
          carry = { batch: joined, users: carry.users + data.userIds.length };
          return;
        }
        carry = undefined;
        yield joined;
      }
      for (; at + batchSize <= data.size; at += batchSize) yield data.batch(order.subarray(at, at + batchSize));
      if (at < data.size) carry = { batch: data.batch(order.subarray(at)), users: data.userIds.length };
    }
    let group = new Map<string, Behaviour[]>();
    let pending = 0;
    for await (const [user, timeline] of this.engine.timelines('fit', { by: 'hash', key: `epoch:${o.seed}:${epoch}` })) {
      users++;
      group.set(user, timeline);
      pending += positions(timeline) * (protocol === 'next' ? 2 : 1);
      if (pending >= buffer) {
        yield* flush(group);
        group = new Map();
        pending = 0;
      }
    }
    yield* flush(group);
    if (carry) yield carry.batch;
    this.size = samples;
    this.users = users;
  }
}

/** Users of a selection in a fixed hash order, until their samples reach `max`, as one EncodedDataset. */
async function materialise(engine: PersonalizeEngine, selection: UserSelection, contract: FeatureContract, negativePool: readonly string[], o: StreamedOptions, stream: string, noNegative: Set<string>): Promise<EncodedDataset> {
  const max = o.maxTestSamples ?? DEFAULT_MAX_TEST_SAMPLES;
  const perPosition = o.protocol === 'next' ? 2 : 1;
  // DuckDB sorts only the users a prefix can need: twice the mean user's share of `max`, and all
  // of them again if that prefix falls short (users far longer than the mean).
  const size = await engine.size(selection);
  const perUser = Math.max(1, ((size.behaviours - size.users) * perPosition) / Math.max(1, size.users));
  const guess = Math.ceil((2 * max) / perUser) + 100;
  const take = async (limit?: number) => {
    const timelines = new Map<string, Behaviour[]>();
    let estimate = 0;
    for await (const [user, timeline] of engine.timelines(selection, { by: 'hash', key: 'held-out' }, limit)) {
      if (estimate >= max) break;
      timelines.set(user, timeline);
      estimate += positions(timeline) * perPosition;
    }
    return { timelines, full: estimate >= max || limit === undefined || timelines.size < limit };
  };
  let { timelines, full } = await take(guess < size.users ? guess : undefined);
  if (!full) ({ timelines } = await take());
  const log = groupLog(engine, timelines);
  const common = { seed: o.seed, positiveRating: o.positiveRating, maxImpressionNegatives: o.maxImpressionNegatives, negativePool, stream, noNegative };
  return new EncodedDataset(log, sampleStream(log, o.protocol, common), contract);
}

/** Vocabulary, negative pool, held-out sets and the training stream from an engine whose split is configured. */
export async function prepareStreamed(engine: PersonalizeEngine, users: StreamedData['users'], o: StreamedOptions): Promise<StreamedData> {
  const log = o.log ?? (() => {});
  const t0 = performance.now();
  const counts = await engine.itemCounts('train');
  const negativePool = [...counts.keys()].sort();
  if (negativePool.length === 0) throw new Error('the training split has no behaviour: check the split and the event filters');
  const contract = buildFeatureContract(counts, engine.itemCategory, vocabularyOptions(o), { specs: [], itemValue: () => undefined });
  const vocabulary = (performance.now() - t0) / 1000;
  log(`vocabulary: ${counts.size.toLocaleString('en-US')} training items → ${contract.itemCount.toLocaleString('en-US')} rows in ${vocabulary.toFixed(1)} s`);
  const t1 = performance.now();
  const noNegativeUsers = new Set<string>();
  const test = await materialise(engine, 'test', contract, negativePool, o, 'test', noNegativeUsers);
  // No test sample: every metric would be NaN and the model exported unmeasured.
  if (test.size === 0) throw new Error(`the test split holds no sample (${users.test} of ${users.train + users.test} users are test users): too few users for the split's test fraction; add users or raise split.testFraction`);
  const validation = o.validationFraction ? await materialise(engine, 'validation', contract, negativePool, o, 'validation', noNegativeUsers) : undefined;
  const fit = await engine.size(o.validationFraction ? 'fit' : 'train');
  const perPosition = o.protocol === 'next' ? 2 : 1;
  const train = new StreamedTrain(engine, contract, negativePool, o, (fit.behaviours - fit.users) * perPosition, noNegativeUsers);
  return { contract, train, test, ...(validation ? { validation } : {}), negativePool, users, noNegativeUsers, seconds: { vocabulary, test: (performance.now() - t1) / 1000 } };
}
