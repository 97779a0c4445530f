import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { workerConfig, type WorkerBindings } from '../config.js';

const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * CORS with the allowed origins from the `CORS_ORIGINS` var. `*` only when configured so; an
 * origin not in the list gets no `Access-Control-Allow-Origin` (the browser then blocks it).
 * Preflight `OPTIONS` is answered here with 204. With no origins configured the middleware does
 * nothing at all.
 */
export function corsFromConfig(): MiddlewareHandler<{ Bindings: WorkerBindings }> {
  const byOrigins = new Map<string, MiddlewareHandler>();
  return async function corsFromConfig(c, next) {
    const { corsOrigins } = workerConfig(c.env);
    if (corsOrigins !== '*' && corsOrigins.length === 0) return next(); // CORS off: no headers, no preflight answers
    const key = corsOrigins === '*' ? '*' : corsOrigins.join(',');
    let handler = byOrigins.get(key);
    if (!handler) {
      handler = cors({
        origin: corsOrigins === '*' ? '*' : (origin) => (corsOrigins.includes(origin) ? origin : null),
        allowMethods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
        allowHeaders: ['Content-Type', 'x-unit-id', 'x-variant', 'x-variant-token'],
        exposeHeaders: ['x-variant', 'x-model-version', 'x-unit-id'],
        maxAge: PREFLIGHT_MAX_AGE_SECONDS,
      });
      byOrigins.set(key, handler);
    }
    return handler(c, next);
  };
}
