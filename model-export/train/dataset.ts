/**
 * Encoded samples in flat typed arrays, and mini-batch assembly.
 *
 * Timelines are encoded once through the feature contract (the same `encode` the worker calls),
 * samples point into them, and a batch copies the last ≤ H behaviours before each sample's
 * position into [B, H] right-padded arrays — the contract's 'full' width.
 */
import { createHash } from 'node:crypto';
import { OOV_INDEX, type FeatureContract } from '../../contract/featureContract.js';
import type { BehaviourLog } from '../data/behaviourLog.js';
import type { Sample } from '../samples/sample.js';

export interface Batch {
  size: number;
  /** [B, H] item indices, right-padded with 0. */
  historyItems: Int32Array;
  /** [B, H] category indices. */
  historyCategories: Int32Array;
  /** [B] */
  candidateItems: Int32Array;
  candidateCategories: Int32Array;
  labels: Float32Array;
  /** [B] dense user number, for GAUC. */
  users: Int32Array;
  /** [B, H] the sampled non-clicked behaviour aligned with each history position (0 on padding). */
  negativeItems: Int32Array;
  negativeCategories: Int32Array;
}

/**
 * The category hint training passes with an item. Clients may send an unknown id without a
 * category, which the contract encodes with the OOV category, so that row must be trained too:
 * the hint of half the out-of-vocabulary items is dropped, chosen by a hash of the id (the same
 * items in every run, sample and split). Known items ignore hints anyway.
 */
export function trainingHint(log: BehaviourLog, contract: FeatureContract, item: string): string | undefined {
  if (contract.itemOf(item) !== OOV_INDEX) return log.itemCategory.get(item);
  const dropHint = (createHash('sha1').update(item).digest()[0] & 1) === 0;
  return dropHint ? undefined : log.itemCategory.get(item);
}

export class EncodedDataset {
  readonly size: number;
  readonly maxHistory: number;
  private readonly seqItems: Int32Array;
  private readonly seqCategories: Int32Array;
  private readonly seqStart: Int32Array;
  private readonly seqNegItems: Int32Array;
  private readonly seqNegCategories: Int32Array;
  readonly sampleUser: Int32Array;
  private readonly samplePosition: Int32Array;
  readonly candidateItems: Int32Array;
  readonly candidateCategories: Int32Array;
  readonly labels: Float32Array;
  readonly userIds: string[];

  /** `negatives`: per user, one sampled non-clicked item per timeline behaviour (negativeSequences). */
  constructor(log: BehaviourLog, samples: readonly Sample[], contract: FeatureContract, negatives?: ReadonlyMap<string, string[]>) {
    this.maxHistory = contract.maxHistory;
    const hints = new Map<string, string | undefined>();
    const encode = (item: string) => {
      if (!hints.has(item)) hints.set(item, trainingHint(log, contract, item));
      return contract.encode({ item, category: hints.get(item) });
    };
    const users = [...new Set(samples.map((s) => s.user))];
    const userNumber = new Map(users.map((u, i) => [u, i]));
    this.userIds = users;
    const total = users.reduce((n, u) => n + log.timelines.get(u)!.length, 0);
    this.seqItems = new Int32Array(total);
    this.seqCategories = new Int32Array(total);
    this.seqStart = new Int32Array(users.length + 1);
    this.seqNegItems = new Int32Array(negatives ? total : 0);
    this.seqNegCategories = new Int32Array(negatives ? total : 0);
    let offset = 0;
    users.forEach((u, i) => {
      this.seqStart[i] = offset;
      const neg = negatives?.get(u);
      log.timelines.get(u)!.forEach((b, t) => {
        const e = encode(b.item);
        this.seqItems[offset] = e.item;
        this.seqCategories[offset] = e.category;
        if (neg) {
          const n = encode(neg[t]);
          this.seqNegItems[offset] = n.item;
          this.seqNegCategories[offset] = n.category;
        }
        offset++;
      });
    });
    this.seqStart[users.length] = offset;

    this.size = samples.length;
    this.sampleUser = new Int32Array(this.size);
    this.samplePosition = new Int32Array(this.size);
    this.candidateItems = new Int32Array(this.size);
    this.candidateCategories = new Int32Array(this.size);
    this.labels = new Float32Array(this.size);
    samples.forEach((s, i) => {
      this.sampleUser[i] = userNumber.get(s.user)!;
      this.samplePosition[i] = s.position;
      const e = encode(s.candidate);
      this.candidateItems[i] = e.item;
      this.candidateCategories[i] = e.category;
      this.labels[i] = s.label;
    });
  }

  /** Assemble the samples at `indices` into one batch. */
  batch(indices: ArrayLike<number>): Batch {
    const B = indices.length;
    const H = this.maxHistory;
    const historyItems = new Int32Array(B * H);
    const historyCategories = new Int32Array(B * H);
    const candidateItems = new Int32Array(B);
    const candidateCategories = new Int32Array(B);
    const labels = new Float32Array(B);
    const users = new Int32Array(B);
    const hasNegatives = this.seqNegItems.length > 0;
    const negativeItems = new Int32Array(hasNegatives ? B * H : 0);
    const negativeCategories = new Int32Array(hasNegatives ? B * H : 0);
    for (let b = 0; b < B; b++) {
      const i = indices[b];
      const u = this.sampleUser[i];
      const end = this.seqStart[u] + this.samplePosition[i];
      const start = Math.max(this.seqStart[u], end - H); // keep the most recent H
      historyItems.set(this.seqItems.subarray(start, end), b * H);
      historyCategories.set(this.seqCategories.subarray(start, end), b * H);
      if (hasNegatives) {
        negativeItems.set(this.seqNegItems.subarray(start, end), b * H);
        negativeCategories.set(this.seqNegCategories.subarray(start, end), b * H);
      }
      candidateItems[b] = this.candidateItems[i];
      candidateCategories[b] = this.candidateCategories[i];
      labels[b] = this.labels[i];
      users[b] = u;
    }
    return { size: B, historyItems, historyCategories, candidateItems, candidateCategories, labels, users, negativeItems, negativeCategories };
  }

  /** A view of the first `n` samples (same encoded timelines), for quick runs and tests. */
  limit(n: number): EncodedDataset {
    const view = Object.create(EncodedDataset.prototype) as EncodedDataset;
    return Object.assign(view, this, { size: Math.min(n, this.size) });
  }

  /** Share of positive labels. */
  positiveRate(): number {
    let s = 0;
    for (let i = 0; i < this.size; i++) s += this.labels[i];
    return s / this.size;
  }
}
