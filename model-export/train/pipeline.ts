/**
 * data → samples → contract → encoded datasets: everything a training run needs before the fit.
 * Shared by the train CLI, the experiment runner and the tests.
 */
import { buildFeatureContract, type FeatureContract } from '../../contract/featureContract.js';
import type { BehaviourLog } from '../data/behaviourLog.js';
import { buildSamples, type Protocol } from '../samples/protocols.js';
import { itemPool } from '../samples/negativeSampler.js';
import { negativeSequences } from '../samples/negativeSequences.js';
import { moduloFiveSplit, type UserSplit } from '../samples/sample.js';
import { EncodedDataset } from './dataset.js';

export interface PreparedData {
  contract: FeatureContract;
  train: EncodedDataset;
  test: EncodedDataset;
}

export interface PrepareOptions {
  protocol: Protocol;
  seed: number;
  maxHistory: number;
  minItemCount: number;
  split?: UserSplit;
  /** Derive DIEN's auxiliary-loss negative sequences (samples/negativeSequences.ts). */
  negativeSequences?: boolean;
}

export function prepareData(log: BehaviourLog, o: PrepareOptions): PreparedData {
  const split = o.split ?? moduloFiveSplit;
  const trainLog = subLog(log, (user) => split(user) === 'train');
  const testLog = subLog(log, (user) => split(user) === 'test');
  // Negatives (protocol `next`, DIEN's auxiliary loss) come from the training catalogue only.
  const negativePool = itemPool(trainLog);
  const trainSamples = buildSamples(trainLog, o.protocol, { seed: o.seed, negativePool, stream: 'train' });
  const testSamples = buildSamples(testLog, o.protocol, { seed: o.seed, negativePool, stream: 'test' });
  // The vocabulary sees only training users' behaviour: test-only items are OOV, as they would
  // be for a served model meeting new items.
  const itemCounts = new Map<string, number>();
  for (const timeline of trainLog.timelines.values()) {
    for (const b of timeline) itemCounts.set(b.item, (itemCounts.get(b.item) ?? 0) + 1);
  }
  const contract = buildFeatureContract(itemCounts, log.itemCategory, { maxHistory: o.maxHistory, minItemCount: o.minItemCount });
  const negatives = o.negativeSequences ? negativeSequences(trainLog, o.seed, negativePool) : undefined;
  return {
    contract,
    train: new EncodedDataset(trainLog, trainSamples, contract, negatives),
    test: new EncodedDataset(testLog, testSamples, contract),
  };
}

/** The users of `log` that `keep` accepts, sharing its item categories. */
function subLog(log: BehaviourLog, keep: (user: string) => boolean): BehaviourLog {
  return { ...log, timelines: new Map([...log.timelines].filter(([user]) => keep(user))) };
}
