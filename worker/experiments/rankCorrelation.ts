/** Spearman's ρ: Pearson correlation of the ranks, ties given their average rank. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  const n = a.length;
  if (n !== b.length) throw new Error(`spearman: lengths differ (${n} vs ${b.length})`);
  if (n < 2) return null;
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (n + 1) / 2;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    cov += (ra[i] - mean) * (rb[i] - mean);
    va += (ra[i] - mean) ** 2;
    vb += (rb[i] - mean) ** 2;
  }
  return va === 0 || vb === 0 ? null : cov / Math.sqrt(va * vb);
}

/** 1-based ranks, ties averaged. */
export function ranks(x: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: x.length }, (_, i) => i).sort((i, j) => x[i] - x[j]);
  const out = new Float64Array(x.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && x[order[end]] === x[order[start]]) end++;
    const rank = (start + 1 + end) / 2; // average of ranks start+1 … end
    for (let k = start; k < end; k++) out[order[k]] = rank;
    start = end;
  }
  return out;
}
