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

/** Every candidate needs a bid under a bid objective: one issue per candidate without one. */
export function missingBids(rankBy: RankBy, candidates: ReadonlyArray<unknown>): ErrorIssue[] {
  if (!needsBids(rankBy)) return [];
  const issues: ErrorIssue[] = [];
  candidates.forEach((c, i) => {
    if (typeof c !== 'object' || c === null || typeof (c as { bid?: unknown }).bid !== 'number') {
      issues.push({ path: `candidates.${i}.bid`, message: `rankBy "${rankBy}" needs a bid on every candidate ({"item": id, "bid": number ≥ 0})` });
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
