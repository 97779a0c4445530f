import { workerConfig, type WorkerBindings } from '../config.js';
import { clientRateLimit } from './clientRateLimit.js';

/** The per-client rate limit as the worker's configuration sets it (CLIENT_RATE_LIMIT, RATE_LIMIT_KEY, RATE_LIMIT_PERIOD). */
export function configuredClientRateLimit() {
  const config = (c: { env: unknown }) => workerConfig(c.env as WorkerBindings);
  return clientRateLimit({
    limiter: (c) => config(c).clientRateLimit,
    key: (c) => config(c).rateLimitKey,
    periodSeconds: (c) => config(c).rateLimitPeriodSeconds,
  });
}
