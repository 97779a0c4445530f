import type { RequestCircumstances, ScoreInputs } from '../encode/requestEncoder.js';
import { encodeForModel } from '../encode/rowFeeds.js';
import { ApiError } from '../errors.js';
import type { LoadedModel } from '../models/loadedModel.js';
import { topBehaviours, type Because } from './explain.js';
import { rankScores } from './rankScores.js';
import { bidIssues, objectiveValues, unsupportedBy, type RankBy } from './objectives.js';

export interface RankedItem {
  item: string;
  score: number;
  /** Multi-task models: every task's probability. */
  tasks?: { ctr: number; cvr: number; ctcvr: number };
  /** The ranked value when ranking by something other than the click probability. */
  value?: number;
  /** With `explain: true`: the history behaviours that weighed most for this item. */
  because?: Because[];
  /** With the `attentionRows` option (browser library): the weight of every kept history behaviour, in history order. */
  attention?: number[];
}

export interface ScoredRequest {
  model: { name: string; version: string };
  rankBy: RankBy;
  scores: RankedItem[];
  unknown: { history: number; candidates: number; profile?: number; context?: number };
  /** `explain: true` on a model without attention (e.g. Base): why there is no `because`. */
  explainUnavailable?: string;
  /** Raw scores in candidate (request) order, for shadow comparison; not part of the response. */
  raw: Float32Array;
}

/** A loaded model returned a non-probability: the caller marks it failed and falls back. */
export class ModelOutputError extends Error {
  constructor(readonly model: string, message: string) {
    super(message);
    this.name = 'ModelOutputError';
  }
}

/**
 * Check the feature values against this model (a wrong type is a 400 naming the field) → encode →
 * run → rank (→ explain).
 */
export async function scoreRequest(
  model: LoadedModel,
  request: ScoreInputs & { topK?: number; explain?: boolean },
  circumstances?: RequestCircumstances,
  ranking: { rankBy: RankBy; from: 'request' | 'route'; maxBid?: number } = { rankBy: 'ctr', from: 'route' },
  options: { attentionRows?: boolean } = {},
): Promise<ScoredRequest> {
  const { rankBy } = ranking;
  const unsupported = unsupportedBy(rankBy, model.session.tasks);
  if (unsupported) {
    // Asked by the client: its request is wrong for this model. Set by the route config: ours.
    if (ranking.from === 'request') throw new ApiError('invalid_request', unsupported, { issues: [{ path: 'rankBy', message: unsupported }] });
    throw new ApiError('internal_error', `route config: ${unsupported} (model "${model.manifest.name}")`);
  }
  const issues = [...bidIssues(rankBy, request.candidates, ranking.maxBid), ...model.contract.checkRequest(request)];
  if (issues.length > 0) {
    throw new ApiError('invalid_request', `request values do not fit model "${model.manifest.name}" or rankBy "${rankBy}"`, { issues });
  }
  const encoded = await encodeForModel(model, request, circumstances);
  const rows = options.attentionRows === true && model.session.hasAttention;
  const explain = (request.explain === true || rows) && model.session.hasAttention;
  const withTasks = model.session.tasks.length > 0;
  const result = await model.session.score(encoded.feeds, { attention: explain, tasks: withTasks });
  const C = encoded.candidateIds.length;
  for (const [name, out] of [['score', result.scores], ...Object.entries(result.tasks ?? {})] as Array<[string, Float32Array]>) {
    const i = out.findIndex((v) => !(v >= 0 && v <= 1));
    if (i >= 0) throw new ModelOutputError(model.manifest.name, `model "${model.manifest.name}" output "${name}" gave ${out[i]} for candidate ${i}`);
  }
  const values = rankBy === 'ctr' ? undefined : objectiveValues(rankBy, result.scores, result.tasks, request.candidates);
  // Bounded bids and probabilities make every value finite; checked anyway, since a non-finite
  // value has no defined rank and would be `null` in JSON.
  const notFinite = values?.findIndex((v) => !Number.isFinite(v)) ?? -1;
  if (notFinite >= 0) throw new ApiError('unscorable_request', `the ${rankBy} of candidate ${notFinite} is not a finite number`, { issues: [{ path: `candidates.${notFinite}.bid`, message: 'gives a non-finite ranked value' }] });
  const ranked = rankScores(encoded.candidateIds, result.scores, explain ? undefined : request.topK, values);
  const because = request.explain === true && result.attention ? topBehaviours(request.history, encoded.historyStart, encoded.historyKept, result.attention, C) : undefined;
  const T = result.attention ? result.attention.length / C : 0;
  const kept = explain && request.topK !== undefined ? ranked.slice(0, request.topK) : ranked;
  const t = result.tasks;
  const scores: RankedItem[] = kept.map((s) => ({
    item: s.item,
    score: s.score,
    ...(withTasks && t?.ctr && t.cvr && t.ctcvr ? { tasks: { ctr: t.ctr[s.index], cvr: t.cvr[s.index], ctcvr: t.ctcvr[s.index] } } : {}),
    ...(s.value !== undefined ? { value: s.value } : {}),
    ...(because ? { because: because[s.index] } : {}),
    ...(rows && result.attention ? { attention: Array.from(result.attention.subarray(s.index * T, s.index * T + encoded.historyKept)) } : {}),
  }));
  return {
    model: { name: model.manifest.name, version: model.manifest.version },
    rankBy,
    scores,
    unknown: encoded.unknown,
    ...(request.explain === true && !model.session.hasAttention
      ? { explainUnavailable: `model type "${model.manifest.type}" has no attention output` }
      : {}),
    raw: result.scores,
  };
}
