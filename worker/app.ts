import { Hono } from 'hono';
import type { WorkerBindings } from './config.js';
import { handleError, handleNotFound } from './errors.js';
import { corsFromConfig } from './middleware/corsFromConfig.js';
import { createModelRegistry, type ModelRegistryOptions } from './models/registry.js';
import { healthRoutes } from './routes/health/health.routes.js';
import { modelsRoutes } from './routes/models/models.routes.js';
import { scoreRoutes } from './routes/score/score.routes.js';
import { createOrtScoringSession } from './runtime/ort.js';
import './zod.js';

export type AppOptions = Partial<ModelRegistryOptions>;

/**
 * Builds the worker: CORS, routes, one error shape. Each app owns its model registry, so the
 * module-level app in index.ts loads the model once per isolate.
 *
 * @example
 * export default createApp();
 */
export function createApp(options: AppOptions = {}) {
  const registry = createModelRegistry({ createSession: createOrtScoringSession, ...options });
  return new Hono<{ Bindings: WorkerBindings }>()
    .use(corsFromConfig())
    .route('/', healthRoutes(registry))
    .route('/', modelsRoutes(registry))
    .route('/', scoreRoutes(registry))
    .notFound(handleNotFound)
    .onError(handleError);
}
