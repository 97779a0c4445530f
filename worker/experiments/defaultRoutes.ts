/**
 * The checked-in route config, parsed when the module loads: an invalid config.routes.json makes
 * the worker fail at startup (and `wrangler deploy` with it), never at the first request.
 */
import raw from '../../config/routes.json';
import { parseRouteConfig, type RouteConfig } from '../../core/experiments/routeConfig.js';

export const DEFAULT_ROUTES: RouteConfig = parseRouteConfig(raw);
