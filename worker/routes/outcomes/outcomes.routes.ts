/**
 * `POST /v1/outcomes/:route`: what a unit did after an exposure — a click, a conversion or one of the
 * route's named events, with an optional item and value. It carries the assignment token of the
 * score response (or of `POST /v1/assignments/:route`), so the outcome is tied to the variant that
 * caused it and cannot be invented for a unit that was never assigned; route, variant, unit and
 * model version come from the token. At most one outcome per token and event is recorded (exactly
 * in the D1 store; per isolate and by key at readout in Analytics Engine): a retry, or a second
 * report of the same event under the same token, is a 204 with `x-outcome: duplicate`. Rate-limited per address
 * (EVENT_RATE_LIMIT). Bad input is a 4xx naming the field, and nothing is stored.
 */
import { Hono, type Context } from 'hono';
import { requireAssignment } from '../../../core/experiments/assignmentToken.js';
import { outcomeRequestSchema } from '../../../core/schema/outcomes.schema.js';
import { toErrorIssues } from '../../../core/schema/score.schema.js';
import { workerConfig, type WorkerBindings } from '../../config.js';
import { ApiError, methodNotAllowed } from '../../errors.js';
import { afterResponse } from '../../experiments/afterResponse.js';
import type { ClientRateLimitEnv } from '../../middleware/clientRateLimit.js';
import { configuredAddressRateLimit } from '../../middleware/clientRateLimitFromConfig.js';
import { jsonBody, type JsonBodyEnv } from '../../middleware/jsonBody.js';
import { exposureSinkOf, type Services } from '../../services.js';

type OutcomeEnv = { Bindings: WorkerBindings } & JsonBodyEnv & ClientRateLimitEnv;

export function outcomeRoutes(services: Services) {
  const handle = async (c: Context<OutcomeEnv>) => {
    const name = c.req.param('route') ?? '';
    const route = services.routes.routes.get(name);
    if (!route) throw new ApiError('not_found', `no route "${name}"; GET /v1/routes lists them`);
    const parsed = outcomeRequestSchema.safeParse(c.var.jsonBody);
    if (!parsed.success) throw new ApiError('invalid_request', 'outcome does not match the schema', { issues: toErrorIssues(parsed.error.issues) });
    const o = parsed.data;
    if (!route.events.includes(o.event)) {
      throw new ApiError('invalid_request', `route "${route.name}" has no event "${o.event}"`, { issues: [{ path: 'event', message: `one of ${route.events.map((e) => `"${e}"`).join(', ')} (a route adds its own with "events" in config/routes.json)` }] });
    }
    const config = workerConfig(c.env);
    const t = await requireAssignment(config.assignmentTokenSecret, o.token, route.name);
    // One outcome per token and event: a token is one assignment (one scored response or one page's
    // assignment), so a client cannot multiply clicks by varying its key (the client's key still
    // makes its own retries safe, and is what a repeat carries).
    const idempotencyKey = `${t.id}.${o.event}`;
    const recorded = services.seenExposures.add(`outcome:${idempotencyKey}`);
    if (recorded) {
      const sink = exposureSinkOf(services, config);
      afterResponse(c, 'outcome', async () => {
        await sink.write({
          kind: 'outcome',
          route: route.name,
          variant: t.v,
          model: t.m,
          modelVersion: t.mv,
          unitHash: t.u,
          forced: t.f === 1,
          event: o.event,
          ...(o.item !== undefined ? { item: String(o.item) } : {}),
          ...(o.value !== undefined ? { value: o.value } : {}),
          idempotencyKey,
        });
      });
    }
    return c.body(null, 204, { 'cache-control': 'no-store', 'x-outcome': recorded ? 'recorded' : 'duplicate' });
  };
  return new Hono<OutcomeEnv>()
    .post('/v1/outcomes/:route', configuredAddressRateLimit('event'), jsonBody({ maxBytes: 4096, timeoutMs: 5000 }), handle)
    .all('/v1/outcomes/:route', methodNotAllowed(['POST', 'OPTIONS']));
}
