/**
 * A/B assignment for pages: `RouteScorer.load` asks the worker (`POST /v1/assignments/:route`) for
 * the unit's variant and a signed assignment token, sending only the unit key (SHA-256 of
 * `unit:<unit id>`) — never the id or the history; the exposure report carries that token, a page
 * view id, the candidate count, the latency and the execution provider. `assignVariant` computes a
 * public route's variant in the page (the worker's own `bucketOf` over the ranges `GET /v1/routes`
 * publishes), e.g. to preload a model; exposures need the worker's token all the same.
 */
import { bucketOf, unitKeyOf } from '../core/experiments/assignment.js';
import type { AssignmentResponse } from '../core/schema/assignments.schema.js';
import type { RoutesResponse } from '../core/schema/routes.schema.js';
import type { RankBy } from '../core/scoring/objectives.js';
import { Scorer, type BrowserScoreResponse, type ScorerApi, type ScorerOptions } from './scorer.js';

export type BrowserRoute = RoutesResponse['routes'][number];

export interface Assignment {
  route: string;
  bucket: number;
  variant: { name: string; model: string; rankBy: RankBy };
  /** From the worker (RouteScorer): the signed token exposures carry, and when it expires. */
  token?: { token: string; expiresAt: string };
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
  const bucket = await bucketOf(await unitKeyOf(unitId), route.salt);
  const v = route.variants.find((x) => bucket >= x.buckets.start && bucket < x.buckets.end);
  if (!v) throw new Error(`route "${route.name}": no variant owns bucket ${bucket}`);
  return { route: route.name, bucket, variant: { name: v.name, model: v.model, rankBy: v.rankBy as RankBy } };
}

/** The worker's assignment of a unit key on a browser route, with its signed token. */
export async function fetchAssignment(baseUrl: string, route: string, unitId: string, http: typeof fetch = globalThis.fetch.bind(globalThis)): Promise<Assignment & { modelVersion: string }> {
  const base = baseUrl.replace(/\/+$/, '');
  const res = await http(`${base}/v1/assignments/${encodeURIComponent(route)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ unitHash: await unitKeyOf(unitId) }) });
  if (!res.ok) throw new Error(`POST ${base}/v1/assignments/${route}: HTTP ${res.status}: ${await res.text()}`);
  const a = (await res.json()) as AssignmentResponse;
  return { route: a.route, bucket: a.bucket, variant: { name: a.variant, model: a.model.name, rankBy: a.rankBy as RankBy }, token: a.assignment, modelVersion: a.model.version };
}

/** A `Scorer` for a route: the worker assigns the unit's variant (and signs it), the page loads that variant's model. */
export class RouteScorer {
  private constructor(
    readonly scorer: ScorerApi,
    readonly assignment: Assignment,
    private readonly baseUrl: string,
    private readonly http: typeof fetch,
  ) {}

  static async load(options: Omit<ScorerOptions, 'model'> & { route: string; unitId: string }): Promise<RouteScorer> {
    const http = options.fetch ?? globalThis.fetch.bind(globalThis);
    const assignment = await fetchAssignment(options.baseUrl, options.route, options.unitId, http);
    const scorer = await Scorer.load({ ...options, model: assignment.variant.model }, { name: assignment.route, variant: assignment.variant.name, rankBy: assignment.variant.rankBy });
    return new RouteScorer(scorer, assignment, options.baseUrl.replace(/\/+$/, ''), http);
  }

  score(...args: Parameters<Scorer['score']>): Promise<BrowserScoreResponse> {
    return this.scorer.score(...args);
  }

  /**
   * Reports that the page showed `response` (`POST /v1/exposures/:route`) with the worker's token:
   * the worker takes variant, model version and objective from the token. `pageView` identifies
   * this showing (default: a new random id); a retry with the same one is counted once.
   */
  async reportExposure(response: BrowserScoreResponse, pageView: string = crypto.randomUUID().replace(/-/g, '')): Promise<void> {
    if (!this.assignment.token) throw new Error('no assignment token: load the RouteScorer from the worker');
    const body = {
      token: this.assignment.token.token,
      pageView,
      candidates: Math.max(1, response.scores.length),
      latencyMs: Math.round(response.ms * 10) / 10,
      executionProvider: response.executionProvider,
    };
    const res = await this.http(`${this.baseUrl}/v1/exposures/${encodeURIComponent(this.assignment.route)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), keepalive: true });
    if (!res.ok) throw new Error(`exposure report: HTTP ${res.status}: ${await res.text()}`);
  }

  /**
   * Reports what the user did (`POST /v1/outcomes/:route`) with this page's assignment token:
   * `routed.reportOutcome('click', { item })`. A retry with the same `idempotencyKey` counts once.
   */
  async reportOutcome(event: string, o: { item?: string | number; value?: number; idempotencyKey?: string } = {}): Promise<void> {
    if (!this.assignment.token) throw new Error('no assignment token: load the RouteScorer from the worker');
    const body = { token: this.assignment.token.token, event, ...(o.item !== undefined ? { item: o.item } : {}), ...(o.value !== undefined ? { value: o.value } : {}), idempotencyKey: o.idempotencyKey ?? crypto.randomUUID().replace(/-/g, '') };
    const res = await this.http(`${this.baseUrl}/v1/outcomes/${encodeURIComponent(this.assignment.route)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), keepalive: true });
    if (!res.ok) throw new Error(`outcome report: HTTP ${res.status}: ${await res.text()}`);
  }
}
