/**
 * The route config (config/routes.json): which model variants serve which surface, with what
 * traffic weights, and which model shadows them. Validated with zod when the worker module loads,
 * so a bad config fails `wrangler deploy` / startup instead of the first request.
 *
 * Bucket rule (docs/experiments.md): a route's salted unit hash lands in one of 10,000 buckets;
 * variants own contiguous bucket ranges in config order, each of size ≈ weight / Σweights × 10,000
 * (largest-remainder rounding, so the sizes always sum to 10,000). Moving weight between two
 * neighbouring variants moves exactly that many buckets and no other user; changing `salt`
 * reshuffles everyone (start of a new experiment).
 */
import * as z from '../zod.js';
import { BUILT_IN_EVENTS } from './eventSchema.js';
import type { OverBudget } from '../scoring/cascade.js';
import { RANK_BY, type RankBy } from '../scoring/objectives.js';

export const BUCKETS = 10_000;

const name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes (≤ 63)');

const variantSchema = z.strictObject({
  /** Reported in the response, the `x-variant` header and exposure logs. */
  name,
  /** Directory under models/ (the static assets). */
  model: name,
  /** Relative traffic weight, ≥ 0. */
  weight: z.number().nonnegative().finite(),
  /** What this variant ranks by (default the route's): variants may differ by objective alone. */
  rankBy: z.enum(RANK_BY).optional(),
});

const routeSchema = z
  .strictObject({
    /** Hash salt; defaults to the route name. Change it to start a fresh assignment. */
    salt: z.string().min(1).max(128).optional(),
    /** The first variant is the control: the fallback when another variant's model cannot load. */
    variants: z.array(variantSchema).min(1).max(32),
    /** A model that scores the same requests after the response, for comparison only. */
    shadow: name.optional(),
    /** What the route ranks by (default `ctr`); a variant's `rankBy` and the request's override it. */
    rankBy: z.enum(RANK_BY).optional(),
    /** `public` (default): SHA-256 of salt and unit id; `keyed`: HMAC with the ASSIGNMENT_KEY secret, so clients cannot pick their variant. */
    assignment: z.enum(['public', 'keyed']).optional(),
    /**
     * Publish this route to browsers: its variants' models are served at immutable public URLs
     * (`GET /v1/public/models/...`), and browsers may report exposures (`POST /v1/exposures/:route`).
     */
    browser: z.boolean().optional(),
    /** Model CPU per request this route allows, ms (default: the CPU_BUDGET_MS var). */
    budgetMs: z.number().positive().max(10_000).optional(),
    /** Outcome events this route accepts beside `click` and `conversion` (POST /v1/outcomes/:route), e.g. `["add_to_cart"]`. */
    events: z.array(z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'lowercase letters, digits and _, 1–32 characters')).max(32).optional(),
    /**
     * Over the budget: `"refuse"` (default, a 422 stating the limit) or a cascade — `firstStage`
     * (a model, e.g. a `dot` first stage) scores every candidate and the variant's model re-ranks
     * its top `keep` (default: as many as fit the budget). core/scoring/cascade.ts.
     */
    overBudget: z.union([z.literal('refuse'), z.strictObject({ cascade: z.strictObject({ firstStage: name, keep: z.int().positive().max(1000).optional() }) })]).optional(),
  })
  .superRefine((route, ctx) => {
    if (route.browser && route.assignment === 'keyed') {
      ctx.addIssue({ code: 'custom', path: ['browser'], message: 'a keyed route cannot run in browsers: its assignment key is a secret' });
    }
    const seen = new Set<string>();
    route.variants.forEach((v, i) => {
      if (seen.has(v.name)) ctx.addIssue({ code: 'custom', path: ['variants', i, 'name'], message: `duplicate variant name "${v.name}"` });
      seen.add(v.name);
    });
    if (route.variants.reduce((sum, v) => sum + v.weight, 0) <= 0) {
      ctx.addIssue({ code: 'custom', path: ['variants'], message: 'weights must not all be 0' });
    }
  });

export const routeConfigSchema = z
  .strictObject({
    /** The route `POST /v1/score` (no route in the path) uses. */
    defaultRoute: name,
    routes: z.record(name, routeSchema),
  })
  .superRefine((config, ctx) => {
    if (!(config.defaultRoute in config.routes)) {
      ctx.addIssue({ code: 'custom', path: ['defaultRoute'], message: `"${config.defaultRoute}" is not a route` });
    }
  });

export type RouteConfigInput = z.input<typeof routeConfigSchema>;

export interface Variant {
  name: string;
  model: string;
  weight: number;
  /** The variant's objective (its own, else the route's, else ctr). */
  rankBy: RankBy;
  /** Bucket range [start, end) of 0 … 10,000; empty when the weight is 0. */
  buckets: { start: number; end: number };
}

export interface Route {
  name: string;
  salt: string;
  assignment?: 'public' | 'keyed';
  /** Config order; `variants[0]` is the control. */
  variants: Variant[];
  shadow?: string;
  /** Published to browsers (public model URLs, browser exposures). */
  browser?: boolean;
  budgetMs?: number;
  overBudget: OverBudget;
  /** Outcome events accepted: `click`, `conversion` and the route's own. */
  events: readonly string[];
}

export interface RouteConfig {
  defaultRoute: string;
  routes: Map<string, Route>;
}

/** Validates a raw config; throws an Error listing every problem with its path. */
export function parseRouteConfig(raw: unknown): RouteConfig {
  const parsed = routeConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`invalid route config: ${why}`);
  }
  const routes = new Map<string, Route>();
  for (const [routeName, route] of Object.entries(parsed.data.routes)) {
    const sizes = bucketCounts(route.variants.map((v) => v.weight));
    let start = 0;
    const variants = route.variants.map((v, i) => {
      const buckets = { start, end: start + sizes[i] };
      start = buckets.end;
      return { ...v, rankBy: v.rankBy ?? route.rankBy ?? 'ctr', buckets };
    });
    routes.set(routeName, { name: routeName, salt: route.salt ?? routeName, variants, ...(route.shadow ? { shadow: route.shadow } : {}), ...(route.assignment === 'keyed' ? { assignment: 'keyed' as const } : {}), ...(route.browser ? { browser: true } : {}), ...(route.budgetMs ? { budgetMs: route.budgetMs } : {}), overBudget: route.overBudget ?? 'refuse', events: [...BUILT_IN_EVENTS, ...(route.events ?? []).filter((e) => !(BUILT_IN_EVENTS as readonly string[]).includes(e))] });
  }
  return { defaultRoute: parsed.data.defaultRoute, routes };
}

/**
 * Bucket counts proportional to `weights`, summing to exactly BUCKETS: floor each share, then give
 * the remaining buckets to the largest fractional parts (ties: earlier variant first).
 */
export function bucketCounts(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / total) * BUCKETS);
  const counts = exact.map(Math.floor);
  let left = BUCKETS - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (left === 0) break;
    if (weights[i] > 0) {
      counts[i]++;
      left--;
    }
  }
  return counts;
}

/** The variant owning `bucket` (0 ≤ bucket < BUCKETS). */
export function variantOfBucket(route: Route, bucket: number): Variant {
  for (const v of route.variants) if (bucket >= v.buckets.start && bucket < v.buckets.end) return v;
  throw new Error(`bucket ${bucket} is outside 0…${BUCKETS - 1}`);
}

/** Models browsers may fetch: every variant's model of every route with `"browser": true`, each once. */
export function browserModelsOf(config: RouteConfig): Set<string> {
  return new Set([...config.routes.values()].filter((r) => r.browser).flatMap((r) => r.variants.map((v) => v.model)));
}

/** Every model a config names (variants and shadows), each once, in config order. */
export function modelsOf(config: RouteConfig): string[] {
  const names = new Set<string>();
  for (const route of config.routes.values()) {
    for (const v of route.variants) names.add(v.model);
    if (route.shadow) names.add(route.shadow);
    if (route.overBudget !== 'refuse') names.add(route.overBudget.cascade.firstStage);
  }
  return [...names];
}
