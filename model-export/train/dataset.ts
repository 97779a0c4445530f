/**
 * Encoded samples in flat typed arrays, and mini-batch assembly.
 *
 * Timelines are encoded once through the feature contract (the same `encode` the worker calls),
 * samples point into them, and a batch copies the last ≤ H behaviours before each sample's
 * position into [B, H] right-padded arrays — the contract's 'full' width.
 */
import { createHash } from 'node:crypto';
import { OOV_INDEX, PAD_INDEX, type FeatureContract } from '../../contract/featureContract.js';
import { parseCsvValue, type FeatureEncoder } from '../../contract/features.js';
import { RawFeatureValues } from '../features/featureColumns.js';
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
  /** [B] the second label (conversion; 0 for negatives); all 0 when the data has none. */
  conversions: Float32Array;
  /** [B] dense user number, for GAUC. */
  users: Int32Array;
  /** [B, H] the sampled non-clicked behaviour aligned with each history position (0 on padding). */
  negativeItems: Int32Array;
  negativeCategories: Int32Array;
  /**
   * Feature-column inputs by graph input name with a leading batch dimension: `hist_*` and `neg_*`
   * [B, H(, M)], `cand_*`, `user_*`, `ctx_*` [B(, M)] (contract/features.ts). Empty without features.
   */
  features: Record<string, BatchFeature>;
}

export interface BatchFeature {
  data: Int32Array | Float32Array;
  dims: number[];
}

/** Growable per-row values of one feature (`width` per row): ints, or floats for dense. */
class FeatureRows {
  private data: Int32Array | Float32Array;
  private rows = 0;

  constructor(readonly encoder: FeatureEncoder) {
    this.data = encoder.allocate(64);
  }

  /** Room for one more row; returns its index. */
  next(): number {
    const need = (this.rows + 1) * this.encoder.width;
    if (need > this.data.length) {
      const grown = this.encoder.allocate(Math.max(64, 2 * (this.rows + 1)));
      grown.set(this.data);
      this.data = grown;
    }
    return this.rows++;
  }

  get values(): Int32Array | Float32Array {
    return this.data;
  }
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

/** Attribute hints that go with `trainingHint`: the item's raw values when its category hint is kept. */
function trainingAttributes(log: BehaviourLog, contract: FeatureContract, raw: RawFeatureValues, item: string, hint: string | undefined) {
  // Hashed ids store no attribute values: the hints are all there is, so training always passes them.
  if (contract.itemOf(item) !== OOV_INDEX && !contract.hashedItems) return undefined;
  const dropped = hint === undefined && (createHash('sha1').update(item).digest()[0] & 1) === 0;
  if (dropped) return undefined;
  const attributes: Record<string, string | string[] | number> = {};
  for (const e of contract.features.candidate) {
    const v = parseCsvValue(e.spec, raw.item(e.spec, item));
    if (v !== undefined) attributes[e.spec.name] = v;
  }
  return attributes;
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
  readonly conversions: Float32Array;
  /** Whether the samples carry conversion labels (multi-task training needs them). */
  readonly hasConversions: boolean;
  readonly userIds: string[];
  // Feature columns: candidate attributes per distinct item ("slot"), user values per user,
  // context values per timeline position (the event a sample's candidate belongs to).
  private readonly itemFeatures: FeatureRows[];
  private readonly userFeatures: FeatureRows[];
  private readonly contextFeatures: FeatureRows[];
  private readonly seqSlot: Int32Array;
  private readonly seqNegSlot: Int32Array;
  private readonly candidateSlot: Int32Array;

  /**
   * `samples` may be a generator: they are packed into typed arrays as they come, and each user's
   * timeline is encoded once, when its first sample arrives. `negatives`: per user, one sampled
   * non-clicked item per timeline behaviour (negativeSequences).
   */
  constructor(log: BehaviourLog, samples: Iterable<Sample>, contract: FeatureContract, negatives?: ReadonlyMap<string, string[]>) {
    this.maxHistory = contract.maxHistory;
    // One contract.encode per distinct item (the same call the worker makes), then a Map hit per
    // sample: at 10⁷ behaviours the per-sample encode was a fifth of the preparation time.
    const encoded = new Map<string, { item: number; category: number; slot: number }>();
    const raw = new RawFeatureValues(log);
    this.itemFeatures = contract.features.candidate.map((e) => new FeatureRows(e));
    this.userFeatures = contract.features.user.map((e) => new FeatureRows(e));
    this.contextFeatures = contract.features.context.map((e) => new FeatureRows(e));
    const withFeatures = contract.featureSpecs.length > 0;
    const encode = (item: string) => {
      let e = encoded.get(item);
      if (e === undefined) {
        const hint = trainingHint(log, contract, item);
        const ref = { item, category: hint, attributes: this.itemFeatures.length ? trainingAttributes(log, contract, raw, item, hint) : undefined };
        const { item: index, category } = contract.encode(ref);
        const slot = encoded.size;
        if (this.itemFeatures.length) {
          this.itemFeatures.forEach((rows) => rows.next());
          contract.writeAttributes(this.itemFeatures.map((rows) => rows.values), slot, ref, index);
        }
        encoded.set(item, (e = { item: index, category, slot }));
      }
      return e;
    };
    const seqSlot = new Int32Column();
    const seqNegSlot = new Int32Column();
    const candidateSlot = new Int32Column();
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
    const conversions = new Int32Column();
    let hasConversions = false;
    const addUser = (user: string): number => {
      const timeline = log.timelines.get(user);
      if (!timeline) throw new Error(`a sample names user ${user}, who has no timeline in the log`);
      const u = this.userIds.length;
      this.userIds.push(user);
      userNumber.set(user, u);
      seqStart.push(seqItems.length);
      const neg = negatives?.get(user);
      this.userFeatures.forEach((rows) => {
        const r = rows.next();
        rows.encoder.write(rows.values, r, parseCsvValue(rows.encoder.spec, raw.user(rows.encoder.spec, user)));
      });
      timeline.forEach((b, t) => {
        const e = encode(b.item);
        seqItems.push(e.item);
        seqCategories.push(e.category);
        if (withFeatures) seqSlot.push(e.slot);
        this.contextFeatures.forEach((rows) => {
          const r = rows.next();
          rows.encoder.write(rows.values, r, parseCsvValue(rows.encoder.spec, raw.behaviour(rows.encoder.spec, b)));
        });
        if (negatives) {
          const n = neg ? encode(neg[t]) : { item: PAD_INDEX, category: PAD_INDEX, slot: -1 };
          seqNegItems.push(n.item);
          seqNegCategories.push(n.category);
          if (withFeatures) seqNegSlot.push(n.slot);
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
      if (withFeatures) candidateSlot.push(e.slot);
      labels.push(s.label);
      conversions.push(s.conversion ?? 0);
      if (s.conversion !== undefined) hasConversions = true;
    }
    this.conversions = Float32Array.from(conversions.done());
    this.hasConversions = hasConversions;
    this.seqSlot = seqSlot.done();
    this.seqNegSlot = seqNegSlot.done();
    this.candidateSlot = candidateSlot.done();
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
    const conversions = new Float32Array(B);
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
      conversions[b] = this.conversions[i];
      users[b] = u;
    }
    const batch = { size: B, historyItems, historyCategories, candidateItems, candidateCategories, labels, conversions, users, negativeItems, negativeCategories, features: {} as Record<string, BatchFeature> };
    if (this.seqSlot.length > 0) this.batchFeatures(indices, batch.features, hasNegatives);
    return batch;
  }

  /** Feature-column inputs of a batch (see Batch.features); padding positions stay 0. */
  private batchFeatures(indices: ArrayLike<number>, out: Record<string, BatchFeature>, hasNegatives: boolean): void {
    const B = indices.length;
    const H = this.maxHistory;
    const copyRow = (from: FeatureRows, row: number, to: Int32Array | Float32Array, at: number) => {
      const w = from.encoder.width;
      to.set(from.values.subarray(row * w, row * w + w), at * w);
    };
    const dims = (rows: FeatureRows, lead: number[]) => (rows.encoder.spec.kind === 'multi' ? [...lead, rows.encoder.width] : lead);
    this.itemFeatures.forEach((rows) => {
      const name = rows.encoder.spec.name;
      const hist = rows.encoder.allocate(B * H);
      const neg = hasNegatives ? rows.encoder.allocate(B * H) : undefined;
      const cand = rows.encoder.allocate(B);
      for (let b = 0; b < B; b++) {
        const i = indices[b];
        const u = this.sampleUser[i];
        const end = this.seqStart[u] + this.samplePosition[i];
        const start = Math.max(this.seqStart[u], end - H);
        for (let p = start; p < end; p++) {
          copyRow(rows, this.seqSlot[p], hist, b * H + p - start);
          if (neg && this.seqNegSlot[p] >= 0) copyRow(rows, this.seqNegSlot[p], neg, b * H + p - start);
        }
        copyRow(rows, this.candidateSlot[i], cand, b);
      }
      out[`hist_${name}`] = { data: hist, dims: dims(rows, [B, H]) };
      if (neg) out[`neg_${name}`] = { data: neg, dims: dims(rows, [B, H]) };
      out[`cand_${name}`] = { data: cand, dims: dims(rows, [B]) };
    });
    const perSample = (list: FeatureRows[], prefix: string, rowOf: (i: number) => number) =>
      list.forEach((rows) => {
        const data = rows.encoder.allocate(B);
        for (let b = 0; b < B; b++) {
          const row = rowOf(indices[b]);
          if (row >= 0) copyRow(rows, row, data, b);
          else rows.encoder.write(data, b, undefined); // no event at the position: missing context
        }
        out[`${prefix}_${rows.encoder.spec.name}`] = { data, dims: dims(rows, [B]) };
      });
    perSample(this.userFeatures, 'user', (i) => this.sampleUser[i]);
    perSample(this.contextFeatures, 'ctx', (i) => {
      const u = this.sampleUser[i];
      const p = this.seqStart[u] + this.samplePosition[i];
      return p < this.seqStart[u + 1] ? p : -1;
    });
  }

  /** A view of the first `n` samples (same encoded timelines), for quick runs and tests. */
  limit(n: number): EncodedDataset {
    const view = Object.create(EncodedDataset.prototype) as EncodedDataset;
    return Object.assign(view, this, { size: Math.min(n, this.size) });
  }

  /** Which user and timeline position sample `i` came from (its candidate's raw id, for the `rating` protocol, is that behaviour's item). */
  sampleAt(i: number): { user: string; position: number } {
    return { user: this.userIds[this.sampleUser[i]], position: this.samplePosition[i] };
  }

  /** Share of positive labels. */
  positiveRate(): number {
    let s = 0;
    for (let i = 0; i < this.size; i++) s += this.labels[i];
    return s / this.size;
  }
}
