/**
 * data → samples → contract → encoded datasets: everything a training run needs before the fit.
 * Shared by the train CLI, the experiment runner and the tests.
 */
import { buildFeatureContract, type FeatureContract } from '../../contract/featureContract.js';
import type { BehaviourLog } from '../data/behaviourLog.js';
import { buildSamples, type Protocol } from '../samples/protocols.js';
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
  const samples = buildSamples(log, o.protocol, { seed: o.seed });
  const trainSamples = samples.filter((s) => split(s.user) === 'train');
  const testSamples = samples.filter((s) => split(s.user) === 'test');
  // The vocabulary sees only training users' behaviour: test-only items are OOV, as they would
  // be for a served model meeting new items.
  const itemCounts = new Map<string, number>();
  for (const [user, timeline] of log.timelines) {
    if (split(user) !== 'train') continue;
    for (const b of timeline) itemCounts.set(b.item, (itemCounts.get(b.item) ?? 0) + 1);
  }
  const contract = buildFeatureContract(itemCounts, log.itemCategory, { maxHistory: o.maxHistory, minItemCount: o.minItemCount });
  const negatives = o.negativeSequences ? negativeSequences(log, o.seed) : undefined;
  return {
    contract,
    train: new EncodedDataset(log, trainSamples, contract, negatives),
    test: new EncodedDataset(log, testSamples, contract),
  };
}
