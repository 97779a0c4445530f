/**
 * Warm-up runs: synthetic requests through a freshly loaded model so that V8 tiers ORT's hot wasm
 * kernels up (compiles them with its optimising tier) before, or between, real requests. V8 decides
 * when to tier a wasm function up by how much of it has run, so only running the kernels helps, and
 * a Worker cannot pass V8 flags (docs/worker.md, "Cold isolates").
 */
import type { FeatureContract } from '../../contract/featureContract.js';
import { encodeScoreRequest } from '../encode/requestEncoder.js';
import type { ScoringSession } from '../runtime/scoringSession.js';

export interface WarmUpOptions {
  /** Candidates per synthetic request (default 100); the history is the model's full length. */
  candidates?: number;
  /** Resolves when the isolate has no request in flight; awaited before each run (idle warm-up). */
  whenIdle?: () => Promise<void>;
}

/**
 * An idle warm-up splits each C = 100 run into this many smaller ones, so that a request arriving
 * while one runs waits for a quarter of a run at most; V8 tiers up by work done, not by run count.
 */
export const IDLE_RUN_SPLIT = 4;
/** An idle warm-up runs only after this long without a request (RequestsInFlight.whenIdle). */
export const IDLE_QUIET_MS = 5;

/** Runs `runs` synthetic requests of random vocabulary items; returns how many ran. */
export async function warmUp(contract: FeatureContract, session: ScoringSession, runs: number, options: WarmUpOptions = {}): Promise<number> {
  const items = contract.spec.items;
  let seed = 1;
  const next = () => items[(seed = (seed * 48271) % 2147483647) % items.length];
  const request = { history: Array.from({ length: contract.spec.maxHistory }, next), candidates: Array.from({ length: options.candidates ?? 100 }, next) };
  const { feeds } = encodeScoreRequest(contract, request, { time: 0, route: 'warmup' });
  for (let i = 0; i < runs; i++) {
    if (options.whenIdle) await options.whenIdle();
    await session.score(feeds, { tasks: session.tasks.length > 0 });
  }
  return runs;
}
