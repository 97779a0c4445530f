import { Hono } from 'hono';
import type { WorkerBindings } from '../../config.js';
import { methodNotAllowed } from '../../errors.js';
import { modelsOf } from '../../experiments/routeConfig.js';
import type { Services } from '../../services.js';

/** `GET /healthz`: liveness. Cheap: reports each model's load state without loading it. */
export function healthRoutes(services: Services) {
  const names = modelsOf(services.routes);
  return new Hono<{ Bindings: WorkerBindings }>()
    .get('/healthz', (c) => c.json({ status: 'ok', models: names.map((name) => ({ name, status: services.registry.status(name) })) }))
    .all('/healthz', methodNotAllowed(['GET', 'HEAD', 'OPTIONS']));
}
