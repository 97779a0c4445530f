/**
 * The experiment event store's tables (D1 / SQLite): what the worker writes (worker/experiments/
 * eventSinks.ts) and the readout queries (readout/). One row per exposure (a scored request, or a
 * page's report) and per outcome (a click, a conversion, a named event). Idempotency keys are
 * UNIQUE, so a retried report is stored once (`INSERT OR IGNORE`); server-side exposures have none.
 * Times are Unix milliseconds.
 */
export const EVENT_TABLES_SQL = [
  `CREATE TABLE IF NOT EXISTS exposures (
    ts INTEGER NOT NULL, route TEXT NOT NULL, variant TEXT NOT NULL, assigned_variant TEXT NOT NULL,
    model TEXT NOT NULL, model_version TEXT NOT NULL, unit_hash TEXT NOT NULL, unit_source TEXT NOT NULL,
    forced INTEGER NOT NULL, bucket INTEGER NOT NULL, candidates INTEGER NOT NULL, latency_ms REAL NOT NULL,
    objective TEXT NOT NULL, execution_provider TEXT, idempotency_key TEXT UNIQUE)`,
  `CREATE INDEX IF NOT EXISTS exposures_route_unit ON exposures (route, unit_hash)`,
  `CREATE TABLE IF NOT EXISTS outcomes (
    ts INTEGER NOT NULL, route TEXT NOT NULL, variant TEXT NOT NULL, model TEXT NOT NULL,
    model_version TEXT NOT NULL, unit_hash TEXT NOT NULL, forced INTEGER NOT NULL, event TEXT NOT NULL,
    item TEXT, value REAL, idempotency_key TEXT NOT NULL UNIQUE)`,
  `CREATE INDEX IF NOT EXISTS outcomes_route_unit ON outcomes (route, unit_hash)`,
] as const;

/** Events every route accepts; a route adds its own names with `"events"` in config/routes.json. */
export const BUILT_IN_EVENTS = ['click', 'conversion'] as const;
