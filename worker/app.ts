import { Hono } from 'hono';
import type { WorkerBindings } from './config.js';
import { handleError, handleNotFound } from './errors.js';
import { DEFAULT_ROUTES } from './experiments/defaultRoutes.js';
import type { ExposureSink } from './experiments/exposureLog.js';
import { parseRouteConfig, type RouteConfig } from '../core/experiments/routeConfig.js';
import { corsFromConfig } from './middleware/corsFromConfig.js';
import { securityHeaders } from './middleware/securityHeaders.js';
import { configuredReadRateLimit } from './middleware/clientRateLimitFromConfig.js';
import { createModelRegistry, type ModelRegistryOptions } from './models/registry.js';
import { browserRoutes } from './routes/browser/browser.routes.js';
import { exposureRoutes } from './routes/exposures/exposures.routes.js';
import { outcomeRoutes } from './routes/outcomes/outcomes.routes.js';
import { assignmentRoutes } from './routes/assignments/assignments.routes.js';
import { createPublishedModels } from './models/publishedModels.js';
import { RecentKeys } from './experiments/recentKeys.js';
import { healthRoutes } from './routes/health/health.routes.js';
import { modelsRoutes } from './routes/models/models.routes.js';
import { openApiRoutes } from './routes/openapi/openapi.routes.js';
import { publicModelRoutes } from './routes/public/public.routes.js';
import { routesRoutes } from './routes/routes/routes.routes.js';
import { scoreRoutes } from './routes/score/score.routes.js';
import { createOrtScoringSession } from './runtime/ort.js';
import type { Services } from './services.js';
import '../core/zod.js';

export interface AppOptions extends Partial<ModelRegistryOptions> {
  /** Route config (raw JSON or parsed); default: config/routes.json. */
  routes?: RouteConfig | unknown;
  /** Where exposure and shadow records go; default: from the EXPOSURE_LOG var. */
  exposureSink?: ExposureSink;
}

/**
 * Builds the worker: CORS, routes, one error shape. Each app owns its model registry, so the
 * module-level app in index.ts loads each model at most once per isolate.
 *
 * @example
 * export default createApp();
 */
export function createApp(options: AppOptions = {}) {
  const { routes, exposureSink, ...registryOptions } = options;
  const routeConfig = routes === undefined ? DEFAULT_ROUTES : isParsed(routes) ? routes : parseRouteConfig(routes);
  const services: Services = {
    registry: createModelRegistry({ createSession: createOrtScoringSession, ...registryOptions }),
    routes: routeConfig,
    published: createPublishedModels(routeConfig),
    seenExposures: new RecentKeys(),
    ...(exposureSink ? { exposureSink } : {}),
  };
  return new Hono<{ Bindings: WorkerBindings }>()
    .use(securityHeaders())
    .use(corsFromConfig())
    .use(configuredReadRateLimit())
    .route('/', healthRoutes(services))
    .route('/', modelsRoutes(services))
    .route('/', routesRoutes(services.routes))
    .route('/', scoreRoutes(services))
    .route('/', assignmentRoutes(services))
    .route('/', exposureRoutes(services))
    .route('/', outcomeRoutes(services))
    .route('/', publicModelRoutes(services))
    .route('/', browserRoutes())
    .route('/', openApiRoutes())
    .notFound(handleNotFound)
    .onError(handleError);
}

function isParsed(routes: unknown): routes is RouteConfig {
  return typeof routes === 'object' && routes !== null && (routes as { routes?: unknown }).routes instanceof Map;
}
