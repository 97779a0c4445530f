import { describe, expect, it } from 'vitest';
import { auc, gauc, logloss, meanStd, relaImpr } from '../../model-export/train/metrics.js';

describe('metrics', () => {
  it('AUC counts correctly ordered positive/negative pairs', () => {
    // pairs (pos, neg): (0.8,0.1) ✓ (0.8,0.4) ✓ (0.35,0.1) ✓ (0.35,0.4) ✗ → 3/4
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(auc([0.9, 0.1], [1, 0])).toBe(1);
    expect(auc([0.9, 0.1], [0, 1])).toBe(0);
  });

  it('AUC counts ties as one half', () => {
    expect(auc([0.5, 0.5], [1, 0])).toBe(0.5);
    // pos 0.5 vs neg {0.5, 0.2}: ½ + 1 → 0.75
    expect(auc([0.5, 0.5, 0.2], [1, 0, 0])).toBe(0.75);
  });

  it('AUC is NaN with one class only', () => {
    expect(auc([0.1, 0.2], [1, 1])).toBeNaN();
  });

  it('GAUC weights per-user AUC by impressions and skips one-class users', () => {
    // user 1: 4 samples, AUC 0.75; user 2: 2 samples, AUC 0; user 3: all positive, skipped.
    const scores = [0.1, 0.4, 0.35, 0.8, 0.9, 0.1, 0.5, 0.6];
    const labels = [0, 0, 1, 1, 0, 1, 1, 1];
    const users = [1, 1, 1, 1, 2, 2, 3, 3];
    expect(gauc(scores, labels, users)).toBeCloseTo((4 * 0.75 + 2 * 0) / 6, 12);
  });

  it('RelaImpr follows DIN eq. (10)', () => {
    expect(relaImpr(0.7, 0.6)).toBeCloseTo(100, 10); // (0.2 / 0.1 − 1) × 100
    expect(relaImpr(0.6, 0.6)).toBe(0);
  });

  it('logloss and mean ± std', () => {
    expect(logloss([0.5, 0.5], [1, 0])).toBeCloseTo(Math.log(2), 12);
    expect(meanStd([1, 2, 3])).toEqual({ mean: 2, std: 1 });
  });
});
