import { goldenMismatch, type Golden } from '../../contract/goldenRequests.js';
import type { FeatureContract } from '../../contract/featureContract.js';
import { encodeScoreRequest } from '../encode/requestEncoder.js';
import type { ScoringSession } from '../runtime/scoringSession.js';

/**
 * The manifest's golden requests (contract/goldenRequests.ts) through the worker's own encoder and
 * a session (the worker's at load; the browser library's, for each execution provider it tries):
 * every output must match what the exporter recorded. Returns the first mismatch, described.
 */
export async function replayGolden(golden: Golden, contract: FeatureContract, session: ScoringSession): Promise<string | undefined> {
  for (const [i, request] of golden.requests.entries()) {
    const { feeds } = encodeScoreRequest(contract, request, { time: request.time, route: request.route });
    const result = await session.score(feeds, { tasks: true });
    const mismatch = goldenMismatch(request, i, { score: result.scores, ...result.tasks }, golden.tolerance);
    if (mismatch) return `${mismatch}; expected values from ${golden.reference}`;
  }
  return undefined;
}

