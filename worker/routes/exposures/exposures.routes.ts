/**
 * `POST /v1/exposures/:route`: a page that scored in the browser (browser/, docs/browser.md)
 * reports what it showed, so a route's A/B test can run client-side. The body carries only the
 * variant, the model version, the bucket and a SHA-256 of the unit id — never the history, the
 * candidates' ids or the unit id itself. Only routes with `"browser": true` accept it.
 *
 * The stored `unitHash` is `hashUnitId(<the page's hash>, UNIT_HASH_KEY)`: keyed like every other
 * exposure, so nobody with the log alone can test guesses of ids.
 */
import { Hono, type Context } from 'hono';
import { workerConfig, type WorkerBindings } from '../../config.js';
import { ApiError, methodNotAllowed } from '../../errors.js';
import { afterResponse } from '../../experiments/afterResponse.js';
import { hashUnitId } from '../../experiments/exposureLog.js';
import type { RouteConfig } from '../../experiments/routeConfig.js';
import type { ClientRateLimitEnv } from '../../middleware/clientRateLimit.js';
import { configuredClientRateLimit } from '../../middleware/clientRateLimitFromConfig.js';
import { jsonBody, type JsonBodyEnv } from '../../middleware/jsonBody.js';
import { RANK_BY } from '../../scoring/objectives.js';
import { exposureSinkOf, type Services } from '../../services.js';
import * as z from '../../zod.js';
import { toErrorIssues } from '../score/score.schema.js';

export const browserExposureSchema = z.strictObject({
  variant: z.string().min(1).max(63),
  modelVersion: z.string().min(1).max(64),
  /** SHA-256 of `unit:<unit id>`, 64 lowercase hex digits (browser/assignment.ts). */
  unitHash: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits: SHA-256 of "unit:<unit id>"'),
  /** The bucket the page computed; must fall in the variant's range. */
  bucket: z.int().min(0).max(9999),
  candidates: z.int().min(1).max(1000),
  latencyMs: z.number().min(0).max(600_000).optional(),
  executionProvider: z.enum(['webgpu', 'wasm']),
  rankBy: z.enum(RANK_BY).optional(),
});

type ExposureEnv = { Bindings: WorkerBindings } & JsonBodyEnv & ClientRateLimitEnv;

export function exposureRoutes(services: Services) {
  const routes: RouteConfig = services.routes;
  const handle = async (c: Context<ExposureEnv>) => {
    const route = routes.routes.get(c.req.param('route') ?? '');
    if (!route?.browser) throw new ApiError('not_found', `no browser route "${c.req.param('route')}"; routes with "browser": true accept exposures (GET /v1/routes)`);
    const parsed = browserExposureSchema.safeParse(c.var.jsonBody);
    if (!parsed.success) throw new ApiError('invalid_request', 'exposure does not match the schema', { issues: toErrorIssues(parsed.error.issues) });
    const e = parsed.data;
    const variant = route.variants.find((v) => v.name === e.variant);
    if (!variant) throw new ApiError('invalid_request', `route "${route.name}" has no variant "${e.variant}"`, { issues: [{ path: 'variant', message: `one of ${route.variants.map((v) => `"${v.name}"`).join(', ')}` }] });
    if (e.bucket < variant.buckets.start || e.bucket >= variant.buckets.end) {
      throw new ApiError('invalid_request', `bucket ${e.bucket} is not variant "${variant.name}"'s (${variant.buckets.start} … ${variant.buckets.end - 1}): the page's route config is stale`, { issues: [{ path: 'bucket', message: 'outside the variant\'s bucket range' }] });
    }
    const config = workerConfig(c.env);
    const sink = exposureSinkOf(services, config);
    afterResponse(c, 'browser exposure', async () => {
      sink.write({
        kind: 'exposure',
        route: route.name,
        variant: variant.name,
        assignedVariant: variant.name,
        model: variant.model,
        modelVersion: e.modelVersion,
        unitHash: await hashUnitId(e.unitHash, config.unitHashKey),
        unitSource: 'browser',
        forced: false,
        bucket: e.bucket,
        candidates: e.candidates,
        latencyMs: e.latencyMs ?? 0,
        objective: e.rankBy ?? variant.rankBy,
        executionProvider: e.executionProvider,
      });
    });
    return c.body(null, 204, { 'cache-control': 'no-store' });
  };
  const limit = configuredClientRateLimit();
  return new Hono<ExposureEnv>()
    .post('/v1/exposures/:route', limit, jsonBody({ maxBytes: 4096, timeoutMs: 5000 }), handle)
    .all('/v1/exposures/:route', methodNotAllowed(['POST', 'OPTIONS']));
}
