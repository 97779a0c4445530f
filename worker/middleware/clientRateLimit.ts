/**
 * Per-client rate limiting on Workers' rate limiting bindings (`[[ratelimits]]` in wrangler.toml;
 * docs/worker.md, "Per-client limits" and "Threat model").
 *
 * Scoring (`CLIENT_RATE_LIMIT`) is charged in cost units: one unit on arrival (before the body is
 * read, so a flood of bad requests is limited too), and once the variant's model is known, the
 * rest of the request's units: its estimated model CPU from the manifest's measured cost model
 * (`estimateUs`) in units of UNIT_US — a client sending C = 1000 or using a costlier model spends
 * its budget as much faster as the CPU it costs; a model without a cost model is charged by
 * candidate × history pairs (UNIT_PAIRS per unit). Whose budget: RATE_LIMIT_KEY (`ip`,
 * `header:<name>` with signed API keys, or `off`).
 *
 * Every other anonymous endpoint has a per-address budget of its own, one unit per request:
 * `EVENT_RATE_LIMIT` (assignments, exposures) and `READ_RATE_LIMIT` (the GET endpoints).
 *
 * Addresses: CF-Connecting-IP, which Cloudflare's edge sets on every request (a client cannot);
 * an IPv6 client is keyed by its /64 (RATE_LIMIT_IPV6_PREFIX), since one subscriber is given a
 * whole /64 and could otherwise rotate through 2^64 budgets. The bindings count per Cloudflare
 * location and are eventually consistent: they bound abuse, they are not exact quotas.
 */
import type { Context, MiddlewareHandler } from 'hono';
import ipaddr from 'ipaddr.js';
import type { CostModel } from '../../contract/manifest.js';
import { ApiError } from '../../core/errors.js';
import { estimateUs } from '../../core/scoring/requestCost.js';
import { tenantOfApiKey } from '../../core/auth/apiKeys.js';

/** One unit = 1 ms of estimated model CPU (the shipped DIN's reference request, C = 100 × H = 50, is ≈ 1 unit). */
export const UNIT_US = 1000;
/** Models without a cost model: one unit = C = 100 candidates × H = 50 history. */
export const UNIT_PAIRS = 5000;

/** Whose budget a scoring request spends: the client's address, a signed API key in a header, or nobody. */
export type ClientKeySetting = { kind: 'ip' } | { kind: 'header'; name: string } | { kind: 'off' };

export function parseClientKeySetting(value: string): ClientKeySetting | undefined {
  if (value === 'ip' || value === 'off') return { kind: value };
  const m = /^header:([A-Za-z0-9-]{1,64})$/.exec(value);
  return m ? { kind: 'header', name: m[1].toLowerCase() } : undefined;
}

/**
 * The budget key of an address: an IPv4 address itself, an IPv6 address its /`ipv6Prefix` network
 * (IPv4-mapped IPv6 as the IPv4 address). Undefined without an address (only outside Cloudflare:
 * local runs and tests) — then the request is not limited.
 */
export function addressKey(address: string | null | undefined, ipv6Prefix = 64): string | undefined {
  if (!address) return undefined;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address.trim());
  } catch {
    return `raw:${address.slice(0, 64)}`; // not an address (cannot come from Cloudflare's edge): bounded, as given
  }
  if (parsed.kind() === 'ipv4') return `ip:${parsed.toString()}`;
  const bytes = (parsed as ipaddr.IPv6).toByteArray();
  for (let bit = ipv6Prefix; bit < 128; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  return `ip6:${ipaddr.fromByteArray(bytes).toString()}/${ipv6Prefix}`;
}

/**
 * The scoring budget's key. `header` mode: a missing, empty or invalid key is a 401 (one shared
 * anonymous budget would let one abuser lock every keyless caller out, and invented keys must not
 * mint budgets); a valid key's budget is its tenant's.
 */
export async function clientKey(request: Request, setting: ClientKeySetting, options: { ipv6Prefix?: number; apiKeySecret?: string } = {}): Promise<string | undefined> {
  if (setting.kind === 'off') return undefined;
  if (setting.kind === 'ip') return addressKey(request.headers.get('cf-connecting-ip'), options.ipv6Prefix);
  const value = request.headers.get(setting.name)?.trim();
  const unauthorized = (why: string) =>
    new ApiError('unauthorized', `${why}: this service needs an API key in the ${setting.name} header`, { headers: { 'WWW-Authenticate': `ApiKey header="${setting.name}"` }, issues: [{ path: `header.${setting.name}`, message: why }] });
  if (!value) throw unauthorized('no API key');
  const tenant = options.apiKeySecret ? await tenantOfApiKey(options.apiKeySecret, value) : undefined;
  if (!tenant) throw unauthorized('not a valid API key');
  return `t:${tenant}`;
}

/**
 * A scoring request's cost units: its estimated model CPU (manifest `cost`) in UNIT_US, or its
 * candidate × history pairs in UNIT_PAIRS for a model without a cost model; `capUs` bounds the
 * estimate (a cascade keeps the request within the route's CPU budget). At least 1.
 */
export function requestUnits(cost: CostModel | undefined, candidates: number, history: number, capUs = Infinity): number {
  if (!cost) return unitsOf(candidates * Math.max(1, history));
  return Math.max(1, Math.ceil(Math.min(capUs, estimateUs(cost, candidates, history)) / UNIT_US));
}

/** Units of a request of `pairs` (candidates × kept history) on a model without a cost model: ≥ 1. */
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
  key: (c: Context) => Promise<string | undefined>;
  /** Seconds until the budget refills, for `Retry-After` (the binding's `period`). */
  periodSeconds: (c: Context) => number;
  /** What the budget is for, in the 429's message. */
  what: string;
  /** Units charged on arrival (default 1). */
  arrivalUnits?: number;
}

/** Charges one unit on arrival and leaves `c.var.clientBudget` for the rest. */
export function clientRateLimit(options: ClientRateLimitOptions): MiddlewareHandler<ClientRateLimitEnv> {
  return async function clientRateLimit(c, next) {
    const limiter = options.limiter(c);
    // The key is always resolved: in header mode that is the API key check (401), which must not
    // depend on whether a rate limiting binding happens to be configured.
    const key = await options.key(c);
    if (limiter && key) {
      const period = options.periodSeconds(c);
      const budget: ClientBudget = {
        async charge(units) {
          if (units <= 0) return;
          const outcomes = await Promise.all(Array.from({ length: units }, () => limiter.limit({ key })));
          if (outcomes.some((o) => !o.success)) {
            throw new ApiError('rate_limited', `this client has spent its budget for ${options.what}; retry after ${period} s`, {
              headers: { 'Retry-After': String(period) },
            });
          }
        },
      };
      await budget.charge(options.arrivalUnits ?? 1);
      c.set('clientBudget', budget);
    }
    await next();
  };
}
