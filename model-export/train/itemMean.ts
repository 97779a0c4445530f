/**
 * The item-mean baseline of the `rating` protocol (label = rating ≥ threshold): score a candidate
 * by the mean rating its item received in the training split; an item no training behaviour rated
 * scores the global training mean. No model, no seed — the row a learned `rating` model has to
 * beat, as popularity is on `next`.
 */
import type { PreparedData } from './pipeline.js';
import { auc, gauc } from './metrics.js';

export function itemMeanBaseline(data: Pick<PreparedData, 'test' | 'logs'>): { auc: number; gauc: number } {
  const totals = new Map<string, { sum: number; n: number }>();
  let sum = 0;
  let n = 0;
  for (const timeline of data.logs.train.timelines.values()) {
    for (const b of timeline) {
      if (b.value === undefined) continue;
      const t = totals.get(b.item) ?? { sum: 0, n: 0 };
      t.sum += b.value;
      t.n++;
      totals.set(b.item, t);
      sum += b.value;
      n++;
    }
  }
  if (n === 0) throw new Error('the item-mean baseline needs rated behaviours (EVENT_VALUE, a rating) in the training split');
  const globalMean = sum / n;
  const { test } = data;
  const scores = new Float64Array(test.size);
  const users: string[] = [];
  for (let i = 0; i < test.size; i++) {
    // `rating` samples: the candidate is the behaviour at the sample's position.
    const { user, position } = test.sampleAt(i);
    const t = totals.get(data.logs.test.timelines.get(user)![position].item);
    scores[i] = t ? t.sum / t.n : globalMean;
    users.push(user);
  }
  const labels = test.labels.subarray(0, test.size);
  return { auc: auc(scores, labels), gauc: gauc(scores, labels, users) };
}
