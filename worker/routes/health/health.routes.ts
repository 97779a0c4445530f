import { Hono } from 'hono';
import type { WorkerBindings } from '../../config.js';
import { methodNotAllowed } from '../../errors.js';
import { modelsOf } from '../../../core/experiments/routeConfig.js';
import type { Services } from '../../services.js';
import { tokenMatches } from '../../experiments/forcedVariant.js';
import { ADMIN_TOKEN_HEADER } from '../models/models.routes.js';

/** A failure's kind, without file names or digests: what a monitor needs, nothing an attacker can use. */
export function failureKind(reason: string): string {
  if (/fails verification/.test(reason)) return 'the model file fails its sha256 verification';
  if (/golden request/.test(reason)) return 'its golden requests do not reproduce';
  if (/probe request/.test(reason)) return 'its probe request gives a non-probability';
  if (/not found|cannot read asset/.test(reason)) return 'its files are missing';
  if (/manifest/.test(reason)) return 'its manifest is invalid';
  if (/cannot create a session/.test(reason)) return 'the runtime cannot create a session for it';
  return 'it failed to load';
}

/**
 * `GET /healthz`: liveness, and the truth about the models. Cheap: reports each model's state
 * without loading it. `200 {"status": "ok"}` while no model is failed; `503 {"status": "degraded"}`
 * when one is (a load or a self-check failed: routes fall back to other variants or answer 503),
 * naming the model, why, and when the next request retries it — the status a monitor alerts on.
 */
export function healthRoutes(services: Services) {
  const names = modelsOf(services.routes);
  return new Hono<{ Bindings: WorkerBindings }>()
    .get('/healthz', async (c) => {
      const admin = await tokenMatches(c.req.header(ADMIN_TOKEN_HEADER), c.env.ADMIN_TOKEN || undefined);
      const models = names.map((name) => {
        const failure = services.registry.failure(name);
        if (!failure) return { name, status: services.registry.status(name) };
        // Anonymous callers get the kind of failure; the admin token adds the log's full message.
        return { name, status: services.registry.status(name), reason: failureKind(failure.reason), ...(admin ? { detail: failure.reason } : {}), since: new Date(failure.since).toISOString(), retryInSeconds: Math.ceil(failure.retryInMs / 1000) };
      });
      const degraded = models.some((m) => m.status === 'failed');
      return c.json({ status: degraded ? 'degraded' : 'ok', models }, degraded ? 503 : 200, { 'cache-control': 'no-store' });
    })
    .all('/healthz', methodNotAllowed(['GET', 'HEAD', 'OPTIONS']));
}
