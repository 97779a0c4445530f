/**
 * A small typed client for the interest-edge worker, over `fetch` (browsers, Node ≥ 18, Workers,
 * Deno). Types come from the worker's own zod schemas, so a schema change breaks callers at
 * compile time instead of at run time.
 *
 * @example
 * const edge = createInterestEdgeClient({ baseUrl: 'https://edge.example.com' });
 * const scored = await edge.score({ history: ['1196', '260'], candidates: ['1210', '2571'], user: 'u42' }, { route: 'home' });
 * await edge.reportOutcome(scored, 'click', { item: scored.scores[0].item });
 */
import type { ModelsResponse } from '../core/schema/models.schema.js';
import type { RoutesResponse } from '../core/schema/routes.schema.js';
import type { ScoreRequest, ScoreResponse } from '../core/schema/score.schema.js';
import type { ErrorBody } from '../core/errors.js';

export type { ModelsResponse, RoutesResponse, ScoreRequest, ScoreResponse };

/** The request body as a caller writes it (`history` may be omitted). */
export type ScoreInput = Omit<ScoreRequest, 'history'> & { history?: ScoreRequest['history'] };

export interface ClientOptions {
  /** Origin (and optional path prefix) of the worker, e.g. `https://edge.example.com`. */
  baseUrl: string;
  /** Defaults to the global `fetch`; pass a service binding's `fetch` inside another Worker. */
  fetch?: (request: Request) => Promise<Response>;
  /** Headers sent with every request (e.g. `x-unit-id`). */
  headers?: Record<string, string>;
}

export interface ScoreOptions {
  /** A route of `GET /v1/routes`; default: the worker's default route. */
  route?: string;
  /** Unit id by header, when the body has no `user`. */
  unitId?: string;
  /** QA: force a variant (honoured only with the right token). */
  forceVariant?: { variant: string; token: string };
  signal?: AbortSignal;
}

/** A non-2xx answer, with the worker's error body. */
export class InterestEdgeError extends Error {
  override name = 'InterestEdgeError';
  constructor(
    readonly status: number,
    readonly body: ErrorBody['error'] | undefined,
  ) {
    super(body ? `${status} ${body.code}: ${body.message}${body.issues.length ? ` (${body.issues.map((i) => `${i.path}: ${i.message}`).join('; ')})` : ''}` : `HTTP ${status}`);
  }
}

export interface ScoreResult extends ScoreResponse {
  /** The model version from `x-model-version`. */
  modelVersion: string | null;
}

export function createInterestEdgeClient(options: ClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((request: Request) => fetch(request));

  async function call<T>(path: string, init: RequestInit): Promise<{ body: T; response: Response }> {
    const response = await doFetch(new Request(`${base}${path}`, { ...init, headers: { ...options.headers, ...(init.headers as Record<string, string> | undefined) } }));
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) throw new InterestEdgeError(response.status, (parsed as ErrorBody | undefined)?.error);
    return { body: parsed as T, response };
  }

  return {
    /** `POST /v1/score[/:route]`: candidates ranked by click probability. */
    async score(input: ScoreInput, o: ScoreOptions = {}): Promise<ScoreResult> {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (o.unitId !== undefined) headers['x-unit-id'] = o.unitId;
      if (o.forceVariant) {
        headers['x-variant'] = o.forceVariant.variant;
        headers['x-variant-token'] = o.forceVariant.token;
      }
      const path = o.route === undefined ? '/v1/score' : `/v1/score/${encodeURIComponent(o.route)}`;
      const { body, response } = await call<ScoreResponse>(path, { method: 'POST', headers, body: JSON.stringify(input), ...(o.signal ? { signal: o.signal } : {}) });
      return { ...body, modelVersion: response.headers.get('x-model-version') };
    },
    /**
     * `POST /v1/outcomes/:route`: what the user did after a scored response — one line with the
     * response in hand: `edge.reportOutcome(result, 'click', { item: '2571' })`. The idempotency key
     * defaults to a new random id; pass the same one to retry a report safely.
     */
    async reportOutcome(scored: Pick<ScoreResponse, 'route' | 'assignment'>, event: string, o: { item?: string | number; value?: number; idempotencyKey?: string; signal?: AbortSignal } = {}): Promise<void> {
      const body = { token: scored.assignment.token, event, ...(o.item !== undefined ? { item: o.item } : {}), ...(o.value !== undefined ? { value: o.value } : {}), idempotencyKey: o.idempotencyKey ?? crypto.randomUUID().replace(/-/g, '') };
      await call<undefined>(`/v1/outcomes/${encodeURIComponent(scored.route)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...(o.signal ? { signal: o.signal } : {}) });
    },
    /** `GET /v1/models`. */
    async models(): Promise<ModelsResponse> {
      return (await call<ModelsResponse>('/v1/models', { method: 'GET' })).body;
    },
    /** `GET /v1/routes`. */
    async routes(): Promise<RoutesResponse> {
      return (await call<RoutesResponse>('/v1/routes', { method: 'GET' })).body;
    },
  };
}

export type InterestEdgeClient = ReturnType<typeof createInterestEdgeClient>;
