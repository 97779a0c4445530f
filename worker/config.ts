/**
 * Worker configuration: the bindings and vars of wrangler.toml, validated with zod once per env
 * object. A misconfigured deployment answers every request with a JSON 500 and logs why.
 */
import { ApiError } from './errors.js';
import { z } from './zod.js';

/** The bindings wrangler.toml declares (vars arrive as strings). */
export interface WorkerBindings {
  /** Workers static assets: the `models/` directory, not served publicly (`run_worker_first`). */
  ASSETS: Fetcher;
  /** Directory under `models/` of the model to serve. Default `din-movielens`. */
  MODEL_NAME?: string;
  /** Comma-separated allowed browser origins, `*` for any; empty: no CORS headers. */
  CORS_ORIGINS?: string;
}

export interface WorkerConfig {
  assets: Fetcher;
  modelName: string;
  /** `'*'`, or the exact origins allowed. */
  corsOrigins: '*' | string[];
}

const bindingsSchema = z.object({
  ASSETS: z.custom<Fetcher>(
    (v) => typeof v === 'object' && v !== null && typeof (v as { fetch?: unknown }).fetch === 'function',
    'must be the static assets binding ([assets] binding = "ASSETS")',
  ),
  MODEL_NAME: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes')
    .default('din-movielens'),
  CORS_ORIGINS: z.string().default(''),
});

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
  const config: WorkerConfig = {
    assets: result.data.ASSETS,
    modelName: result.data.MODEL_NAME,
    corsOrigins: parseOrigins(result.data.CORS_ORIGINS),
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
