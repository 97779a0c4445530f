import { Hono } from 'hono';
import type { WorkerBindings } from '../../config.js';
import { methodNotAllowed } from '../../errors.js';
import { modelsOf } from '../../experiments/routeConfig.js';
import type { Services } from '../../services.js';

/**
 * `GET /healthz`: liveness, and the truth about the models. Cheap: reports each model's state
 * without loading it. `200 {"status": "ok"}` while no model is failed; `503 {"status": "degraded"}`
 * when one is (a load or a self-check failed: routes fall back to other variants or answer 503),
 * naming the model, why, and when the next request retries it — the status a monitor alerts on.
 */
export function healthRoutes(services: Services) {
  const names = modelsOf(services.routes);
  return new Hono<{ Bindings: WorkerBindings }>()
    .get('/healthz', (c) => {
      const models = names.map((name) => {
        const failure = services.registry.failure(name);
        return { name, status: services.registry.status(name), ...(failure ? { reason: failure.reason, since: new Date(failure.since).toISOString(), retryInSeconds: Math.ceil(failure.retryInMs / 1000) } : {}) };
      });
      const degraded = models.some((m) => m.status === 'failed');
      return c.json({ status: degraded ? 'degraded' : 'ok', models }, degraded ? 503 : 200, { 'cache-control': 'no-store' });
    })
    .all('/healthz', methodNotAllowed(['GET', 'HEAD', 'OPTIONS']));
}
