/**
 * A request's model CPU, estimated before it runs from the manifest's measured cost model
 * (`npm run model-cost`, bench/modelCost.ts): fixed + perCandidate·C + perHistory·T + perPair·C·T µs
 * at steady state, T = the kept history (≥ 1: an empty history is one padding slot).
 */
import type { CostModel } from '../../contract/manifest.js';

export function estimateUs(cost: CostModel, candidates: number, history: number): number {
  const T = Math.max(1, history);
  return cost.fixedUs + cost.perCandidateUs * candidates + cost.perHistoryUs * T + cost.perPairUs * candidates * T;
}

/** The most candidates a request with `history` kept behaviours may send to stay within `budgetUs` (0 if none fit). */
export function maxCandidatesWithin(cost: CostModel, history: number, budgetUs: number): number {
  const T = Math.max(1, history);
  const perCandidate = cost.perCandidateUs + cost.perPairUs * T;
  const left = budgetUs - cost.fixedUs - cost.perHistoryUs * T;
  if (left <= 0) return 0;
  return perCandidate > 0 ? Math.floor(left / perCandidate) : Number.MAX_SAFE_INTEGER;
}
