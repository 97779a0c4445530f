/**
 * `POST /v1/score/:route` (and `POST /v1/score` = the default route): assign the request to a
 * variant, score with that variant's model (falling back to the control), answer, then log the
 * exposure and run the shadow model, if any, after the response.
 */
import { Hono, type Context } from 'hono';
import { workerConfig, type WorkerBindings, type WorkerConfig } from '../../config.js';
import { ApiError, methodNotAllowed } from '../../errors.js';
import { afterResponse } from '../../experiments/afterResponse.js';
import { assign, unitKeyOf, unitOf, UNIT_ID_HEADER, type Unit } from '../../../core/experiments/assignment.js';
import { signAssignment, type AssignmentClaims } from '../../../core/experiments/assignmentToken.js';
import { hashUnitId } from '../../experiments/exposureLog.js';
import { FORCED_VARIANT_HEADER, tokenMatches, VARIANT_TOKEN_HEADER } from '../../experiments/forcedVariant.js';
import { spearman } from '../../experiments/rankCorrelation.js';
import type { Route, Variant } from '../../../core/experiments/routeConfig.js';
import { loadServingVariant, type ServingVariant } from '../../experiments/servingVariant.js';
import type { LoadOptions } from '../../models/registry.js';
import { requestUnits, type ClientRateLimitEnv } from '../../middleware/clientRateLimit.js';
import { configuredClientRateLimit } from '../../middleware/clientRateLimitFromConfig.js';
import { jsonBody, type JsonBodyEnv } from '../../middleware/jsonBody.js';
import { isTimeZone } from '../../../contract/timeContext.js';
import { throttledWarn } from '../../log/throttledWarn.js';
import { cascadeScore, keptHistory, planBudget } from '../../../core/scoring/cascade.js';
import { estimateUs } from '../../../core/scoring/requestCost.js';
import { ModelOutputError, scoreRequest, type ScoredRequest } from '../../../core/scoring/scoreRequest.js';
import { RowStoreError } from '../../../core/rows/itemRowStore.js';
import { exposureSinkOf, type Services } from '../../services.js';
import { recordSizeIssues } from '../../../core/schema/score.precheck.js';
import { SCORE_LIMITS, scoreRequestSchema, toErrorIssues, type ScoreRequest, type ScoreResponse } from '../../../core/schema/score.schema.js';

type ScoreEnv = { Bindings: WorkerBindings } & JsonBodyEnv & ClientRateLimitEnv;

export function scoreRoutes(services: Services) {
  // The request's path, as named steps: parse → assign → serve (with fallback) → respond → after the response.
  const handle = async (c: Context<ScoreEnv>, routeName: string) => {
    const started = Date.now();
    const route = services.routes.routes.get(routeName);
    if (!route) throw new ApiError('not_found', `no route "${routeName}"; GET /v1/routes lists them`);
    const request = parseScoreRequest(c);
    const config = workerConfig(c.env);
    const assignment = await assignRequest(c, route, request, config);
    const served = await serveWithFallback(c, services, route, request, assignment, config, started);
    const token = await signAssignment(config.assignmentTokenSecret, {
      r: route.name,
      v: served.variant.name,
      ...(served.variant.name !== assignment.variant.name ? { av: assignment.variant.name } : {}),
      b: assignment.bucket,
      u: assignment.unitHash,
      m: served.model.manifest.name,
      mv: served.model.manifest.version,
      o: served.scored.rankBy,
      exp: Math.floor(started / 1000) + config.assignmentTokenTtlSeconds,
      ...(assignment.forced ? { f: 1 as const } : {}),
    });
    const latencyMs = Date.now() - started;
    afterScoreResponse(c, services, config, route, request, assignment, served, latencyMs);
    return respond(c, route, assignment, served, token);
  };
  const bodyOptions = { maxBytes: SCORE_LIMITS.maxBodyBytes, timeoutMs: (c: Context) => workerConfig(c.env as WorkerBindings).bodyReadTimeoutMs };
  const limit = configuredClientRateLimit();
  return new Hono<ScoreEnv>()
    .post('/v1/score', limit, jsonBody(bodyOptions), (c) => handle(c, services.routes.defaultRoute))
    .post('/v1/score/:route', limit, jsonBody(bodyOptions), (c) => handle(c, c.req.param('route')))
    .all('/v1/score', methodNotAllowed(['POST', 'OPTIONS']))
    .all('/v1/score/:route', methodNotAllowed(['POST', 'OPTIONS']));
}


type ScoreContext = Context<ScoreEnv>;

/** Record sizes first (cheap, early exit), then the schema: a 400 naming every wrong field. */
function parseScoreRequest(c: ScoreContext): ScoreRequest {
  const sizes = recordSizeIssues(c.var.jsonBody);
  if (sizes.length > 0) throw new ApiError('invalid_request', `request exceeds the limits of POST ${c.req.path}`, { issues: sizes });
  const parsed = scoreRequestSchema.safeParse(c.var.jsonBody);
  if (!parsed.success) {
    throw new ApiError('invalid_request', `request does not match the schema of POST ${c.req.path}`, {
      issues: toErrorIssues(parsed.error.issues),
    });
  }
  return parsed.data;
}

interface RequestAssignment {
  unit: Unit;
  /** The keyed unit hash the logs and the token store. */
  unitHash: string;
  bucket: number;
  /** The hashed variant, or the QA override's. */
  variant: Variant;
  forced: boolean;
}

/** Sticky assignment by unit key, unless a valid QA override forces a variant. */
async function assignRequest(c: ScoreContext, route: Route, request: ScoreRequest, config: WorkerConfig): Promise<RequestAssignment> {
  const unit = unitOf(request.user, c.req.header(UNIT_ID_HEADER));
  const unitKey = await unitKeyOf(unit.id);
  const { bucket, variant: hashed } = await assign(route, unitKey, config.assignmentKey);
  const forced = await forcedVariant(c, route, config.variantOverrideToken);
  if (!config.unitHashKey && config.exposureLog.includes('analytics-engine')) {
    // Under `npm start` exposures go to the console; in production the unkeyed hash is reversible.
    throttledWarn('unit-hash-key', '[experiments] UNIT_HASH_KEY is not set: exposure unitHash is a plain SHA-256 of "unit:<id>", which anyone with a list of likely ids can reverse; set it with `wrangler secret put UNIT_HASH_KEY`', 10 * 60_000);
  }
  return { unit, unitHash: await hashUnitId(unitKey, config.unitHashKey), bucket, variant: forced ?? hashed, forced: forced !== undefined };
}

type Served = ServingVariant & { scored: ScoredRequest; cascade?: { firstStage: { name: string; version: string }; kept: number; candidates: number } };

/**
 * The assigned variant's model scores (or its cascade, over the CPU budget); an unavailable model
 * falls back to the control. The client's budget is charged the request's cost units once.
 */
async function serveWithFallback(c: ScoreContext, services: Services, route: Route, request: ScoreRequest, assignment: RequestAssignment, config: WorkerConfig, started: number): Promise<Served> {
  const circumstances = { time: started / 1000, route: route.name, edgeTimeZone: edgeTimeZone(c.req.raw) };
  const load: LoadOptions = { warmupRuns: config.modelWarmupRuns };
  const budgetMs = route.budgetMs ?? config.cpuBudgetMs;
  let charged = false;
  const skip = new Set<string>();
  const serve = async (): Promise<Served> => {
    const served = await loadServingVariant(services.registry, route, assignment.variant, config.assets, load, skip);
    const ranking = { ...(request.rankBy ? { rankBy: request.rankBy, from: 'request' as const } : { rankBy: served.variant.rankBy, from: 'route' as const }), maxBid: config.maxBid };
    // Refused over the budget (422) before any charge beyond the arrival unit: no model runs.
    const plan = planBudget(served.model, request, budgetMs, route.overBudget, route.name);
    if (!charged && c.var.clientBudget) {
      // The rest of this request's cost units (one was charged on arrival); a fallback re-serve is not charged again.
      charged = true;
      const capUs = plan.kind === 'cascade' ? budgetMs * 1000 : Infinity; // a cascade stays within the budget
      await c.var.clientBudget.charge(requestUnits(served.model.manifest.cost, request.candidates.length, keptHistory(served.model, request), capUs) - 1);
    }
    if (plan.kind === 'full') return { ...served, scored: await scoreRequest(served.model, request, circumstances, ranking) };
    const firstStage = await services.registry.get(plan.firstStage, config.assets, load);
    const cascaded = await cascadeScore(firstStage, served.model, request, budgetMs, circumstances, ranking, plan.keep);
    return { ...served, scored: cascaded.scored, cascade: { firstStage: cascaded.firstStage, kept: cascaded.kept, candidates: cascaded.candidates } };
  };
  const serveOrSkip = async (): Promise<Served> => {
    for (;;) {
      try {
        return await serve();
      } catch (err) {
        // A row store that cannot be read is the deployment's fault, not the request's: this
        // request falls back to the next variant, the model stays loaded for the next request.
        if (!(err instanceof RowStoreError) || !err.model || skip.has(err.model)) throw err;
        skip.add(err.model);
        throttledWarn(`rows:${err.model}`, `[model-rows] model "${err.model}" cannot read its item rows (${err.message}); route "${route.name}" falls back to its next variant for such requests`);
      }
    }
  };
  try {
    return await serveOrSkip();
  } catch (err) {
    // A non-probability for this request: the model is failed only if its golden requests no
    // longer reproduce (then this request and the next ones fall back to another variant);
    // otherwise the request alone gets an error and the model keeps serving everyone else.
    if (!(err instanceof ModelOutputError)) throw err;
    if ((await services.registry.recheck(err.model, err.message)) === 'healthy') {
      throw new ApiError('unscorable_request', `model "${err.model}" cannot score this request (it gave a non-probability; its golden requests still reproduce, so the model stays in service): check the request's feature values`);
    }
    return serveOrSkip();
  }
}

function respond(c: ScoreContext, route: Route, assignment: RequestAssignment, served: Served, token: { token: string; claims: AssignmentClaims }): Response {
  const { scored, cascade } = served;
  const body: ScoreResponse = {
    route: route.name,
    variant: served.variant.name,
    model: scored.model,
    rankBy: scored.rankBy,
    scores: scored.scores,
    unknown: scored.unknown,
    assignment: { token: token.token, expiresAt: new Date(token.claims.exp * 1000).toISOString() },
    ...(assignment.unit.source === 'generated' ? { unitId: assignment.unit.id } : {}),
    ...(scored.explainUnavailable ? { explainUnavailable: scored.explainUnavailable } : {}),
    ...(cascade ? { cascade } : {}),
  };
  const headers: Record<string, string> = {
    'cache-control': 'no-store',
    'x-variant': served.variant.name,
    'x-model-version': served.model.manifest.version,
  };
  if (assignment.unit.source === 'generated') headers[UNIT_ID_HEADER] = assignment.unit.id;
  return c.json(body, 200, headers);
}

/** After the response: the exposure record, then the shadow model (if the route has one and the request was within budget). */
function afterScoreResponse(c: ScoreContext, services: Services, config: WorkerConfig, route: Route, request: ScoreRequest, assignment: RequestAssignment, served: Served, latencyMs: number): void {
  const { variant, model, scored, cascade } = served;
  const servedScores = route.shadow ? scored.raw.slice() : scored.raw; // [C], request order
  const sink = exposureSinkOf(services, config);
  const circumstances = { time: Date.now() / 1000, route: route.name, edgeTimeZone: edgeTimeZone(c.req.raw) };
  afterResponse(c, 'exposure logging', async () => {
    await sink.write({
      kind: 'exposure',
      route: route.name,
      variant: variant.name,
      assignedVariant: assignment.variant.name,
      model: model.manifest.name,
      modelVersion: model.manifest.version,
      unitHash: assignment.unitHash,
      unitSource: assignment.unit.source,
      forced: assignment.forced,
      bucket: assignment.bucket,
      candidates: request.candidates.length,
      latencyMs,
      objective: scored.rankBy,
    });
    // A shadow over the budget would spend the CPU the budget exists to bound: it is skipped.
    if (route.shadow && !cascade) await runShadow(services, config.assets, route, variant.name, model.manifest.name, request, servedScores, assignment.unitHash, sink, circumstances, route.budgetMs ?? config.cpuBudgetMs);
  });
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
  await sink.write({
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
