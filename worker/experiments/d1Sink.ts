/**
 * The embedded experiment store: exposures and outcomes as rows of a D1 database (`EVENTS_DB`;
 * under `wrangler dev` a SQLite file in .wrangler/state that survives restarts and needs no setup).
 * Tables are created on first use in each isolate (core/experiments/eventSchema.ts); repeated
 * idempotency keys are ignored. Shadow comparisons are not stored here (console / Analytics Engine).
 * One write per record, after the response; the cost is measured in docs/experiments.md.
 */
import { EVENT_TABLES_SQL } from '../../core/experiments/eventSchema.js';
import type { ExposureSink, LogRecord } from './exposureLog.js';

const ready = new WeakMap<D1Database, Promise<unknown>>();

function schema(db: D1Database): Promise<unknown> {
  let p = ready.get(db);
  if (!p) {
    p = db.batch(EVENT_TABLES_SQL.map((sql) => db.prepare(sql)));
    ready.set(db, p);
    p.catch(() => ready.delete(db)); // retried by the next write
  }
  return p;
}

export function d1Sink(db: D1Database): ExposureSink {
  return {
    async write(r: LogRecord) {
      if (r.kind === 'shadow') return;
      await schema(db);
      const now = Date.now();
      if (r.kind === 'exposure') {
        await db
          .prepare(
            'INSERT OR IGNORE INTO exposures (ts, route, variant, assigned_variant, model, model_version, unit_hash, unit_source, forced, bucket, candidates, latency_ms, objective, execution_provider, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .bind(now, r.route, r.variant, r.assignedVariant, r.model, r.modelVersion, r.unitHash, r.unitSource, r.forced ? 1 : 0, r.bucket, r.candidates, r.latencyMs, r.objective, r.executionProvider ?? null, r.idempotencyKey ?? null)
          .run();
      } else {
        await db
          .prepare('INSERT OR IGNORE INTO outcomes (ts, route, variant, model, model_version, unit_hash, forced, event, item, value, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .bind(now, r.route, r.variant, r.model, r.modelVersion, r.unitHash, r.forced ? 1 : 0, r.event, r.item ?? null, r.value ?? null, r.idempotencyKey)
          .run();
      }
    },
  };
}
