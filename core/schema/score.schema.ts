/**
 * `POST /v1/score` request schema. Limits are part of the public API (docs/worker.md).
 */
import type { ErrorIssue } from '../errors.js';
import * as z from '../zod.js';
import { RANK_BY } from '../scoring/objectives.js';

export const SCORE_LIMITS = {
  /** Request body, bytes. */
  maxBodyBytes: 256 * 1024,
  maxHistory: 1000,
  maxCandidates: 1000,
  /** Longest string id or category name, characters. */
  maxIdLength: 128,
  /** Entries in `profile`, `context` or one item's `attributes`. */
  maxFeatureEntries: 32,
  /** Values of one multi-valued feature. */
  maxFeatureValues: 64,
} as const;

const stringId = z.string().min(1).max(SCORE_LIMITS.maxIdLength);
const integerId = z.int(); // safe integers only
const itemId = z.union([stringId, integerId], { error: 'expected an item id: a non-empty string or a safe integer' });

/** A feature value as JSON: checked against the model's feature kinds after the variant is chosen. */
const featureValue = z.union([stringId, z.number(), z.array(z.union([stringId, z.number()])).max(SCORE_LIMITS.maxFeatureValues)], {
  error: 'expected a string, a number, or an array of strings/integers',
});
const featureValues = z.record(z.string().min(1).max(SCORE_LIMITS.maxIdLength), featureValue).refine((r) => Object.keys(r).length <= SCORE_LIMITS.maxFeatureEntries, {
  error: `at most ${SCORE_LIMITS.maxFeatureEntries} entries`,
});

const itemRef = z.strictObject({
  item: itemId,
  category: z.string().min(1).max(SCORE_LIMITS.maxIdLength).optional(),
  /** Candidate-attribute hints (e.g. {"genres": ["Drama"], "year": 1999}) used, like `category`, only for unknown ids. */
  attributes: featureValues.optional(),
  /** The advertiser's bid for this candidate (CPC under `ecpm`, CPA under `ecpa`): finite, 0 … MAX_BID (default 1e6; checked with the model). */
  bid: z.number().min(0, { error: 'a bid is a finite number ≥ 0' }).optional().meta({ description: 'CPC under ecpm, CPA under ecpa: 0 … the worker\'s MAX_BID (default 1,000,000); above it a 400 naming candidates.i.bid.' }),
});

/** An item id, or `{item, category?}` where the category is a hint used for unknown ids. */
const behaviour = z.union([stringId, integerId, itemRef], {
  error: 'expected an item id (string or safe integer) or {"item": id, "category"?: string}',
});

export const scoreRequestSchema = z
  .strictObject({
    /** Oldest first; only the model's last H are used. */
    history: z.array(behaviour).max(SCORE_LIMITS.maxHistory).default([]).meta({ description: 'Behaviours (clicks), oldest first; the model uses the last H.' }),
    candidates: z.array(behaviour).min(1).max(SCORE_LIMITS.maxCandidates).meta({ description: 'Items to score, any order.' }),
    /** Keep the best `topK`; larger than the number of candidates means all of them. */
    topK: z.int().positive().max(SCORE_LIMITS.maxCandidates).optional().meta({ description: 'Return only the best k.' }),
    /** The experiment unit: variant assignment is sticky per user. Never logged raw. */
    user: z.string().min(1).max(SCORE_LIMITS.maxIdLength).optional().meta({ description: 'Unit id for sticky A/B assignment (else the x-unit-id header, else a generated one).' }),
    /** Add the top behaviours by attention weight to every returned item. */
    explain: z.boolean().optional().meta({ description: 'Add `because`: the 3 history behaviours with the largest attention weight, per item.' }),
    /** What to rank by; default the variant's, else the route's, else `ctr`. */
    rankBy: z.enum(RANK_BY).optional().meta({ description: 'Rank by a task (ctr, cvr, ctcvr) or an objective: ecpm = bid × pCTR × 1000, ecpa = bid × pCTCVR × 1000 (every candidate then needs a bid). Default: the route variant\'s, else ctr.' }),
    /** The DIN paper's user-profile group: values of the model's `user` features. */
    profile: featureValues.optional().meta({ description: 'User-profile values by feature name (e.g. {"gender": "F", "age": 31}); names the model does not use are ignored and counted in `unknown.profile`.' }),
    /** Context values; `tz` (an IANA zone) sets the zone of the derived hour/weekday. */
    context: z
      .record(z.string().min(1).max(SCORE_LIMITS.maxIdLength), featureValue)
      .refine((r) => Object.keys(r).length <= SCORE_LIMITS.maxFeatureEntries, { error: `at most ${SCORE_LIMITS.maxFeatureEntries} entries` })
      .optional()
      .meta({
        description:
          'Context values by feature name (e.g. {"device": "mobile"}), and `tz`, the client\'s IANA time zone for the hour/weekday features (else the edge\'s, else UTC). The route name is the `pid` feature; hour and weekday come from the request time unless sent.',
      }),
  });

export type ScoreRequest = z.infer<typeof scoreRequestSchema>;

const because = z
  .object({
    item: z.string(),
    position: z.int().nonnegative().meta({ description: "Index in the request's history." }),
    weight: z.number(),
  });

export const scoreResponseSchema = z
  .object({
    route: z.string(),
    variant: z.string(),
    model: z.object({ name: z.string(), version: z.string() }),
    rankBy: z.enum(RANK_BY).meta({ description: 'What the scores are sorted by.' }),
    scores: z.array(
      z.object({
        item: z.string(),
        score: z.number().min(0).max(1).meta({ description: 'pCTR: the click probability (multi-task models: their ctr task).' }),
        tasks: z.object({ ctr: z.number(), cvr: z.number(), ctcvr: z.number() }).optional().meta({ description: 'Multi-task models: every task\'s probability.' }),
        value: z.number().optional().meta({ description: 'The ranked value when rankBy is not ctr (a probability, or eCPM / eCPA per thousand impressions).' }),
        because: z.array(because).max(3).optional(),
      }),
    ),
    unknown: z.object({
      history: z.int().nonnegative(),
      candidates: z.int().nonnegative(),
      profile: z.int().nonnegative().optional().meta({ description: 'Present when the request has `profile`: entries the model does not use plus values its vocabularies do not know.' }),
      context: z.int().nonnegative().optional().meta({ description: 'Present when the request has `context`: the same count for context entries (`tz` excluded).' }),
    }),
    assignment: z
      .object({ token: z.string(), expiresAt: z.string() })
      .meta({ description: 'Proof of this assignment (route, variant, bucket, unit, model version, objective), signed by the worker: send `token` with exposures and outcomes of what this response ranked.' }),
    unitId: z.string().optional().meta({ description: 'Present when the worker generated the unit id: send it back (user or x-unit-id) to stay in the same variant.' }),
    explainUnavailable: z.string().optional(),
    cascade: z
      .object({ firstStage: z.object({ name: z.string(), version: z.string() }), kept: z.int().positive(), candidates: z.int().positive() })
      .optional()
      .meta({ description: 'Present when the request was over the route\'s CPU budget and its cascade answered: the first stage scored all `candidates`, the model re-ranked the `kept` best; the others are dropped.' }),
  });

export type ScoreResponse = z.infer<typeof scoreResponseSchema>;
export type Behaviour = z.infer<typeof behaviour>;

/**
 * zod issues → `{path, message}` with the path pointing at the offending field. A union issue is
 * replaced by the issues of the one alternative that matched the value's shape (so a bad
 * `candidates.3.category` is reported there, not as "invalid candidates.3").
 */
export function toErrorIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): ErrorIssue[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union') {
      // An alternative whose type did not match the value says nothing about the value.
      const informative = issue.errors.filter(
        (branch) => !branch.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_union')),
      );
      if (informative.length === 1) return toErrorIssues(informative[0], path);
    }
    return [{ path: path.map(String).join('.'), message: issue.message }];
  });
}
