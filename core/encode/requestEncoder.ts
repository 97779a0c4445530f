/**
 * Request → serving feeds, through the shared feature contract (contract/featureContract.ts owns
 * ids → indices, truncation to H, padding and the OOV rule; nothing here re-decides them).
 */
import { canonicalId, CONTEXT_TIME_ZONE_KEY, type BehaviourRef, type FeatureContract, type ItemLookup, type RawId } from '../../contract/featureContract.js';
import type { ServingFeeds } from '../runtime/scoringSession.js';

export interface ScoreInputs {
  history: ReadonlyArray<RawId | BehaviourRef>;
  candidates: ReadonlyArray<RawId | BehaviourRef>;
  /** User-profile values (the model's `user` features). */
  profile?: Readonly<Record<string, unknown>>;
  /** Context values; `tz` names the client's zone. */
  context?: Readonly<Record<string, unknown>>;
}

/** What the worker knows about a request that the client does not send: the derived context. */
export interface RequestCircumstances {
  /** Unix seconds. */
  time: number;
  /** The route's name: the `pid` (route) feature. */
  route: string;
  /** The edge's zone for the client (`request.cf.timezone`), used when `context.tz` is absent. */
  edgeTimeZone?: string;
}

export interface EncodedScoreRequest {
  feeds: ServingFeeds;
  /** Candidate ids as sent, as strings, in request order: [C]. */
  candidateIds: string[];
  /** Ids the model does not know (after truncation, for the history); profile/context entries the model does not use or know, when sent. */
  unknown: { history: number; candidates: number; profile?: number; context?: number };
  /** Index in the request's `history` of history feed position 0; positions ≥ `historyKept` are padding. */
  historyStart: number;
  historyKept: number;
}

/**
 * Values are assumed checked (`contract.checkRequest`): a wrong type would be encoded as missing.
 * Time zone of the derived hour/weekday: `context.tz`, else the edge's, else UTC.
 */
export function encodeScoreRequest(
  contract: FeatureContract,
  request: ScoreInputs,
  circumstances: RequestCircumstances = { time: Date.now() / 1000, route: 'default' },
  /** Models with item rows outside the graph: the row store's answer (core/encode/rowFeeds.ts). */
  itemLookup?: ItemLookup,
): EncodedScoreRequest {
  const history = contract.encodeHistory(request.history, 'compact', itemLookup); // [max(1, kept)], right-padded
  const candidates = contract.encodeCandidates(request.candidates, itemLookup); // [C]
  const tz = request.context?.[CONTEXT_TIME_ZONE_KEY];
  const requestFeatures =
    contract.features.user.length + contract.features.context.length > 0 || request.profile || request.context
      ? contract.encodeRequestFeatures({
          profile: request.profile,
          context: request.context,
          time: circumstances.time,
          timeZone: typeof tz === 'string' ? tz : (circumstances.edgeTimeZone ?? 'UTC'),
          route: circumstances.route,
        })
      : undefined;
  const features = [...history.features, ...candidates.features, ...(requestFeatures?.features ?? [])];
  return {
    feeds: {
      historyItems: history.items,
      historyCategories: history.categories,
      candidateItems: candidates.items,
      candidateCategories: candidates.categories,
      ...(features.length > 0 ? { features } : {}),
    },
    candidateIds: request.candidates.map((ref) => canonicalId(typeof ref === 'object' ? ref.item : ref)),
    unknown: {
      history: history.unknown,
      candidates: candidates.unknown,
      ...(request.profile ? { profile: requestFeatures!.unknown.profile } : {}),
      ...(request.context ? { context: requestFeatures!.unknown.context } : {}),
    },
    historyStart: request.history.length - history.length,
    historyKept: history.length,
  };
}
