import type { MiddlewareHandler } from 'hono';
import { workerConfig, type WorkerBindings } from '../config.js';
import { addressKey, clientKey, clientRateLimit, UNIT_US } from './clientRateLimit.js';

const config = (c: { env: unknown }) => workerConfig(c.env as WorkerBindings);

/** The scoring budget as the worker's configuration sets it (CLIENT_RATE_LIMIT, RATE_LIMIT_KEY, API_KEY_SECRET, RATE_LIMIT_PERIOD). */
export function configuredClientRateLimit() {
  return clientRateLimit({
    limiter: (c) => config(c).clientRateLimit,
    key: (c) => clientKey(c.req.raw, config(c).rateLimitKey, { ipv6Prefix: config(c).ipv6Prefix, ...(config(c).apiKeySecret ? { apiKeySecret: config(c).apiKeySecret } : {}) }),
    periodSeconds: (c) => config(c).rateLimitPeriodSeconds,
    what: `POST /v1/score (cost units: one unit = ${UNIT_US / 1000} ms of estimated model CPU)`,
  });
}

/** One unit per request, per address (IPv6: per /RATE_LIMIT_IPV6_PREFIX), on the EVENT_RATE_LIMIT or READ_RATE_LIMIT binding. */
export function configuredAddressRateLimit(binding: 'event' | 'read', units = 1): MiddlewareHandler {
  // One unit on arrival and nothing after: no route reads c.var.clientBudget, so any env fits.
  return clientRateLimit({
    // RATE_LIMIT_KEY = off turns every budget off (benchmarks and simulations drive the worker from one address).
    limiter: (c) => (config(c).rateLimitKey.kind === 'off' ? undefined : binding === 'event' ? config(c).eventRateLimit : config(c).readRateLimit),
    key: async (c) => addressKey(c.req.header('cf-connecting-ip'), config(c).ipv6Prefix),
    periodSeconds: (c) => config(c).rateLimitPeriodSeconds,
    what: binding === 'event' ? 'assignments, exposures and outcomes' : 'reads (one unit per request)',
    arrivalUnits: units,
  }) as MiddlewareHandler;
}

/** Every GET and HEAD (models, routes, published models, the browser library, health, OpenAPI): one unit of READ_RATE_LIMIT per address. */
export function configuredReadRateLimit(): MiddlewareHandler {
  const limit = configuredAddressRateLimit('read');
  return async function readRateLimit(c, next) {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return limit(c, next);
    await next();
  };
}
