/**
 * A bench-only worker, type-checked with worker/tsconfig.json (bench/direct.ts builds it with
 * `wrangler deploy --dry-run` and runs it in Miniflare): the cost of the worker's code around the
 * model, measured inside workerd without a profiler and without HTTP. `POST /?mode=model&runs=N`
 * (a JSON array of score request bodies) runs the shipped DIN's session.run through the worker's
 * ORT seam and encoder and nothing else; `mode=app` sends the same bodies as requests through the
 * whole app (`createApp()`, default route: body read, JSON, zod, routing, assignment, encoding, the
 * same session.run, ranking, the JSON response, exposure records to an Analytics Engine dataset
 * that drops them). workerd's clock stands still while code runs and moves on at I/O, so each batch
 * reads the clock, does its N runs, waits one timer and reads it again: mean ms per run.
 * `mode=parts` times the app's steps one by one the same way (mean ms each, N times over).
 */
import { contractOf } from '../../contract/manifest.js';
import { createApp } from '../../worker/app.js';
import { assign } from '../../core/experiments/assignment.js';
import { DEFAULT_ROUTES } from '../../worker/experiments/defaultRoutes.js';
import { hashUnitId } from '../../worker/experiments/exposureLog.js';
import { scoreRequestSchema } from '../../core/schema/score.schema.js';
import { encodeScoreRequest } from '../../core/encode/requestEncoder.js';
import { readVerifiedModel } from '../../worker/models/modelAssets.js';
import { createOrtScoringSession } from '../../worker/runtime/ort.js';
import type { ScoringSession, ServingFeeds } from '../../core/runtime/scoringSession.js';

type Env = { ASSETS: Fetcher } & Record<string, unknown>;
let model: Promise<{ session: ScoringSession; encode(body: { history: string[]; candidates: string[] }): ServingFeeds }> | undefined;
const app = createApp();
/** Refuses every score request on its estimated cost: times everything before the model runs. */
const refusing = createApp({ routes: { defaultRoute: 'r', routes: { r: { budgetMs: 0.001, variants: [{ name: 'din', model: 'din-movielens', weight: 1 }] } } } });
const droppedExposures = { writeDataPoint: () => undefined } as unknown as AnalyticsEngineDataset;

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    const runs = Number(url.searchParams.get('runs') ?? '1');
    const bodies = (await request.json()) as Array<{ history: string[]; candidates: string[] }>;
    if (url.searchParams.get('mode') === 'parts') return Response.json(await parts(env, ctx, bodies, runs));
    if (url.searchParams.get('mode') === 'app') {
      const appEnv = { ...env, EXPOSURE_LOG: 'analytics-engine', EXPOSURES: droppedExposures };
      const texts = bodies.map((b) => JSON.stringify(b));
      const start = Date.now();
      for (let i = 0; i < runs; i++) {
        const res = await app.fetch(new Request('https://bench.invalid/v1/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body: texts[i % texts.length] }), appEnv, ctx);
        if (res.status !== 200) return new Response(await res.text(), { status: 500 });
        await res.arrayBuffer();
      }
      await new Promise((resolve) => setTimeout(resolve, 0));
      return Response.json({ runs, ms: Date.now() - start });
    }
    model ??= (async () => {
      const { manifest, onnx } = await readVerifiedModel(env.ASSETS, 'din-movielens');
      const contract = contractOf(manifest);
      const session = await createOrtScoringSession(onnx);
      return { session, encode: (body) => encodeScoreRequest(contract, body, { time: 0, route: 'default' }).feeds };
    })();
    const { session, encode } = await model;
    const feeds = bodies.map(encode);
    const start = Date.now();
    for (let i = 0; i < runs; i++) await session.score(feeds[i % feeds.length]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    return Response.json({ runs, ms: Date.now() - start });
  },
};

/** Mean ms of each step of a score request, `runs` times over the bodies. */
async function parts(env: Env, ctx: ExecutionContext, bodies: Array<{ history: string[]; candidates: string[] }>, runs: number): Promise<Record<string, number>> {
  const { manifest } = await readVerifiedModel(env.ASSETS, 'din-movielens');
  const contract = contractOf(manifest);
  const route = DEFAULT_ROUTES.routes.get(DEFAULT_ROUTES.defaultRoute)!;
  const texts = bodies.map((b) => JSON.stringify({ user: 'u', ...b }));
  const parsed = texts.map((t) => JSON.parse(t) as unknown);
  const valid = parsed.map((v) => scoreRequestSchema.parse(v));
  const ranked = { route: 'default', variant: 'din', model: { name: 'din-movielens', version: manifest.version }, rankBy: 'ctr', scores: bodies[0].candidates.map((item, i) => ({ item, score: 0.5 - i * 1e-3 })), unknown: { history: 0, candidates: 0 } };
  const steps: Record<string, (i: number) => unknown> = {
    'JSON.parse (body)': (i) => JSON.parse(texts[i % texts.length]),
    'zod (scoreRequestSchema)': (i) => scoreRequestSchema.safeParse(parsed[i % parsed.length]),
    'assignment (SHA-256 bucket)': (i) => assign(route, `user-${i}`),
    'encode (feature contract)': (i) => encodeScoreRequest(contract, valid[i % valid.length], { time: 0, route: 'default' }),
    'JSON.stringify (response, 100 items)': () => JSON.stringify(ranked),
    'unit hash (exposure)': (i) => hashUnitId(`user-${i}`, undefined),
    'app.fetch GET /healthz (Hono, middleware, Response)': async () => (await app.fetch(new Request('https://bench.invalid/healthz'), env, ctx)).arrayBuffer(),
    'new Request + arrayBuffer() of a body': async (i) => new Request('https://bench.invalid/', { method: 'POST', body: texts[i % texts.length] }).arrayBuffer(),
    'a timer hop (setTimeout 0)': () => new Promise((resolve) => setTimeout(resolve, 0)),
    'app.fetch POST /v1/score up to the model (refused over budget, 422)': async (i) => {
      const res = await refusing.fetch(new Request('https://bench.invalid/v1/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body: texts[i % texts.length] }), env, ctx);
      if (res.status !== 422) throw new Error(`expected 422, got ${res.status}: ${await res.text()}`);
      return res.arrayBuffer();
    },
  };
  // Both apps load their model first, untimed, and every step runs once before it is timed.
  for (const step of Object.values(steps)) await step(0);
  const out: Record<string, number> = {};
  for (const [name, step] of Object.entries(steps)) {
    const start = Date.now();
    for (let i = 0; i < runs; i++) await step(i);
    await new Promise((resolve) => setTimeout(resolve, 0));
    out[name] = (Date.now() - start) / runs;
  }
  return out;
}
