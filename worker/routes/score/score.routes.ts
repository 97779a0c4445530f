/**
 * `POST /v1/score/:route` (and `POST /v1/score` = the default route): assign the request to a
 * variant, score with that variant's model (falling back to the control), answer, then log the
 * exposure and run the shadow model, if any, after the response.
 */
import { Hono, type Context } from 'hono';
import { workerConfig, type WorkerBindings } from '../../config.js';
import { ApiError, methodNotAllowed } from '../../errors.js';
import { afterResponse } from '../../experiments/afterResponse.js';
import { assign, unitOf, UNIT_ID_HEADER } from '../../experiments/assignment.js';
import { hashUnitId } from '../../experiments/exposureLog.js';
import { FORCED_VARIANT_HEADER, tokenMatches, VARIANT_TOKEN_HEADER } from '../../experiments/forcedVariant.js';
import { spearman } from '../../experiments/rankCorrelation.js';
import type { Route } from '../../experiments/routeConfig.js';
import { loadServingVariant } from '../../experiments/servingVariant.js';
import type { LoadOptions } from '../../models/registry.js';
import { unitsOf, type ClientRateLimitEnv } from '../../middleware/clientRateLimit.js';
import { configuredClientRateLimit } from '../../middleware/clientRateLimitFromConfig.js';
import { jsonBody, type JsonBodyEnv } from '../../middleware/jsonBody.js';
import { isTimeZone } from '../../../contract/timeContext.js';
import { throttledWarn } from '../../log/throttledWarn.js';
import { cascadeScore, keptHistory, planBudget } from '../../scoring/cascade.js';
import { estimateUs } from '../../scoring/requestCost.js';
import { ModelOutputError, scoreRequest } from '../../scoring/scoreRequest.js';
import { exposureSinkOf, type Services } from '../../services.js';
import { SCORE_LIMITS, scoreRequestSchema, toErrorIssues, type ScoreRequest, type ScoreResponse } from './score.schema.js';

type ScoreEnv = { Bindings: WorkerBindings } & JsonBodyEnv & ClientRateLimitEnv;

export function scoreRoutes(services: Services) {
  const handle = async (c: Context<ScoreEnv>, routeName: string) => {
    const started = Date.now();
    const route = services.routes.routes.get(routeName);
    if (!route) throw new ApiError('not_found', `no route "${routeName}"; GET /v1/routes lists them`);
    const parsed = scoreRequestSchema.safeParse(c.var.jsonBody);
    if (!parsed.success) {
      throw new ApiError('invalid_request', `request does not match the schema of POST ${c.req.path}`, {
        issues: toErrorIssues(parsed.error.issues),
      });
    }
    const request = parsed.data;
    const config = workerConfig(c.env);

    const unit = unitOf(request.user, c.req.header(UNIT_ID_HEADER));
    const { bucket, variant: hashed } = await assign(route, unit.id, config.assignmentKey);
    const forced = await forcedVariant(c, route, config.variantOverrideToken);
    const assigned = forced ?? hashed;
    const circumstances = { time: started / 1000, route: route.name, edgeTimeZone: edgeTimeZone(c.req.raw) };
    let charged = false;
    const load: LoadOptions = { warmupRuns: config.modelWarmupRuns };
    const serve = async () => {
      const served = await loadServingVariant(services.registry, route, assigned, config.assets, load);
      if (!charged && c.var.clientBudget) {
        // The rest of this request's cost units (one was charged on arrival); a fallback re-serve is not charged again.
        charged = true;
        await c.var.clientBudget.charge(unitsOf(request.candidates.length * Math.max(1, keptHistory(served.model, request))) - 1);
      }
      const ranking = { ...(request.rankBy ? { rankBy: request.rankBy, from: 'request' as const } : { rankBy: served.variant.rankBy, from: 'route' as const }), maxBid: config.maxBid };
      const budgetMs = route.budgetMs ?? config.cpuBudgetMs;
      const plan = planBudget(served.model, request, budgetMs, route.overBudget, route.name);
      if (plan.kind === 'full') return { ...served, scored: await scoreRequest(served.model, request, circumstances, ranking) };
      const firstStage = await services.registry.get(plan.firstStage, config.assets, load);
      const cascaded = await cascadeScore(firstStage, served.model, request, budgetMs, circumstances, ranking, plan.keep);
      return { ...served, scored: cascaded.scored, cascade: { firstStage: cascaded.firstStage, kept: cascaded.kept, candidates: cascaded.candidates } };
    };
    let served: Awaited<ReturnType<typeof serve>>;
    try {
      served = await serve();
    } catch (err) {
      // A non-probability for this request: the model is failed only if its golden requests no
      // longer reproduce (then this request and the next ones fall back to another variant);
      // otherwise the request alone gets an error and the model keeps serving everyone else.
      if (!(err instanceof ModelOutputError)) throw err;
      if ((await services.registry.recheck(err.model, err.message)) === 'healthy') {
        throw new ApiError('unscorable_request', `model "${err.model}" cannot score this request (it gave a non-probability; its golden requests still reproduce, so the model stays in service): check the request's feature values`);
      }
      served = await serve();
    }
    const { variant, model, scored } = served;
    const cascade = 'cascade' in served ? served.cascade : undefined;

    const body: ScoreResponse = {
      route: route.name,
      variant: variant.name,
      model: scored.model,
      rankBy: scored.rankBy,
      scores: scored.scores,
      unknown: scored.unknown,
      ...(unit.source === 'generated' ? { unitId: unit.id } : {}),
      ...(scored.explainUnavailable ? { explainUnavailable: scored.explainUnavailable } : {}),
      ...(cascade ? { cascade } : {}),
    };
    const latencyMs = Date.now() - started;
    const servedScores = route.shadow ? scored.raw.slice() : scored.raw; // [C], request order

    const sink = exposureSinkOf(services, config);
    afterResponse(c, 'exposure logging', async () => {
      if (!config.unitHashKey && config.exposureLog === 'analytics-engine') {
        // Under `npm start` exposures go to the console; in production the unkeyed hash is reversible.
        throttledWarn('unit-hash-key', '[experiments] UNIT_HASH_KEY is not set: exposure unitHash is plain SHA-256 of "unit:<id>", which anyone with a list of likely ids can reverse; set it with `wrangler secret put UNIT_HASH_KEY`', 10 * 60_000);
      }
      const unitHash = await hashUnitId(unit.id, config.unitHashKey);
      sink.write({
        kind: 'exposure',
        route: route.name,
        variant: variant.name,
        assignedVariant: assigned.name,
        model: model.manifest.name,
        modelVersion: model.manifest.version,
        unitHash,
        unitSource: unit.source,
        forced: forced !== undefined,
        bucket,
        candidates: request.candidates.length,
        latencyMs,
        objective: scored.rankBy,
      });
      // A shadow over the budget would spend the CPU the budget exists to bound: it is skipped.
      if (route.shadow && !cascade) await runShadow(services, config.assets, route, variant.name, model.manifest.name, request, servedScores, unitHash, sink, circumstances, route.budgetMs ?? config.cpuBudgetMs);
    });

    const headers: Record<string, string> = {
      'cache-control': 'no-store',
      'x-variant': variant.name,
      'x-model-version': model.manifest.version,
    };
    if (unit.source === 'generated') headers[UNIT_ID_HEADER] = unit.id;
    return c.json(body, 200, headers);
  };

  const bodyOptions = { maxBytes: SCORE_LIMITS.maxBodyBytes, timeoutMs: (c: Context) => workerConfig(c.env as WorkerBindings).bodyReadTimeoutMs };
  const limit = configuredClientRateLimit();
  return new Hono<ScoreEnv>()
    .post('/v1/score', limit, jsonBody(bodyOptions), (c) => handle(c, services.routes.defaultRoute))
    .post('/v1/score/:route', limit, jsonBody(bodyOptions), (c) => handle(c, c.req.param('route')))
    .all('/v1/score', methodNotAllowed(['POST', 'OPTIONS']))
    .all('/v1/score/:route', methodNotAllowed(['POST', 'OPTIONS']));
}

/** The client's zone as the edge sees it (`request.cf.timezone` on Workers), when it is a usable one. */
function edgeTimeZone(request: Request): string | undefined {
  const tz = (request as Request & { cf?: { timezone?: unknown } }).cf?.timezone;
  return typeof tz === 'string' && isTimeZone(tz) ? tz : undefined;
}

/** The QA override, if the header is present and its token valid; an unknown variant is a 400. */
async function forcedVariant(c: Context<ScoreEnv>, route: Route, secret: string | undefined) {
  const name = c.req.header(FORCED_VARIANT_HEADER);
  if (name === undefined || !(await tokenMatches(c.req.header(VARIANT_TOKEN_HEADER), secret))) return undefined;
  const variant = route.variants.find((v) => v.name === name);
  if (!variant) {
    throw new ApiError('invalid_request', `route "${route.name}" has no variant "${name}"`, {
      issues: [{ path: `header.${FORCED_VARIANT_HEADER}`, message: `one of ${route.variants.map((v) => `"${v.name}"`).join(', ')}` }],
    });
  }
  return variant;
}

/** Scores the request with the route's shadow model and logs how its ranking agrees with the served one. */
async function runShadow(
  services: Services,
  assets: Fetcher,
  route: Route,
  variant: string,
  servedModel: string,
  request: ScoreRequest,
  served: Float32Array,
  unitHash: string,
  sink: ReturnType<typeof exposureSinkOf>,
  circumstances: Parameters<typeof scoreRequest>[2],
  budgetMs: number,
): Promise<void> {
  const shadowName = route.shadow!;
  const started = Date.now();
  const shadow = await services.registry.get(shadowName, assets);
  const cost = shadow.manifest.cost;
  // The shadow's CPU is billed like the served model's: over the budget, it is skipped.
  if (cost && estimateUs(cost, request.candidates.length, keptHistory(shadow, request)) > budgetMs * 1000) return;
  const scored = await scoreRequest(shadow, { history: request.history, candidates: request.candidates, profile: request.profile, context: request.context }, circumstances);
  sink.write({
    kind: 'shadow',
    route: route.name,
    variant,
    servedModel,
    shadowModel: shadowName,
    shadowVersion: shadow.manifest.version,
    unitHash,
    candidates: request.candidates.length,
    spearman: spearman(served, scored.raw),
    shadowLatencyMs: Date.now() - started,
  });
}
