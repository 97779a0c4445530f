/**
 * Warm-up runs: synthetic requests through a freshly loaded model so that V8 tiers ORT's hot wasm
 * kernels up (compiles them with its optimising tier) before real requests. V8 decides
 * when to tier a wasm function up by how much of it has run, so only running the kernels helps, and
 * a Worker cannot pass V8 flags (docs/worker.md, "Cold isolates").
 */
import type { FeatureContract } from '../../contract/featureContract.js';
import { encodeForModel } from '../../core/encode/rowFeeds.js';
import type { ItemRowStore } from '../../core/rows/itemRowStore.js';
import type { ScoringSession } from '../../core/runtime/scoringSession.js';

/** Runs `runs` synthetic requests of random vocabulary items at H = the model's, C = 100 (a row store's sample; made-up ids for hashed item ids). */
export async function warmUp({ contract, session, rows }: { contract: FeatureContract; session: ScoringSession; rows?: ItemRowStore }, runs: number): Promise<void> {
  // Hashed item ids (format 3) have no vocabulary: any ids do, they hash all over the tables.
  const items = rows ? rows.spec.sample : contract.spec.items.length > 0 ? contract.spec.items : Array.from({ length: 1000 }, (_, i) => `warmup-${i}`);
  if (items.length === 0) return;
  let seed = 1;
  const next = () => items[(seed = (seed * 48271) % 2147483647) % items.length];
  const request = { history: Array.from({ length: contract.spec.maxHistory }, next), candidates: Array.from({ length: 100 }, next) };
  const { feeds } = await encodeForModel({ contract, rows }, request, { time: 0, route: 'warmup' });
  for (let i = 0; i < runs; i++) await session.score(feeds, { tasks: session.tasks.length > 0 });
}
