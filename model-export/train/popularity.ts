/**
 * The popularity baseline: score a candidate by how often the training split touched it. The
 * contract's item vocabulary is ordered by training count, so the score is the negated index;
 * OOV items (seen < minItemCount times) score lowest. Uniform negatives make popularity a strong
 * signal: every learned model should be read against this row.
 */
import { OOV_INDEX } from '../../contract/featureContract.js';
import type { EncodedDataset } from './dataset.js';
import { auc, gauc } from './metrics.js';

export function popularityBaseline(test: EncodedDataset): { auc: number; gauc: number } {
  const n = test.size;
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const item = test.candidateItems[i];
    scores[i] = item === OOV_INDEX ? -Number.MAX_SAFE_INTEGER : -item; // lower index = more popular
  }
  const labels = test.labels.subarray(0, n);
  return { auc: auc(scores, labels), gauc: gauc(scores, labels, test.sampleUser.subarray(0, n)) };
}
