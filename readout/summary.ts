/**
 * Summary rows of one route's experiment from the event store (core/experiments/eventSchema.ts), as
 * SQL any SQLite runs (D1 through the binding in tests, `wrangler d1 execute` from the CLI). Units
 * are grouped by their assigned variant (intent to treat: a fallback does not move a unit), QA's
 * forced requests are left out, and outcomes join their unit through its hash.
 */
export type SqlRunner = (sql: string) => Promise<Array<Record<string, unknown>>>;

export interface VariantSummary {
  variant: string;
  units: number;
  /** Σ exposures per unit, Σ exposures² per unit. */
  exposures: number;
  exposuresSq: number;
  fallbacks: number;
  /** Per event: Σ count per unit, Σ count², Σ count × exposures, Σ value. */
  events: Record<string, { count: number; countSq: number; countTimesExposures: number; value: number }>;
  latenciesMs: number[];
  executionProviders: Record<string, number>;
}

const ROUTE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** `since`: only records from this Unix millisecond on (an experiment's start). */
export async function summarise(run: SqlRunner, route: string, since = 0): Promise<VariantSummary[]> {
  if (!ROUTE.test(route)) throw new Error(`not a route name: ${JSON.stringify(route)}`);
  if (!Number.isSafeInteger(since) || since < 0) throw new Error(`not a time: ${since}`);
  // Both validated above: the CLI's runner takes no parameters.
  const r = `'${route}' AND ts >= ${since}`;
  const units = `SELECT assigned_variant AS variant, unit_hash, COUNT(*) AS exposures, SUM(variant != assigned_variant) AS fallbacks FROM exposures WHERE route = ${r} AND forced = 0 GROUP BY assigned_variant, unit_hash`;
  const perUnitEvents = `SELECT unit_hash, event, COUNT(*) AS n, SUM(COALESCE(value, 0)) AS v FROM outcomes WHERE route = ${r} AND forced = 0 GROUP BY unit_hash, event`;
  const [variants, events, latencies, providers] = await Promise.all([
    run(`WITH u AS (${units}) SELECT variant, COUNT(*) AS units, SUM(exposures) AS y, SUM(exposures * exposures) AS yy, SUM(fallbacks) AS fallbacks FROM u GROUP BY variant ORDER BY variant`),
    run(`WITH u AS (${units}), o AS (${perUnitEvents}) SELECT u.variant AS variant, o.event AS event, SUM(o.n) AS x, SUM(o.n * o.n) AS xx, SUM(o.n * u.exposures) AS xy, SUM(o.v) AS v FROM u JOIN o ON o.unit_hash = u.unit_hash GROUP BY u.variant, o.event`),
    run(`SELECT assigned_variant AS variant, latency_ms AS ms FROM exposures WHERE route = ${r} AND forced = 0`),
    run(`SELECT assigned_variant AS variant, COALESCE(execution_provider, 'worker') AS provider, COUNT(*) AS n FROM exposures WHERE route = ${r} AND forced = 0 GROUP BY assigned_variant, provider`),
  ]);
  const num = (v: unknown) => Number(v ?? 0);
  const out = new Map<string, VariantSummary>();
  for (const row of variants) {
    out.set(String(row.variant), { variant: String(row.variant), units: num(row.units), exposures: num(row.y), exposuresSq: num(row.yy), fallbacks: num(row.fallbacks), events: {}, latenciesMs: [], executionProviders: {} });
  }
  for (const row of events) {
    const v = out.get(String(row.variant));
    if (v) v.events[String(row.event)] = { count: num(row.x), countSq: num(row.xx), countTimesExposures: num(row.xy), value: num(row.v) };
  }
  for (const row of latencies) out.get(String(row.variant))?.latenciesMs.push(num(row.ms));
  for (const row of providers) {
    const v = out.get(String(row.variant));
    if (v) v.executionProviders[String(row.provider)] = num(row.n);
  }
  return [...out.values()];
}

/** Exposures and clicks per day and assigned variant: the metric over time. */
export async function dailySummary(run: SqlRunner, route: string, since = 0): Promise<Array<{ variant: string; day: string; exposures: number; clicks: number }>> {
  if (!ROUTE.test(route) || !Number.isSafeInteger(since)) throw new Error('bad route or time');
  const r = `'${route}' AND ts >= ${since}`;
  const [exposures, clicks] = await Promise.all([
    run(`SELECT assigned_variant AS variant, date(ts / 1000, 'unixepoch') AS day, COUNT(*) AS n FROM exposures WHERE route = ${r} AND forced = 0 GROUP BY variant, day`),
    run(`WITH u AS (SELECT DISTINCT unit_hash, assigned_variant AS variant FROM exposures WHERE route = ${r} AND forced = 0) SELECT u.variant AS variant, date(o.ts / 1000, 'unixepoch') AS day, COUNT(*) AS n FROM outcomes o JOIN u ON u.unit_hash = o.unit_hash WHERE o.route = ${r} AND o.forced = 0 AND o.event = 'click' GROUP BY u.variant, day`),
  ]);
  const key = (row: Record<string, unknown>) => `${String(row.variant)}|${String(row.day)}`;
  const c = new Map(clicks.map((row) => [key(row), Number(row.n)]));
  return exposures.map((row) => ({ variant: String(row.variant), day: String(row.day), exposures: Number(row.n), clicks: c.get(key(row)) ?? 0 })).sort((x, y) => x.day.localeCompare(y.day) || x.variant.localeCompare(y.variant));
}
