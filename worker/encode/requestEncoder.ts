/**
 * Request → serving feeds, through the shared feature contract (contract/featureContract.ts owns
 * ids → indices, truncation to H, padding and the OOV rule; nothing here re-decides them).
 */
import { canonicalId, type BehaviourRef, type FeatureContract, type RawId } from '../../contract/featureContract.js';
import type { ServingFeeds } from '../runtime/scoringSession.js';

export interface ScoreInputs {
  history: ReadonlyArray<RawId | BehaviourRef>;
  candidates: ReadonlyArray<RawId | BehaviourRef>;
}

export interface EncodedScoreRequest {
  feeds: ServingFeeds;
  /** Candidate ids as sent, as strings, in request order: [C]. */
  candidateIds: string[];
  /** Ids the model does not know (after truncation, for the history). */
  unknown: { history: number; candidates: number };
  /** Index in the request's `history` of history feed position 0; positions ≥ `historyKept` are padding. */
  historyStart: number;
  historyKept: number;
}

export function encodeScoreRequest(contract: FeatureContract, request: ScoreInputs): EncodedScoreRequest {
  const history = contract.encodeHistory(request.history, 'compact'); // [max(1, kept)], right-padded
  const candidates = contract.encodeCandidates(request.candidates); // [C]
  return {
    feeds: {
      historyItems: history.items,
      historyCategories: history.categories,
      candidateItems: candidates.items,
      candidateCategories: candidates.categories,
    },
    candidateIds: request.candidates.map((ref) => canonicalId(typeof ref === 'object' ? ref.item : ref)),
    unknown: { history: history.unknown, candidates: candidates.unknown },
    historyStart: request.history.length - history.length,
    historyKept: history.length,
  };
}
