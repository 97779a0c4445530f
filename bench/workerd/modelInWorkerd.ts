/**
 * A bench-only worker, type-checked with worker/tsconfig.json (bench/direct.ts builds it with `wrangler deploy --dry-run` and runs it in
 * Miniflare): the shipped DIN's session.run in workerd, with the worker's own ORT seam and encoder,
 * and nothing else — no HTTP body, JSON, zod, routing or response. workerd's clock stands still
 * while code runs and moves on at I/O, so each `POST /?runs=N` (a JSON array of request bodies)
 * reads the clock, runs them N times over, waits one timer, and reads it again: mean ms per run.
 */
import { contractOf } from '../../contract/manifest.js';
import { encodeScoreRequest } from '../../worker/encode/requestEncoder.js';
import { readVerifiedModel } from '../../worker/models/modelAssets.js';
import { createOrtScoringSession } from '../../worker/runtime/ort.js';
import type { ScoringSession, ServingFeeds } from '../../worker/runtime/scoringSession.js';

let model: Promise<{ session: ScoringSession; encode(body: { history: string[]; candidates: string[] }): ServingFeeds }> | undefined;

export default {
  async fetch(request: Request, env: { ASSETS: Fetcher }): Promise<Response> {
    model ??= (async () => {
      const { manifest, onnx } = await readVerifiedModel(env.ASSETS, 'din-movielens');
      const contract = contractOf(manifest);
      const session = await createOrtScoringSession(onnx);
      return { session, encode: (body) => encodeScoreRequest(contract, body, { time: 0, route: 'default' }).feeds };
    })();
    const { session, encode } = await model;
    const runs = Number(new URL(request.url).searchParams.get('runs') ?? '1');
    const feeds = ((await request.json()) as Array<{ history: string[]; candidates: string[] }>).map(encode);
    const start = Date.now();
    for (let i = 0; i < runs; i++) await session.score(feeds[i % feeds.length]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    return Response.json({ runs, ms: Date.now() - start });
  },
};
