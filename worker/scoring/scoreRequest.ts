import { encodeScoreRequest, type ScoreInputs } from '../encode/requestEncoder.js';
import type { LoadedModel } from '../models/registry.js';
import { rankScores, type ScoredItem } from './rankScores.js';

export interface ScoreResponse {
  model: { name: string; version: string };
  scores: ScoredItem[];
  unknown: { history: number; candidates: number };
}

/** Encode → run → rank: the body of a 200 from `POST /v1/score`. */
export async function scoreRequest(model: LoadedModel, request: ScoreInputs & { topK?: number }): Promise<ScoreResponse> {
  const encoded = encodeScoreRequest(model.contract, request);
  const scores = await model.session.score(encoded.feeds); // [C]
  return {
    model: { name: model.manifest.name, version: model.manifest.version },
    scores: rankScores(encoded.candidateIds, scores, request.topK),
    unknown: encoded.unknown,
  };
}
