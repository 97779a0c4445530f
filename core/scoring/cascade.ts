/**
 * Keeping every request within the CPU budget (docs/worker.md, "CPU budget and cascades"). Before a
 * request runs, its model CPU is estimated from the manifest's cost model (requestCost.ts). Within
 * the budget it runs as sent. Over it, the route's `overBudget` decides:
 *
 * - `refuse` (default): a 422 `over_budget` that states the estimate, the budget and how many
 *   candidates would fit;
 * - `cascade`: a cheap first stage (a dot product on the model's own embeddings, or any model)
 *   scores every candidate, and the route's model re-ranks the first stage's top K, K the most that
 *   fit the budget after the first stage (or the configured `keep`). This is how production
 *   rankers bound their cost (pre-ranking, e.g. Alibaba's COLD): the answer is the full model's
 *   ranking of the stage-one top K; the other candidates are dropped.
 */
import { ApiError } from '../errors.js';
import type { LoadedModel } from '../models/loadedModel.js';
import type { RequestCircumstances } from '../encode/requestEncoder.js';
import type { RankBy } from './objectives.js';
import { estimateUs, maxCandidatesWithin } from './requestCost.js';
import { scoreRequest, type ScoredRequest } from './scoreRequest.js';

export type OverBudget = 'refuse' | { cascade: { firstStage: string; keep?: number } };

export type BudgetPlan =
  | { kind: 'full'; estimateUs?: number }
  | { kind: 'cascade'; firstStage: string; estimateUs: number; keep?: number };

type Request = Parameters<typeof scoreRequest>[1];

/** Kept history length of `request` for `model` (what the graph sees). */
export function keptHistory(model: LoadedModel, request: Request): number {
  return Math.min(request.history.length, model.contract.spec.maxHistory);
}

/**
 * Whether `request` may run on `model` as sent. A model without a cost model is not budgeted
 * (older exports: `npm run model-cost` adds one).
 */
export function planBudget(model: LoadedModel, request: Request, budgetMs: number, overBudget: OverBudget, route: string): BudgetPlan {
  const cost = model.manifest.cost;
  if (!cost) return { kind: 'full' };
  const T = keptHistory(model, request);
  const C = request.candidates.length;
  const estimate = estimateUs(cost, C, T);
  if (estimate <= budgetMs * 1000) return { kind: 'full', estimateUs: estimate };
  if (overBudget !== 'refuse') return { kind: 'cascade', firstStage: overBudget.cascade.firstStage, estimateUs: estimate, ...(overBudget.cascade.keep ? { keep: overBudget.cascade.keep } : {}) };
  const fit = maxCandidatesWithin(cost, T, budgetMs * 1000);
  throw new ApiError('over_budget', `this request would take ≈ ${(estimate / 1000).toFixed(1)} ms of model CPU (${C} candidates × ${Math.max(1, T)} history on "${model.manifest.name}"); route "${route}" allows ${budgetMs} ms per request`, {
    issues: [{ path: 'candidates', message: fit > 0 ? `at most ${fit} candidates with ${T} history behaviours` : `no request with ${T} history behaviours fits; send a shorter history` }],
  });
}

export interface CascadeResult {
  scored: ScoredRequest;
  firstStage: { name: string; version: string };
  kept: number;
  candidates: number;
}

/**
 * Stage one scores every candidate; the `keep` best (by stage one) go to `model`, whose ranking of
 * them is the answer. `keep` defaults to the most candidates `model` can take within what is left
 * of the budget after stage one (at least the request's topK when that fits, at least 1).
 */
export async function cascadeScore(
  firstStage: LoadedModel,
  model: LoadedModel,
  request: Request,
  budgetMs: number,
  circumstances: RequestCircumstances | undefined,
  ranking: { rankBy: RankBy; from: 'request' | 'route'; maxBid?: number },
  keep?: number,
): Promise<CascadeResult> {
  const C = request.candidates.length;
  const T = keptHistory(model, request);
  const firstCost = firstStage.manifest.cost ? estimateUs(firstStage.manifest.cost, C, keptHistory(firstStage, request)) : 0;
  const left = budgetMs * 1000 - firstCost;
  const fit = model.manifest.cost ? maxCandidatesWithin(model.manifest.cost, T, left) : C;
  const K = Math.max(1, Math.min(C, keep ?? fit));
  if (keep === undefined && fit < 1) {
    throw new ApiError('over_budget', `route's first stage "${firstStage.manifest.name}" alone would take ≈ ${(firstCost / 1000).toFixed(1)} ms of the ${budgetMs} ms budget for ${C} candidates`, {
      issues: [{ path: 'candidates', message: 'too many candidates even for the first stage' }],
    });
  }
  // Stage one: raw scores in request order (no explain, no topK, ranked by its click probability).
  const first = await scoreRequest(firstStage, { history: request.history, candidates: request.candidates, profile: request.profile, context: request.context }, circumstances, { rankBy: 'ctr', from: 'route', ...(ranking.maxBid !== undefined ? { maxBid: ranking.maxBid } : {}) });
  const order = Array.from(first.raw.keys()).sort((a, b) => first.raw[b] - first.raw[a] || a - b);
  const kept = order.slice(0, K).sort((a, b) => a - b).map((i) => request.candidates[i]);
  const scored = await scoreRequest(model, { ...request, candidates: kept }, circumstances, ranking);
  return {
    scored: { ...scored, unknown: { ...scored.unknown, candidates: first.unknown.candidates } },
    firstStage: { name: firstStage.manifest.name, version: firstStage.manifest.version },
    kept: K,
    candidates: C,
  };
}
