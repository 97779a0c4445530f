import { Hono } from 'hono';
import type { WorkerBindings } from '../../config.js';
import { methodNotAllowed } from '../../errors.js';
import type { RouteConfig } from '../../../core/experiments/routeConfig.js';
import { describeRoutes } from '../../../core/schema/routes.schema.js';

export { describeRoutes, routesResponseSchema, type RoutesResponse } from '../../../core/schema/routes.schema.js';

/** `GET /v1/routes`: routes, variants, weights and bucket ranges (no model is loaded). */
export function routesRoutes(config: RouteConfig) {
  const body = describeRoutes(config);
  return new Hono<{ Bindings: WorkerBindings }>()
    .get('/v1/routes', (c) => c.json(body))
    .all('/v1/routes', methodNotAllowed(['GET', 'HEAD', 'OPTIONS']));
}
