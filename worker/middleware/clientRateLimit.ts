/**
 * Per-client rate limiting in cost units, on Workers' rate limiting binding (`[[ratelimits]]` in
 * wrangler.toml; docs/worker.md, "Per-client limits"). A request is charged one unit when it
 * arrives (before its body is read, so a flood of bad requests is limited too), and once its
 * variant's model is known, `ceil(pairs / UNIT_PAIRS) − 1` more, where pairs = candidates × kept
 * history: the quantity the model's compute grows with. A client sending C = 1000 requests uses its
 * budget ten times as fast as one sending C = 100, so nobody buys more CPU by asking for more per
 * request. Over budget: 429 `rate_limited` with `Retry-After`.
 *
 * The binding counts per Cloudflare location and is eventually consistent: it bounds abuse, it is
 * not an exact quota.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { ApiError } from '../errors.js';

/** One unit = the cost of the reference request, C = 100 candidates × H = 50 history. */
export const UNIT_PAIRS = 5000;

/** Whose budget a request spends: the client's address, a header the caller sets (an API key, a tenant), or nobody. */
export type ClientKeySetting = { kind: 'ip' } | { kind: 'header'; name: string } | { kind: 'off' };

export function parseClientKeySetting(value: string): ClientKeySetting | undefined {
  if (value === 'ip' || value === 'off') return { kind: value };
  const m = /^header:([A-Za-z0-9-]{1,64})$/.exec(value);
  return m ? { kind: 'header', name: m[1].toLowerCase() } : undefined;
}

/** The client's key, or undefined when the request carries none (then it is not limited). */
export function clientKey(request: Request, setting: ClientKeySetting): string | undefined {
  if (setting.kind === 'off') return undefined;
  const value = setting.kind === 'ip' ? request.headers.get('cf-connecting-ip') : (request.headers.get(setting.name) ?? request.headers.get('cf-connecting-ip'));
  // Keys are bounded: a client cannot make the limiter store an arbitrarily large key.
  return value ? `${setting.kind === 'header' && request.headers.has(setting.name) ? 'h' : 'ip'}:${value.slice(0, 128)}` : undefined;
}

/** Units of a request of `pairs` (candidates × kept history): ≥ 1. */
export function unitsOf(pairs: number): number {
  return Math.max(1, Math.ceil(pairs / UNIT_PAIRS));
}

export interface ClientBudget {
  /** Charges `units` more; throws the 429 when the client is over its limit. */
  charge(units: number): Promise<void>;
}

export type ClientRateLimitEnv = { Variables: { clientBudget?: ClientBudget } };

export interface ClientRateLimitOptions {
  limiter: (c: Context) => RateLimit | undefined;
  key: (c: Context) => ClientKeySetting;
  /** Seconds until the budget refills, for `Retry-After` (the binding's `period`). */
  periodSeconds: (c: Context) => number;
}

/** Charges one unit on arrival and leaves `c.var.clientBudget` for the rest. */
export function clientRateLimit(options: ClientRateLimitOptions): MiddlewareHandler<ClientRateLimitEnv> {
  return async function clientRateLimit(c, next) {
    const limiter = options.limiter(c);
    const key = limiter ? clientKey(c.req.raw, options.key(c)) : undefined;
    if (limiter && key) {
      const period = options.periodSeconds(c);
      const budget: ClientBudget = {
        async charge(units) {
          if (units <= 0) return;
          const outcomes = await Promise.all(Array.from({ length: units }, () => limiter.limit({ key })));
          if (outcomes.some((o) => !o.success)) {
            throw new ApiError('rate_limited', `this client has spent its budget for POST /v1/score (cost units: one unit = ${UNIT_PAIRS} candidate × history pairs); retry after ${period} s`, {
              headers: { 'Retry-After': String(period) },
            });
          }
        },
      };
      await budget.charge(1);
      c.set('clientBudget', budget);
    }
    await next();
  };
}
