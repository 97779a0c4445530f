/**
 * Client-side A/B assignment: the same variant as the worker for the same unit id — the worker's
 * own `bucketOf` (SHA-256 of `<salt>:<unit id>` → one of 10,000 buckets) over the bucket ranges
 * `GET /v1/routes` publishes — and the exposure report, which carries only the route, variant,
 * model version, bucket and a SHA-256 of the unit id: never the history.
 */
import { bucketOf } from '../worker/experiments/assignment.js';
import type { RoutesResponse } from '../worker/routes/routes/routes.schema.js';
import type { RankBy } from '../worker/scoring/objectives.js';
import { sha256Hex } from '../worker/models/sha256.js';
import { Scorer, type BrowserScoreResponse, type ScorerOptions } from './scorer.js';

export type BrowserRoute = RoutesResponse['routes'][number];

export interface Assignment {
  route: string;
  bucket: number;
  variant: { name: string; model: string; rankBy: RankBy };
}

const routeCache = new Map<string, Promise<RoutesResponse>>();

/** The worker's route config (`GET /v1/routes`), fetched once per base URL. */
export function fetchRoutes(baseUrl: string, http: typeof fetch = globalThis.fetch.bind(globalThis)): Promise<RoutesResponse> {
  const base = baseUrl.replace(/\/+$/, '');
  let routes = routeCache.get(base);
  if (!routes) {
    routes = http(`${base}/v1/routes`).then(async (r) => {
      if (!r.ok) throw new Error(`GET ${base}/v1/routes: HTTP ${r.status}`);
      return (await r.json()) as RoutesResponse;
    });
    routeCache.set(base, routes);
    routes.catch(() => routeCache.delete(base));
  }
  return routes;
}

/** Which variant of `route` serves `unitId`: the worker's assignment, computed in the page. */
export async function assignVariant(route: BrowserRoute, unitId: string): Promise<Assignment> {
  if (route.assignment !== 'public') throw new Error(`route "${route.name}" uses keyed assignment, which only the worker can compute`);
  const bucket = await bucketOf(unitId, route.salt);
  const v = route.variants.find((x) => bucket >= x.buckets.start && bucket < x.buckets.end);
  if (!v) throw new Error(`route "${route.name}": no variant owns bucket ${bucket}`);
  return { route: route.name, bucket, variant: { name: v.name, model: v.model, rankBy: v.rankBy as RankBy } };
}

/** A `Scorer` for a route: assigns the unit's variant and loads that variant's model. */
export class RouteScorer {
  private constructor(
    readonly scorer: Scorer,
    readonly assignment: Assignment,
    private readonly unitId: string,
    private readonly baseUrl: string,
    private readonly http: typeof fetch,
  ) {}

  static async load(options: Omit<ScorerOptions, 'model'> & { route: string; unitId: string }): Promise<RouteScorer> {
    const http = options.fetch ?? globalThis.fetch.bind(globalThis);
    const routes = await fetchRoutes(options.baseUrl, http);
    const route = routes.routes.find((r) => r.name === options.route);
    if (!route) throw new Error(`no route "${options.route}"`);
    if (!route.browser) throw new Error(`route "${options.route}" is not published to browsers ("browser": true in config/routes.json)`);
    const assignment = await assignVariant(route, options.unitId);
    const scorer = await Scorer.load({ ...options, model: assignment.variant.model }, { name: route.name, variant: assignment.variant.name, rankBy: assignment.variant.rankBy });
    return new RouteScorer(scorer, assignment, options.unitId, options.baseUrl.replace(/\/+$/, ''), http);
  }

  score(...args: Parameters<Scorer['score']>): Promise<BrowserScoreResponse> {
    return this.scorer.score(...args);
  }

  /**
   * Reports that the page showed `response` (`POST /v1/exposures/:route`): route, variant, model
   * version, bucket, candidate count, latency, execution provider and SHA-256("unit:" + unit id).
   */
  async reportExposure(response: BrowserScoreResponse): Promise<void> {
    const body = {
      variant: this.assignment.variant.name,
      modelVersion: response.model.version,
      unitHash: await sha256Hex(`unit:${this.unitId}`),
      bucket: this.assignment.bucket,
      candidates: Math.max(1, response.scores.length),
      latencyMs: Math.round(response.ms * 10) / 10,
      executionProvider: response.executionProvider,
      rankBy: response.rankBy,
    };
    const res = await this.http(`${this.baseUrl}/v1/exposures/${encodeURIComponent(this.assignment.route)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), keepalive: true });
    if (!res.ok) throw new Error(`exposure report: HTTP ${res.status}: ${await res.text()}`);
  }
}
