/**
 * Held-out requests on MovieLens test users (id % 5 = 0, the shipped models' test split): the history
 * is the H behaviours before the user's last one, the candidates that last item plus C − 1 items
 * the user never rated, in a seeded random order (so that ties never favour the held-out item).
 * Shared by the cascade and the offline-replay benchmarks.
 */
import seedrandom from 'seedrandom';
import { moduloFiveSplit } from '../../model-export/samples/sample.js';
import { loadDataset } from '../../model-export/sources/registry.js';

export interface HeldOutRequest {
  user: string;
  history: string[];
  candidates: string[];
  positive: string;
}

export async function heldOutRequests(o: { vocabulary: readonly string[]; C: number; H: number; maxUsers: number; seed: string }): Promise<HeldOutRequest[]> {
  const known = new Set(o.vocabulary);
  const dataset = await loadDataset({});
  const rng = seedrandom(o.seed);
  const requests: HeldOutRequest[] = [];
  for (const [user, timeline] of dataset.log.timelines) {
    if (requests.length >= o.maxUsers) break;
    if (moduloFiveSplit(user) !== 'test' || timeline.length < 11) continue;
    const positive = timeline[timeline.length - 1].item;
    if (!known.has(positive)) continue;
    const seen = new Set(timeline.map((b) => b.item));
    const negatives = new Set<string>();
    while (negatives.size < o.C - 1) {
      const item = o.vocabulary[Math.floor(rng() * o.vocabulary.length)];
      if (!seen.has(item)) negatives.add(item);
    }
    const candidates = [positive, ...negatives];
    for (let i = candidates.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [candidates[i], candidates[j]] = [candidates[j], candidates[i]];
    }
    requests.push({ user, history: timeline.slice(-1 - o.H, -1).map((b) => b.item), candidates, positive });
  }
  return requests;
}
