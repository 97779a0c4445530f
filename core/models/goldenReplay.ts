import { goldenMismatch, type Golden } from '../../contract/goldenRequests.js';
import type { FeatureContract } from '../../contract/featureContract.js';
import { encodeForModel } from '../encode/rowFeeds.js';
import type { ItemRowStore } from '../rows/itemRowStore.js';
import type { ScoringSession } from '../runtime/scoringSession.js';

/**
 * The manifest's golden requests (contract/goldenRequests.ts) through the worker's own encoder and
 * a session (the worker's at load; the browser library's, for each execution provider it tries):
 * every output must match what the exporter recorded, to the manifest's tolerance unless the
 * caller allows more (`tolerance`). Returns the first mismatch, described.
 */
export async function replayGolden(golden: Golden, contract: FeatureContract, session: ScoringSession, tolerance = golden.tolerance, rows?: ItemRowStore): Promise<string | undefined> {
  for (const [i, request] of golden.requests.entries()) {
    const { feeds } = await encodeForModel({ contract, rows }, request, { time: request.time, route: request.route });
    const result = await session.score(feeds, { tasks: true });
    const mismatch = goldenMismatch(request, i, { score: result.scores, ...result.tasks }, tolerance);
    if (mismatch) return `${mismatch}; expected values from ${golden.reference}`;
  }
  return undefined;
}

