import { encodeScoreRequest, type RequestCircumstances, type ScoreInputs } from '../encode/requestEncoder.js';
import { ApiError } from '../errors.js';
import type { LoadedModel } from '../models/registry.js';
import { topBehaviours, type Because } from './explain.js';
import { rankScores } from './rankScores.js';

export interface RankedItem {
  item: string;
  score: number;
  /** With `explain: true`: the history behaviours that weighed most for this item. */
  because?: Because[];
}

export interface ScoredRequest {
  model: { name: string; version: string };
  scores: RankedItem[];
  unknown: { history: number; candidates: number; profile?: number; context?: number };
  /** `explain: true` on a model without attention (e.g. Base): why there is no `because`. */
  explainUnavailable?: string;
  /** Raw scores in candidate (request) order, for shadow comparison; not part of the response. */
  raw: Float32Array;
}

/**
 * Check the feature values against this model (a wrong type is a 400 naming the field) → encode →
 * run → rank (→ explain).
 */
export async function scoreRequest(model: LoadedModel, request: ScoreInputs & { topK?: number; explain?: boolean }, circumstances?: RequestCircumstances): Promise<ScoredRequest> {
  const issues = model.contract.checkRequest(request);
  if (issues.length > 0) {
    throw new ApiError('invalid_request', `request values do not fit the feature columns of model "${model.manifest.name}"`, { issues });
  }
  const encoded = encodeScoreRequest(model.contract, request, circumstances);
  const explain = request.explain === true && model.session.hasAttention;
  const result = await model.session.score(encoded.feeds, { attention: explain });
  const C = encoded.candidateIds.length;
  let scores: RankedItem[];
  if (explain && result.attention) {
    const because = topBehaviours(request.history, encoded.historyStart, encoded.historyKept, result.attention, C);
    const withReasons = rankScores(encoded.candidateIds, result.scores).map((s) => ({ ...s, because: because[s.index] }));
    scores = request.topK === undefined ? withReasons : withReasons.slice(0, request.topK);
  } else {
    scores = rankScores(encoded.candidateIds, result.scores, request.topK);
  }
  return {
    model: { name: model.manifest.name, version: model.manifest.version },
    scores: scores.map(({ item, score, because }) => (because ? { item, score, because } : { item, score })),
    unknown: encoded.unknown,
    ...(request.explain === true && !model.session.hasAttention
      ? { explainUnavailable: `model type "${model.manifest.type}" has no attention output` }
      : {}),
    raw: result.scores,
  };
}
