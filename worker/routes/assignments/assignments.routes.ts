/**
 * `POST /v1/assignments/:route` `{"unitHash": "<64 hex>"}`: a page that scores in the browser
 * (routes with `"browser": true`; docs/browser.md) learns its variant, the model version to load
 * and a signed assignment token — from the unit key alone (SHA-256 of `unit:<unit id>`): the unit
 * id and the history never leave the page. The page reports what it showed with that token
 * (`POST /v1/exposures/:route`). The same unit gets the same variant here as on `POST /v1/score`
 * (both assign from the unit key; keyed routes too, since the worker computes it).
 */
import { Hono, type Context } from 'hono';
import { workerConfig, type WorkerBindings } from '../../config.js';
import { ApiError, methodNotAllowed } from '../../errors.js';
import { assign } from '../../../core/experiments/assignment.js';
import { signAssignment } from '../../../core/experiments/assignmentToken.js';
import { hashUnitId } from '../../experiments/exposureLog.js';
import type { ClientRateLimitEnv } from '../../middleware/clientRateLimit.js';
import { configuredAddressRateLimit } from '../../middleware/clientRateLimitFromConfig.js';
import { jsonBody, type JsonBodyEnv } from '../../middleware/jsonBody.js';
import type { Services } from '../../services.js';
import { toErrorIssues } from '../../../core/schema/score.schema.js';
import { assignmentRequestSchema, type AssignmentResponse } from '../../../core/schema/assignments.schema.js';

/** Event-budget units one assignment costs (an exposure or an outcome costs 1): 300 a minute allow 30 page loads per address. */
export const ASSIGNMENT_UNITS = 10;

type AssignmentEnv = { Bindings: WorkerBindings } & JsonBodyEnv & ClientRateLimitEnv;

export function assignmentRoutes(services: Services) {
  const handle = async (c: Context<AssignmentEnv>) => {
    const name = c.req.param('route') ?? '';
    const route = services.routes.routes.get(name);
    if (!route?.browser) throw new ApiError('not_found', `no browser route "${name}"; routes with "browser": true assign pages (GET /v1/routes); other routes assign in POST /v1/score`);
    const parsed = assignmentRequestSchema.safeParse(c.var.jsonBody);
    if (!parsed.success) throw new ApiError('invalid_request', 'assignment request does not match the schema', { issues: toErrorIssues(parsed.error.issues) });
    const config = workerConfig(c.env);
    const unitKey = parsed.data.unitHash;
    const { bucket, variant } = await assign(route, unitKey, config.assignmentKey);
    const { manifest } = (await services.published.get(variant.model, config.assets)).files;
    const issued = Math.floor(Date.now() / 1000);
    const { token, claims } = await signAssignment(config.assignmentTokenSecret, {
      r: route.name,
      v: variant.name,
      b: bucket,
      u: await hashUnitId(unitKey, config.unitHashKey),
      m: manifest.name,
      mv: manifest.version,
      o: variant.rankBy,
      exp: issued + config.assignmentTokenTtlSeconds,
    });
    const body: AssignmentResponse = {
      route: route.name,
      variant: variant.name,
      model: { name: manifest.name, version: manifest.version },
      bucket,
      rankBy: variant.rankBy,
      assignment: { token, expiresAt: new Date(claims.exp * 1000).toISOString() },
    };
    return c.json(body, 200, { 'cache-control': 'no-store' });
  };
  return new Hono<AssignmentEnv>()
    // A token is a unit's ticket into the experiment's records: minting costs ASSIGNMENT_UNITS of the event budget.
    .post('/v1/assignments/:route', configuredAddressRateLimit('event', ASSIGNMENT_UNITS), jsonBody({ maxBytes: 1024, timeoutMs: 5000 }), handle)
    .all('/v1/assignments/:route', methodNotAllowed(['POST', 'OPTIONS']));
}
