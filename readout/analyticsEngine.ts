/**
 * The readout's summary rows from Workers Analytics Engine (production at scale; the layout in
 * worker/experiments/exposureLog.ts). Its SQL API has no joins, CTEs or general subqueries, so the
 * per-unit aggregation is split: one query per record kind grouped by unit (index1 = unitHash),
 * joined here. Every row is weighted by `_sample_interval` (the rows it stands for when Analytics
 * Engine samples; it samples by index, so a unit's rows are kept or dropped together). Not checked
 * against the live API in this repository (no network here): `unitSummaries` is, against the D1
 * store (test/unit/readoutAnalyticsEngine.test.ts).
 */
import type { VariantSummary } from './summary.js';

export const DATASET = 'interest_edge_exposures';

export interface UnitExposures { unit: string; variant: string; exposures: number; fallbacks: number; weight: number }
export interface UnitOutcomes { unit: string; event: string; count: number; value: number }

const ROUTE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The three queries, for a route and a start time (Unix ms). */
export function analyticsEngineQueries(route: string, since: number): { exposures: string; outcomes: string; latency: string } {
  if (!ROUTE.test(route) || !Number.isSafeInteger(since)) throw new Error('bad route or time');
  const where = (kind: string, forcedBlob: string) => `blob1 = '${kind}' AND blob2 = '${route}' AND ${forcedBlob} = 'false' AND timestamp >= toDateTime(${Math.floor(since / 1000)})`;
  return {
    exposures: `SELECT index1 AS unit, blob4 AS variant, SUM(_sample_interval) AS exposures, SUM(IF(blob3 != blob4, _sample_interval, 0)) AS fallbacks, MAX(_sample_interval) AS weight FROM ${DATASET} WHERE ${where('exposure', 'blob8')} GROUP BY unit, variant FORMAT JSON`,
    outcomes: `SELECT index1 AS unit, blob6 AS event, SUM(_sample_interval) AS count, SUM(_sample_interval * IF(isNaN(double1), 0, double1)) AS value FROM ${DATASET} WHERE ${where('outcome', 'blob9')} GROUP BY unit, event FORMAT JSON`,
    latency: `SELECT blob4 AS variant, quantileWeighted(0.5)(double2, _sample_interval) AS p50, quantileWeighted(0.99)(double2, _sample_interval) AS p99 FROM ${DATASET} WHERE ${where('exposure', 'blob8')} GROUP BY variant FORMAT JSON`,
  };
}

/**
 * Per-variant summary rows from per-unit rows: the same sums `summarise` computes in SQL. A unit
 * sampled with interval w stands for w units with the same counts.
 */
export function unitSummaries(units: readonly UnitExposures[], outcomes: readonly UnitOutcomes[]): VariantSummary[] {
  const byUnit = new Map<string, UnitOutcomes[]>();
  for (const o of outcomes) byUnit.set(o.unit, [...(byUnit.get(o.unit) ?? []), o]);
  const out = new Map<string, VariantSummary>();
  for (const u of units) {
    const w = Math.max(1, u.weight);
    const e = u.exposures / w; // per represented unit
    const v = out.get(u.variant) ?? { variant: u.variant, units: 0, exposures: 0, exposuresSq: 0, fallbacks: 0, events: {}, latenciesMs: [], executionProviders: {} };
    v.units += w;
    v.exposures += w * e;
    v.exposuresSq += w * e * e;
    v.fallbacks += u.fallbacks;
    for (const o of byUnit.get(u.unit) ?? []) {
      const n = o.count / w;
      const ev = (v.events[o.event] ??= { count: 0, countSq: 0, countTimesExposures: 0, value: 0 });
      ev.count += w * n;
      ev.countSq += w * n * n;
      ev.countTimesExposures += w * n * e;
      ev.value += o.value;
    }
    out.set(u.variant, v);
  }
  return [...out.values()].sort((a, b) => a.variant.localeCompare(b.variant));
}

/** Runs the queries through the SQL API (`CLOUDFLARE_ACCOUNT_ID`, a token with Account Analytics Read). */
export async function analyticsEngineSummary(route: string, since: number, credentials: { accountId: string; apiToken: string }, http: typeof fetch = fetch): Promise<VariantSummary[]> {
  const q = analyticsEngineQueries(route, since);
  const sql = async (text: string): Promise<Array<Record<string, unknown>>> => {
    const res = await http(`https://api.cloudflare.com/client/v4/accounts/${credentials.accountId}/analytics_engine/sql`, { method: 'POST', headers: { authorization: `Bearer ${credentials.apiToken}` }, body: text });
    if (!res.ok) throw new Error(`Analytics Engine SQL API: HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
    return ((await res.json()) as { data: Array<Record<string, unknown>> }).data;
  };
  const [units, outcomes, latency] = await Promise.all([sql(q.exposures), sql(q.outcomes), sql(q.latency)]);
  const summaries = unitSummaries(
    units.map((r) => ({ unit: String(r.unit), variant: String(r.variant), exposures: Number(r.exposures), fallbacks: Number(r.fallbacks), weight: Number(r.weight) })),
    outcomes.map((r) => ({ unit: String(r.unit), event: String(r.event), count: Number(r.count), value: Number(r.value) })),
  );
  // Percentiles come precomputed; the readout takes a list, so give it the two quantiles.
  for (const s of summaries) {
    const l = latency.find((r) => String(r.variant) === s.variant);
    if (l) s.latenciesMs = [Number(l.p50), Number(l.p99)];
  }
  return summaries;
}
