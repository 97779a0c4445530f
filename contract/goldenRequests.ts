/**
 * Golden requests: a few requests the exporter scores with onnxruntime-node and stores, with their
 * outputs, in the manifest. The worker replays them when it loads the model and refuses it when an
 * output differs by more than `tolerance`: a model that loads but computes something else (a
 * corrupted weight that stays finite, a contract the worker encodes differently, a runtime that
 * miscomputes an operator) is caught before it serves, like a sha256 mismatch.
 *
 * The requests are raw ids, not indices, so the replay goes through the worker's own encoding: the
 * check covers the feature contract as well as the graph.
 */
import * as z from 'zod';
import type { FeatureContract } from './featureContract.js';

/** Outputs a golden request records: `score` always, the task outputs of multi-task models. */
export const GOLDEN_OUTPUTS = ['score', 'ctr', 'cvr', 'ctcvr'] as const;
export type GoldenOutput = (typeof GOLDEN_OUTPUTS)[number];

/**
 * Max |Δ| per output value. onnxruntime-node and onnxruntime-web agree to ≈ 1e-6 on the shipped
 * models (test/parity); 1e-5 leaves room for kernel differences and none for a changed weight.
 */
export const GOLDEN_TOLERANCE = 1e-5;

const goldenRequest = z
  .object({
    history: z.array(z.string()),
    candidates: z.array(z.string()).min(1),
    profile: z.record(z.string(), z.unknown()).optional(),
    context: z.record(z.string(), z.unknown()).optional(),
    /** Unix seconds: the derived hour/weekday features. */
    time: z.number(),
    /** The route name the `route` feature sees. */
    route: z.string(),
    expected: z.partialRecord(z.enum(GOLDEN_OUTPUTS), z.array(z.number())),
  })
  .strict();

export const goldenSchema = z
  .object({
    tolerance: z.number().positive().max(0.01),
    /** What computed `expected`, e.g. `onnxruntime-node 1.30.0`. */
    reference: z.string(),
    requests: z.array(goldenRequest).min(1).max(16),
  })
  .strict();

export type GoldenRequest = z.infer<typeof goldenRequest>;
export type GoldenRequestInput = Omit<GoldenRequest, 'expected'>;
export type Golden = z.infer<typeof goldenSchema>;

/** 2026-01-01T12:00:00Z, a Thursday: a fixed time so hour/weekday features are exercised and reproducible. */
const GOLDEN_TIME = 1_767_268_800;

/**
 * Three requests that between them touch every part of the contract: a typical history with an
 * unknown candidate (OOV rule; with hashed ids just another bucket), an empty history (one padding slot), and a history longer than
 * `maxHistory` (truncation), spread over the vocabulary rather than its first rows; profile
 * values from each user feature's vocabulary, so user embeddings are read too.
 */
export function goldenRequestsFor(contract: FeatureContract): GoldenRequestInput[] {
  const items = contract.spec.items;
  // Hashed item ids (format 3) have no vocabulary: made-up ids hash to rows all over both tables.
  const at = (fraction: number, offset = 0) =>
    items.length === 0 ? `golden-${Math.floor(fraction * 1e6) + offset}` : items[Math.min(items.length - 1, Math.floor(fraction * items.length) + offset)];
  const spread = (count: number, from: number) => Array.from({ length: count }, (_, i) => at(((from + i * 0.137) % 1 + 1) % 1));
  const H = contract.spec.maxHistory;
  const profile: Record<string, unknown> = {};
  for (const e of contract.features.user) {
    const s = e.spec;
    if (s.kind === 'dense') profile[s.name] = s.mean + s.std;
    else if (s.vocabulary.length > 0) profile[s.name] = s.kind === 'multi' ? s.vocabulary.slice(0, 2) : s.vocabulary[Math.floor(s.vocabulary.length / 2)];
  }
  const base = { time: GOLDEN_TIME, route: 'golden', ...(Object.keys(profile).length ? { profile } : {}) };
  return [
    { ...base, history: spread(Math.min(H, 12), 0.05), candidates: [...spread(6, 0.61), 'golden-unknown-item'] },
    { ...base, history: [], candidates: spread(3, 0.33), context: { tz: 'Asia/Tokyo' } },
    { ...base, history: spread(H + 7, 0.21), candidates: spread(4, 0.87) },
  ];
}

/** The first output value that differs from its golden value by more than `tolerance`, described; undefined when all agree. */
export function goldenMismatch(request: GoldenRequest, index: number, actual: Partial<Record<GoldenOutput, ArrayLike<number>>>, tolerance: number): string | undefined {
  for (const [name, expected] of Object.entries(request.expected) as Array<[GoldenOutput, number[]]>) {
    const got = actual[name];
    if (!got || got.length !== expected.length) return `golden request ${index}: output "${name}" has ${got?.length ?? 0} values, expected ${expected.length}`;
    for (let c = 0; c < expected.length; c++) {
      const delta = Math.abs(got[c] - expected[c]);
      if (!(delta <= tolerance)) {
        return `golden request ${index}: output "${name}" candidate ${c} is ${got[c]}, expected ${expected[c]} (|Δ| ${delta.toExponential(2)} > ${tolerance})`;
      }
    }
  }
  return undefined;
}
