/**
 * What a route ranks by (`rankBy`): a task's probability, or an expected value per thousand
 * impressions from a per-candidate bid (docs/worker.md, "Ranking objectives"):
 *
 *   ctr   pCTR (single-task models: their score)          ecpm  bid × pCTR × 1000   (bid = CPC)
 *   cvr   pCVR, conversion given a click (multi-task)      ecpa  bid × pCTCVR × 1000 (bid = CPA:
 *   ctcvr pCTCVR = pCTR · pCVR (multi-task)                      price of a conversion)
 *
 * eCPM = CPC × CTR × 1000 is the DIEN notes' definition; `ecpa` prices the conversion instead of
 * the click, with pCTCVR the probability that an impression converts.
 */
import type { TaskOutput } from '../../contract/manifest.js';
import type { ErrorIssue } from '../errors.js';

export const RANK_BY = ['ctr', 'cvr', 'ctcvr', 'ecpm', 'ecpa'] as const;
export type RankBy = (typeof RANK_BY)[number];

/** The task output each objective reads; `ctr` also works on single-task models (their `score`). */
const TASK_OF: Record<RankBy, TaskOutput> = { ctr: 'ctr', cvr: 'cvr', ctcvr: 'ctcvr', ecpm: 'ctr', ecpa: 'ctcvr' };

export function needsBids(rankBy: RankBy): boolean {
  return rankBy === 'ecpm' || rankBy === 'ecpa';
}

/** Why a model cannot rank by `rankBy` (undefined when it can). */
export function unsupportedBy(rankBy: RankBy, tasks: readonly TaskOutput[]): string | undefined {
  const task = TASK_OF[rankBy];
  if (task === 'ctr' || tasks.includes(task)) return undefined;
  return `rankBy "${rankBy}" needs the model's "${task}" output: a multi-task model (ple, cgc, mmoe, shared-bottom); this one has ${tasks.length ? tasks.join(', ') : 'only "score"'}`;
}

/**
 * The largest bid accepted by default (MAX_BID overrides it): a million currency units per click or
 * conversion. With it every eCPM/eCPA is at most 1e9, so ranked values are always finite and ordered.
 */
export const DEFAULT_MAX_BID = 1e6;

/**
 * Bids: every candidate needs one under a bid objective, and no bid may exceed `maxBid` (under any
 * objective: a bid is a price, and one of 1.7e308 is a mistake or an attack). One issue per candidate.
 */
export function bidIssues(rankBy: RankBy, candidates: ReadonlyArray<unknown>, maxBid = DEFAULT_MAX_BID): ErrorIssue[] {
  const issues: ErrorIssue[] = [];
  candidates.forEach((c, i) => {
    const bid = typeof c === 'object' && c !== null ? (c as { bid?: unknown }).bid : undefined;
    if (typeof bid !== 'number') {
      if (needsBids(rankBy)) issues.push({ path: `candidates.${i}.bid`, message: `rankBy "${rankBy}" needs a bid on every candidate ({"item": id, "bid": number ≥ 0})` });
    } else if (!(bid >= 0 && bid <= maxBid)) {
      issues.push({ path: `candidates.${i}.bid`, message: `a bid is a finite number from 0 to ${maxBid} (the worker's MAX_BID)` });
    }
  });
  return issues;
}

/** The value each candidate is ranked by, [C], request order. */
export function objectiveValues(
  rankBy: RankBy,
  scores: Float32Array,
  tasks: Partial<Record<TaskOutput, Float32Array>> | undefined,
  candidates: ReadonlyArray<unknown>,
): Float64Array | Float32Array {
  const probability = TASK_OF[rankBy] === 'ctr' ? (tasks?.ctr ?? scores) : tasks?.[TASK_OF[rankBy]];
  if (!probability) throw new Error(`no "${TASK_OF[rankBy]}" output for rankBy "${rankBy}"`);
  if (!needsBids(rankBy)) return probability;
  return Float64Array.from(probability, (p, i) => (candidates[i] as { bid: number }).bid * p * 1000);
}
