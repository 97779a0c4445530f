/**
 * `POST /v1/exposures/:route`: a page that scored in the browser (browser/, docs/browser.md)
 * reports what it showed. Only a valid, unexpired assignment token is accepted (from
 * `POST /v1/assignments/:route` or a score response), and route, variant, bucket, unit, model,
 * model version and objective come from the token — never from the body, which carries only the
 * page view's idempotency key, the candidate count, the latency (clamped) and the execution
 * provider. One exposure per token and page view: a retried report is accepted and not recorded
 * again (within an isolate; records carry the key so readouts count each once). Rate-limited per
 * address (EVENT_RATE_LIMIT).
 */
import { Hono, type Context } from 'hono';
import { workerConfig, type WorkerBindings } from '../../config.js';
import { ApiError, methodNotAllowed } from '../../errors.js';
import { afterResponse } from '../../experiments/afterResponse.js';
import { MAX_TOKEN_LENGTH, requireAssignment } from '../../../core/experiments/assignmentToken.js';
import type { ClientRateLimitEnv } from '../../middleware/clientRateLimit.js';
import { configuredAddressRateLimit } from '../../middleware/clientRateLimitFromConfig.js';
import { jsonBody, type JsonBodyEnv } from '../../middleware/jsonBody.js';
import { exposureSinkOf, type Services } from '../../services.js';
import * as z from '../../../core/zod.js';
import { toErrorIssues } from '../../../core/schema/score.schema.js';

/** Longest latency recorded; a report above it is stored as this (a page hidden mid-score, a bad clock). */
export const MAX_EXPOSURE_LATENCY_MS = 60_000;

export const browserExposureSchema = z.strictObject({
  /** The assignment token (`assignment.token` of POST /v1/assignments/:route or of a score response). */
  token: z.string().min(1).max(MAX_TOKEN_LENGTH),
  /** The page view's idempotency key: the same for retries of one report, new for each page view. */
  pageView: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, '8–64 letters, digits, "_" or "-" (e.g. a random UUID without dashes)'),
  candidates: z.int().min(1).max(1000),
  latencyMs: z.number().min(0).max(1e9).optional(),
  executionProvider: z.enum(['webgpu', 'wasm']),
});

type ExposureEnv = { Bindings: WorkerBindings } & JsonBodyEnv & ClientRateLimitEnv;

export function exposureRoutes(services: Services) {
  const handle = async (c: Context<ExposureEnv>) => {
    const name = c.req.param('route') ?? '';
    const route = services.routes.routes.get(name);
    if (!route?.browser) throw new ApiError('not_found', `no browser route "${name}"; routes with "browser": true accept exposures (GET /v1/routes)`);
    const parsed = browserExposureSchema.safeParse(c.var.jsonBody);
    if (!parsed.success) throw new ApiError('invalid_request', 'exposure does not match the schema', { issues: toErrorIssues(parsed.error.issues) });
    const e = parsed.data;
    const config = workerConfig(c.env);
    const t = await requireAssignment(config.assignmentTokenSecret, e.token, route.name);
    const variant = route.variants.find((v) => v.name === t.v);
    if (!variant) throw new ApiError('invalid_request', `route "${route.name}" no longer has variant "${t.v}": get a new assignment`, { issues: [{ path: 'token', message: 'stale variant' }] });
    // One exposure per token: each page view gets its own assignment (RouteScorer.load), so a
    // client cannot multiply exposures by varying the page view id.
    const idempotencyKey = t.id;
    const recorded = services.seenExposures.add(idempotencyKey);
    if (recorded) {
      const sink = exposureSinkOf(services, config);
      afterResponse(c, 'browser exposure', async () => {
        await sink.write({
          kind: 'exposure',
          route: route.name,
          variant: t.v,
          assignedVariant: t.av ?? t.v,
          model: t.m,
          modelVersion: t.mv,
          unitHash: t.u,
          unitSource: 'browser',
          forced: t.f === 1,
          bucket: t.b,
          candidates: e.candidates,
          latencyMs: Math.min(e.latencyMs ?? 0, MAX_EXPOSURE_LATENCY_MS),
          objective: t.o,
          executionProvider: e.executionProvider,
          idempotencyKey,
        });
      });
    }
    return c.body(null, 204, { 'cache-control': 'no-store', 'x-exposure': recorded ? 'recorded' : 'duplicate' });
  };
  return new Hono<ExposureEnv>()
    .post('/v1/exposures/:route', configuredAddressRateLimit('event'), jsonBody({ maxBytes: 4096, timeoutMs: 5000 }), handle)
    .all('/v1/exposures/:route', methodNotAllowed(['POST', 'OPTIONS']));
}
