export interface ScoredItem {
  item: string;
  score: number;
  /** The candidate's index in the request. */
  index: number;
  /** The value it was ranked by, when not the score itself. */
  value?: number;
}

/**
 * Pairs ids with scores and sorts by score, descending; equal scores keep request order (the sort
 * is stable). `topK` keeps the first k; a `topK` above the count keeps all.
 */
export function rankScores(items: readonly string[], scores: ArrayLike<number>, topK?: number, values?: ArrayLike<number>): ScoredItem[] {
  if (items.length !== scores.length || (values && values.length !== scores.length)) {
    throw new Error(`got ${scores.length} scores${values ? ` and ${values.length} values` : ''} for ${items.length} candidates`);
  }
  const ranked: ScoredItem[] = items.map((item, index) => {
    const score = scores[index];
    if (!Number.isFinite(score)) throw new Error(`model produced a non-finite score (${score}) for candidate ${index}`);
    return values ? { item, score, index, value: values[index] } : { item, score, index };
  });
  if (values) ranked.sort((a, b) => b.value! - a.value!);
  else ranked.sort((a, b) => b.score - a.score);
  return topK === undefined ? ranked : ranked.slice(0, topK);
}
