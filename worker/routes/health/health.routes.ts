import { Hono } from 'hono';
import { workerConfig, type WorkerBindings } from '../../config.js';
import { methodNotAllowed } from '../../errors.js';
import type { ModelRegistry } from '../../models/registry.js';

/** `GET /healthz`: liveness. Cheap: reports the model's load state without loading it. */
export function healthRoutes(registry: ModelRegistry) {
  return new Hono<{ Bindings: WorkerBindings }>()
    .get('/healthz', (c) => {
      const { modelName } = workerConfig(c.env);
      return c.json({ status: 'ok', model: { name: modelName, status: registry.status(modelName) } });
    })
    .all('/healthz', methodNotAllowed(['GET', 'HEAD', 'OPTIONS']));
}
