/**
 * Exposure records: one per scored request (and one per shadow comparison), written after the
 * response (`ctx.waitUntil`).
 *
 * Sinks: the `EXPOSURES` Workers Analytics Engine dataset (one data point per record; a request
 * writes at most 2, the limit is 25 per invocation) or, with `EXPOSURE_LOG = "console"` (wrangler
 * dev, tests) or when the binding is missing, one JSON line on the console prefixed `[exposure]`.
 * The unit id is never logged: only `unitHash`, the first 16 hex digits of
 * HMAC-SHA-256(UNIT_HASH_KEY, unit key), or of the unit key (SHA-256 of `unit:<id>`) without the secret.
 */

import { hmacSha256 } from '../../core/hmac.js';

/** One scored request. */
export interface ExposureRecord {
  kind: 'exposure';
  route: string;
  /** The variant that answered (differs from `assignedVariant` after a fallback). */
  variant: string;
  assignedVariant: string;
  model: string;
  modelVersion: string;
  unitHash: string;
  /** `browser`: scored in the page and reported by `POST /v1/exposures/:route` (unitHash derived from the page's SHA-256 of the unit). */
  unitSource: 'user' | 'header' | 'generated' | 'browser';
  forced: boolean;
  bucket: number;
  candidates: number;
  latencyMs: number;
  /** What the request was ranked by (variants may differ by objective alone). */
  objective: string;
  /** Browser exposures: the execution provider that scored (`webgpu` or `wasm`). */
  executionProvider?: string;
  /** Browser exposures: `<token id>.<page view>`; readouts count each key once. */
  idempotencyKey?: string;
}

/** A shadow model's scores compared with the served ones on the same request. */
export interface ShadowRecord {
  kind: 'shadow';
  route: string;
  variant: string;
  servedModel: string;
  shadowModel: string;
  shadowVersion: string;
  unitHash: string;
  candidates: number;
  /** Spearman rank correlation of served vs shadow scores; null with fewer than 2 candidates or no variance. */
  spearman: number | null;
  shadowLatencyMs: number;
}

/** What a unit did after an exposure (`POST /v1/outcomes/:route`); every experiment field from its assignment token. */
export interface OutcomeRecord {
  kind: 'outcome';
  route: string;
  variant: string;
  model: string;
  modelVersion: string;
  unitHash: string;
  forced: boolean;
  /** `click`, `conversion` or one of the route's own events. */
  event: string;
  item?: string;
  value?: number;
  /** `<token id>.<client's idempotency key>`: stored once. */
  idempotencyKey: string;
}

export type LogRecord = ExposureRecord | ShadowRecord | OutcomeRecord;

/** Where records go; a store's write may be asynchronous (it runs after the response). */
export interface ExposureSink {
  write(record: LogRecord): void | Promise<void>;
}

/** Several sinks at once (EXPOSURE_LOG = "d1,console"). */
export function fanOutSink(sinks: readonly ExposureSink[]): ExposureSink {
  if (sinks.length === 1) return sinks[0];
  return { write: async (record) => void (await Promise.all(sinks.map((s) => s.write(record)))) };
}

/** The subset of `AnalyticsEngineDataset` used here. */
interface DataPointWriter {
  writeDataPoint(point: { indexes?: string[]; blobs?: string[]; doubles?: number[] }): void;
}

export function consoleSink(): ExposureSink {
  return { write: (record) => console.log(`[${record.kind === 'outcome' ? 'outcome' : 'exposure'}] ${JSON.stringify(record)}`) };
}

/**
 * Analytics Engine layout (query with SQL over blob1…, double1…):
 * exposure: index = unitHash; blobs = [kind, route, variant, assignedVariant, model, modelVersion, unitSource, forced, objective, executionProvider, idempotencyKey];
 *           doubles = [candidates, latencyMs, bucket]
 * shadow:   index = unitHash; blobs = [kind, route, variant, servedModel, shadowModel, shadowVersion];
 *           doubles = [candidates, spearman (NaN if null), shadowLatencyMs]
 * outcome:  index = unitHash; blobs = [kind, route, variant, model, modelVersion, event, item, idempotencyKey, forced];
 *           doubles = [value (NaN if none)]
 */
export function analyticsEngineSink(dataset: DataPointWriter): ExposureSink {
  return {
    write(r) {
      if (r.kind === 'exposure') {
        dataset.writeDataPoint({
          indexes: [r.unitHash],
          blobs: [r.kind, r.route, r.variant, r.assignedVariant, r.model, r.modelVersion, r.unitSource, String(r.forced), r.objective, r.executionProvider ?? '', r.idempotencyKey ?? ''],
          doubles: [r.candidates, r.latencyMs, r.bucket],
        });
      } else if (r.kind === 'outcome') {
        dataset.writeDataPoint({
          indexes: [r.unitHash],
          blobs: [r.kind, r.route, r.variant, r.model, r.modelVersion, r.event, r.item ?? '', r.idempotencyKey, String(r.forced)],
          doubles: [r.value ?? Number.NaN],
        });
      } else {
        dataset.writeDataPoint({
          indexes: [r.unitHash],
          blobs: [r.kind, r.route, r.variant, r.servedModel, r.shadowModel, r.shadowVersion],
          doubles: [r.candidates, r.spearman ?? Number.NaN, r.shadowLatencyMs],
        });
      }
    },
  };
}


/**
 * The unit hash the logs and tokens store: the first 16 hex digits of HMAC-SHA-256(UNIT_HASH_KEY,
 * unit key) — or of the unit key itself (SHA-256 of `unit:<id>`) when no key is set, which anyone
 * with a list of likely ids can reverse (hence the production warning).
 */
export async function hashUnitId(unitKey: string, key: string | undefined): Promise<string> {
  if (!key) return unitKey.slice(0, 16);
  return Array.from((await hmacSha256(key, unitKey)).subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
}
