/**
 * Evaluation metrics (pure functions).
 * - AUC: probability a random positive outscores a random negative (ties count ½), via ranks.
 * - GAUC (DIN paper eq. 1): Σ_u n_u·AUC_u / Σ_u n_u over users whose samples hold both labels,
 *   n_u = the user's impressions (samples).
 * - RelaImpr (DIN paper eq. 10): ((AUC_model − 0.5) / (AUC_base − 0.5) − 1) × 100 %.
 */

export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  if (labels.length !== n) throw new Error('scores and labels differ in length');
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSum = 0; // sum of (1-based, tie-averaged) ranks of positives
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const rank = (i + j + 2) / 2;
    for (let t = i; t <= j; t++) {
      if (labels[order[t]] > 0.5) {
        positives++;
        rankSum += rank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function gauc(scores: ArrayLike<number>, labels: ArrayLike<number>, users: ArrayLike<number | string>): number {
  const byUser = new Map<number | string, number[]>();
  for (let i = 0; i < scores.length; i++) {
    let list = byUser.get(users[i]);
    if (!list) byUser.set(users[i], (list = []));
    list.push(i);
  }
  let weighted = 0;
  let weight = 0;
  for (const idx of byUser.values()) {
    const a = auc(
      idx.map((i) => scores[i]),
      idx.map((i) => labels[i]),
    );
    if (Number.isNaN(a)) continue; // all labels equal: AUC undefined, user skipped
    weighted += idx.length * a;
    weight += idx.length;
  }
  return weight === 0 ? Number.NaN : weighted / weight;
}

export function relaImpr(modelAuc: number, baseAuc: number): number {
  return ((modelAuc - 0.5) / (baseAuc - 0.5) - 1) * 100;
}

/** Mean binary cross-entropy of probabilities, clipped away from 0 and 1. */
export function logloss(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = Math.min(Math.max(probabilities[i], 1e-7), 1 - 1e-7);
    s -= labels[i] > 0.5 ? Math.log(p) : Math.log(1 - p);
  }
  return s / probabilities.length;
}

export function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}
