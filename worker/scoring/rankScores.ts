export interface ScoredItem {
  item: string;
  score: number;
  /** The candidate's index in the request. */
  index: number;
}

/**
 * Pairs ids with scores and sorts by score, descending; equal scores keep request order (the sort
 * is stable). `topK` keeps the first k; a `topK` above the count keeps all.
 */
export function rankScores(items: readonly string[], scores: ArrayLike<number>, topK?: number): ScoredItem[] {
  if (items.length !== scores.length) {
    throw new Error(`got ${scores.length} scores for ${items.length} candidates`);
  }
  const ranked = items.map((item, index) => {
    const score = scores[index];
    if (!Number.isFinite(score)) throw new Error(`model produced a non-finite score (${score}) for candidate ${index}`);
    return { item, score, index };
  });
  ranked.sort((a, b) => b.score - a.score);
  return topK === undefined ? ranked : ranked.slice(0, topK);
}
