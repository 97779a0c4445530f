/**
 * Worker configuration: the bindings, vars and secrets of wrangler.toml, validated with zod once
 * per env object. A misconfigured deployment answers every request with a JSON 500 and logs why.
 * Which models serve which route is not here: see config/routes.json (experiments/routeConfig.ts).
 */
import { ApiError } from '../core/errors.js';
import { parseClientKeySetting, type ClientKeySetting } from './middleware/clientRateLimit.js';
import { START_GRAPH_KINDS, startGraphKindsOf } from './runtime/ort.js';
import { DEFAULT_MAX_BID } from '../core/scoring/objectives.js';
import * as z from '../core/zod.js';

/** The bindings wrangler.toml declares (vars arrive as strings). */
export interface WorkerBindings {
  /** Workers static assets: the `models/` directory, not served publicly (`run_worker_first`). */
  ASSETS: Fetcher;
  /** Comma-separated allowed browser origins, `*` for any; empty: no CORS headers. */
  CORS_ORIGINS?: string;
  /** Workers Analytics Engine dataset for exposure records (optional). */
  EXPOSURES?: AnalyticsEngineDataset;
  /** Where exposures and outcomes go, comma-separated: `analytics-engine` (default), `d1` (the EVENTS_DB store), `console`. */
  EXPOSURE_LOG?: string;
  /** D1 database of the embedded experiment store (worker/experiments/d1Sink.ts). */
  EVENTS_DB?: D1Database;
  /** `first-request` (default): ORT starts inside the first model load; `isolate`: when the isolate starts (runtime/ort.ts `startOrtRuntime`). */
  ORT_START?: string;
  /** With `ORT_START = "isolate"`: the start graphs to run, comma-separated kinds (`din,dien,ple`, the default). */
  ORT_START_GRAPHS?: string;
  /** Secret: the token that makes `x-variant` (forced variant, QA) count. Unset: never honoured. */
  VARIANT_OVERRIDE_TOKEN?: string;
  /** Secret: HMAC key for the unit id hash in exposure logs. Unset: plain SHA-256. */
  UNIT_HASH_KEY?: string;
  /** Secret: the token (`x-admin-token`) that shows `GET /v1/models`' runtime and metrics. */
  ADMIN_TOKEN?: string;
  /** Secret: HMAC key of keyed variant assignment (routes with `"assignment": "keyed"`). */
  ASSIGNMENT_KEY?: string;
  /** `production` (default): the secrets production needs must be set, else every request is a 500 naming them; `development` (`npm start`): missing ones are generated per isolate, with one warning. */
  DEPLOYMENT?: string;
  /** Secret: HMAC key of assignment tokens (experiments/assignmentToken.ts). Required in production. */
  ASSIGNMENT_TOKEN_SECRET?: string;
  /** Seconds an assignment token stays valid (default 86400): exposures and outcomes must arrive within it. */
  ASSIGNMENT_TOKEN_TTL_S?: string;
  /** Secret: HMAC key of API keys (`RATE_LIMIT_KEY = header:<name>`; middleware/apiKeys.ts, `npm run api-key`). Required in header mode. */
  API_KEY_SECRET?: string;
  /** `ip` mode: IPv6 clients share the budget of their /N (default 64: one subscriber's network). */
  RATE_LIMIT_IPV6_PREFIX?: string;
  /** Rate limiting binding: per-address budget of POST /v1/assignments and /v1/exposures (one unit per request). */
  EVENT_RATE_LIMIT?: RateLimit;
  /** Rate limiting binding: per-address budget of the GET endpoints (models, routes, published models, browser library, health, OpenAPI). */
  READ_RATE_LIMIT?: RateLimit;
  /** Milliseconds a client has to send the whole request body (default 10000); then a 408. */
  BODY_READ_TIMEOUT_MS?: string;
  /** Workers rate limiting binding: each client's budget of cost units (middleware/clientRateLimit.ts). Unbound: no per-client limit. */
  CLIENT_RATE_LIMIT?: RateLimit;
  /** Whose budget a request spends: `ip` (default, CF-Connecting-IP, IPv6 by /64), `header:<name>` (a signed API key; missing or invalid: 401), `off`. */
  RATE_LIMIT_KEY?: string;
  /** The binding's period in seconds (wrangler.toml `simple.period`), for `Retry-After`; default 60. */
  RATE_LIMIT_PERIOD?: string;
  /** Model CPU per request, ms, estimated from the manifest's cost model (default 8: the free plan allows 10 ms per request, JS included). */
  CPU_BUDGET_MS?: string;
  /** Largest bid accepted in `candidates.i.bid` (default 1e6, objectives.ts DEFAULT_MAX_BID); above it a 400. */
  MAX_BID?: string;
  /** Synthetic runs after a model loads, before it serves, to tier ORT's wasm up (docs/worker.md, "Cold isolates"); default 0. */
  MODEL_WARMUP_RUNS?: string;
}

export interface WorkerConfig {
  assets: Fetcher;
  /** `'*'`, or the exact origins allowed. */
  corsOrigins: '*' | string[];
  exposureLog: ReadonlyArray<'analytics-engine' | 'd1' | 'console'>;
  eventsDb?: D1Database;
  exposures?: AnalyticsEngineDataset;
  variantOverrideToken?: string;
  unitHashKey?: string;
  assignmentKey?: string;
  bodyReadTimeoutMs: number;
  clientRateLimit?: RateLimit;
  rateLimitKey: ClientKeySetting;
  rateLimitPeriodSeconds: number;
  cpuBudgetMs: number;
  modelWarmupRuns: number;
  maxBid: number;
  deployment: 'production' | 'development';
  /** ASSIGNMENT_TOKEN_SECRET, or in development a key generated for this isolate. */
  assignmentTokenSecret: string;
  assignmentTokenTtlSeconds: number;
  apiKeySecret?: string;
  ipv6Prefix: number;
  eventRateLimit?: RateLimit;
  readRateLimit?: RateLimit;
}

/** When ORT starts: read at module scope by worker/index.ts, validated here with the other vars. */
export const ORT_START_MODES = ['isolate', 'first-request'] as const;

const optionalSecret = z.string().optional().transform((v) => (v === undefined || v === '' ? undefined : v));

const bindingsSchema = z.object({
  ASSETS: z.custom<Fetcher>(
    (v) => typeof v === 'object' && v !== null && typeof (v as { fetch?: unknown }).fetch === 'function',
    'must be the static assets binding ([assets] binding = "ASSETS")',
  ),
  CORS_ORIGINS: z.string().default(''),
  EXPOSURES: z
    .custom<AnalyticsEngineDataset>(
      (v) => typeof v === 'object' && v !== null && typeof (v as { writeDataPoint?: unknown }).writeDataPoint === 'function',
      'must be an Analytics Engine dataset binding ([[analytics_engine_datasets]] binding = "EXPOSURES")',
    )
    .optional(),
  EXPOSURE_LOG: z
    .string()
    .default('analytics-engine')
    .transform((v) => [...new Set(v.split(',').map((s) => s.trim()).filter(Boolean))])
    .pipe(z.array(z.enum(['analytics-engine', 'd1', 'console'])).min(1)),
  EVENTS_DB: z
    .custom<D1Database>((v) => typeof v === 'object' && v !== null && typeof (v as { prepare?: unknown }).prepare === 'function', 'must be a D1 binding ([[d1_databases]] binding = "EVENTS_DB")')
    .optional(),
  ORT_START: z.enum(ORT_START_MODES).default('first-request'),
  ORT_START_GRAPHS: z
    .string()
    .optional()
    .refine((v) => startGraphKindsOf(v) !== undefined, `comma-separated kinds among ${START_GRAPH_KINDS.join(', ')}`),
  VARIANT_OVERRIDE_TOKEN: optionalSecret,
  UNIT_HASH_KEY: optionalSecret,
  ASSIGNMENT_KEY: optionalSecret,
  BODY_READ_TIMEOUT_MS: z.coerce.number().int().min(10).max(120_000).default(10_000),
  CLIENT_RATE_LIMIT: z
    .custom<RateLimit>(
      (v) => typeof v === 'object' && v !== null && typeof (v as { limit?: unknown }).limit === 'function',
      'must be a rate limiting binding ([[ratelimits]] name = "CLIENT_RATE_LIMIT")',
    )
    .optional(),
  RATE_LIMIT_KEY: z
    .string()
    .default('ip')
    .transform((v, ctx) => parseClientKeySetting(v) ?? (ctx.addIssue({ code: 'custom', message: 'expected "ip", "off" or "header:<name>"' }), z.NEVER)),
  RATE_LIMIT_PERIOD: z.coerce.number().int().min(1).max(3600).default(60),
  CPU_BUDGET_MS: z.coerce.number().positive().max(10_000).default(8),
  MODEL_WARMUP_RUNS: z.coerce.number().int().min(0).max(1000).default(0),
  // Bounded so that bid × probability × 1000 stays far inside float64 (and exact enough to rank).
  MAX_BID: z.coerce.number().positive().max(1e12).default(DEFAULT_MAX_BID),
  DEPLOYMENT: z.enum(['production', 'development']).default('production'),
  ASSIGNMENT_TOKEN_SECRET: optionalSecret.refine((v) => v === undefined || v.length >= 32, 'at least 32 characters (e.g. `openssl rand -base64 32`)'),
  ASSIGNMENT_TOKEN_TTL_S: z.coerce.number().int().min(60).max(30 * 86400).default(86400),
  API_KEY_SECRET: optionalSecret.refine((v) => v === undefined || v.length >= 32, 'at least 32 characters (e.g. `openssl rand -base64 32`)'),
  RATE_LIMIT_IPV6_PREFIX: z.coerce.number().int().min(32).max(128).default(64),
  EVENT_RATE_LIMIT: rateLimitBinding('EVENT_RATE_LIMIT'),
  READ_RATE_LIMIT: rateLimitBinding('READ_RATE_LIMIT'),
}).superRefine((d, ctx) => {
  // What production must set: a deployment without it refuses every request (a 500 naming it here and in the log).
  if (d.DEPLOYMENT === 'production' && !d.ASSIGNMENT_TOKEN_SECRET) ctx.addIssue({ code: 'custom', path: ['ASSIGNMENT_TOKEN_SECRET'], message: 'required in production: `wrangler secret put ASSIGNMENT_TOKEN_SECRET` (DEPLOYMENT = "development" generates one per isolate)' });
  if (d.RATE_LIMIT_KEY.kind === 'header' && !d.API_KEY_SECRET) ctx.addIssue({ code: 'custom', path: ['API_KEY_SECRET'], message: 'RATE_LIMIT_KEY = header:… checks signed API keys: `wrangler secret put API_KEY_SECRET`, then mint keys with `npm run api-key -- <tenant>`' });
});

function rateLimitBinding(name: string) {
  return z
    .custom<RateLimit>((v) => typeof v === 'object' && v !== null && typeof (v as { limit?: unknown }).limit === 'function', `must be a rate limiting binding ([[ratelimits]] name = "${name}")`)
    .optional();
}

/** Development only: one generated key per isolate, so tokens work under `npm start` without setup. */
let developmentTokenSecret: string | undefined;
function developmentSecret(): string {
  if (!developmentTokenSecret) {
    developmentTokenSecret = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('');
    console.warn('[config] DEPLOYMENT = "development" and no ASSIGNMENT_TOKEN_SECRET: assignment tokens are signed with a key generated for this isolate (they stop verifying when it restarts). Production requires `wrangler secret put ASSIGNMENT_TOKEN_SECRET`.');
  }
  return developmentTokenSecret;
}

const parsed = new WeakMap<object, WorkerConfig>();

export function workerConfig(env: WorkerBindings): WorkerConfig {
  const cached = parsed.get(env);
  if (cached) return cached;
  const result = bindingsSchema.safeParse(env);
  if (!result.success) {
    const why = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    console.error(`[config] invalid worker configuration: ${why}`);
    throw new ApiError('internal_error', 'the worker is misconfigured');
  }
  const d = result.data;
  const config: WorkerConfig = {
    assets: d.ASSETS,
    corsOrigins: parseOrigins(d.CORS_ORIGINS),
    exposureLog: d.EXPOSURE_LOG,
    ...(d.EVENTS_DB ? { eventsDb: d.EVENTS_DB } : {}),
    ...(d.EXPOSURES ? { exposures: d.EXPOSURES } : {}),
    ...(d.VARIANT_OVERRIDE_TOKEN ? { variantOverrideToken: d.VARIANT_OVERRIDE_TOKEN } : {}),
    ...(d.UNIT_HASH_KEY ? { unitHashKey: d.UNIT_HASH_KEY } : {}),
    ...(d.ASSIGNMENT_KEY ? { assignmentKey: d.ASSIGNMENT_KEY } : {}),
    bodyReadTimeoutMs: d.BODY_READ_TIMEOUT_MS,
    ...(d.CLIENT_RATE_LIMIT ? { clientRateLimit: d.CLIENT_RATE_LIMIT } : {}),
    rateLimitKey: d.RATE_LIMIT_KEY,
    rateLimitPeriodSeconds: d.RATE_LIMIT_PERIOD,
    cpuBudgetMs: d.CPU_BUDGET_MS,
    modelWarmupRuns: d.MODEL_WARMUP_RUNS,
    maxBid: d.MAX_BID,
    deployment: d.DEPLOYMENT,
    assignmentTokenSecret: d.ASSIGNMENT_TOKEN_SECRET ?? developmentSecret(),
    assignmentTokenTtlSeconds: d.ASSIGNMENT_TOKEN_TTL_S,
    ...(d.API_KEY_SECRET ? { apiKeySecret: d.API_KEY_SECRET } : {}),
    ipv6Prefix: d.RATE_LIMIT_IPV6_PREFIX,
    ...(d.EVENT_RATE_LIMIT ? { eventRateLimit: d.EVENT_RATE_LIMIT } : {}),
    ...(d.READ_RATE_LIMIT ? { readRateLimit: d.READ_RATE_LIMIT } : {}),
  };
  parsed.set(env, config);
  return config;
}

/** `"*"` → any origin; `"https://a.example, https://b.example"` → those exactly; `""` → none. */
export function parseOrigins(value: string): '*' | string[] {
  const origins = value
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o.length > 0);
  return origins.includes('*') ? '*' : origins;
}
