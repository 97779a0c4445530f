/**
 * Encoded samples in flat typed arrays, and mini-batch assembly.
 *
 * Timelines are encoded once through the feature contract (the same `encode` the worker calls),
 * samples point into them, and a batch copies the last ≤ H behaviours before each sample's
 * position into [B, H] right-padded arrays — the contract's 'full' width.
 */
import { createHash } from 'node:crypto';
import { OOV_INDEX, PAD_INDEX, type FeatureContract } from '../../contract/featureContract.js';
import type { BehaviourLog } from '../data/behaviourLog.js';
import { Int32Column } from '../data/columns.js';
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

  /**
   * `samples` may be a generator: they are packed into typed arrays as they come, and each user's
   * timeline is encoded once, when its first sample arrives. `negatives`: per user, one sampled
   * non-clicked item per timeline behaviour (negativeSequences).
   */
  constructor(log: BehaviourLog, samples: Iterable<Sample>, contract: FeatureContract, negatives?: ReadonlyMap<string, string[]>) {
    this.maxHistory = contract.maxHistory;
    // One contract.encode per distinct item (the same call the worker makes), then a Map hit per
    // sample: at 10⁷ behaviours the per-sample encode was a fifth of the preparation time.
    const encoded = new Map<string, { item: number; category: number }>();
    const encode = (item: string) => {
      let e = encoded.get(item);
      if (e === undefined) {
        const { item: index, category } = contract.encode({ item, category: trainingHint(log, contract, item) });
        encoded.set(item, (e = { item: index, category }));
      }
      return e;
    };
    const userNumber = new Map<string, number>();
    this.userIds = [];
    const seqItems = new Int32Column();
    const seqCategories = new Int32Column();
    const seqStart = new Int32Column();
    const seqNegItems = new Int32Column();
    const seqNegCategories = new Int32Column();
    const sampleUser = new Int32Column();
    const samplePosition = new Int32Column();
    const candidateItems = new Int32Column();
    const candidateCategories = new Int32Column();
    const labels = new Int32Column();
    const addUser = (user: string): number => {
      const timeline = log.timelines.get(user);
      if (!timeline) throw new Error(`a sample names user ${user}, who has no timeline in the log`);
      const u = this.userIds.length;
      this.userIds.push(user);
      userNumber.set(user, u);
      seqStart.push(seqItems.length);
      const neg = negatives?.get(user);
      timeline.forEach((b, t) => {
        const e = encode(b.item);
        seqItems.push(e.item);
        seqCategories.push(e.category);
        if (negatives) {
          const n = neg ? encode(neg[t]) : { item: PAD_INDEX, category: PAD_INDEX };
          seqNegItems.push(n.item);
          seqNegCategories.push(n.category);
        }
      });
      return u;
    };
    for (const s of samples) {
      sampleUser.push(userNumber.get(s.user) ?? addUser(s.user));
      samplePosition.push(s.position);
      const e = encode(s.candidate);
      candidateItems.push(e.item);
      candidateCategories.push(e.category);
      labels.push(s.label);
    }
    seqStart.push(seqItems.length);
    this.seqItems = seqItems.done();
    this.seqCategories = seqCategories.done();
    this.seqStart = seqStart.done();
    this.seqNegItems = seqNegItems.done();
    this.seqNegCategories = seqNegCategories.done();
    this.size = sampleUser.length;
    this.sampleUser = sampleUser.done();
    this.samplePosition = samplePosition.done();
    this.candidateItems = candidateItems.done();
    this.candidateCategories = candidateCategories.done();
    this.labels = Float32Array.from(labels.done());
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
