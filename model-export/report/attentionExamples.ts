/**
 * Attention heat-map data for a few held-out users of any data source: an exported DIN/DIEN model
 * (onnxruntime-node, its `attention` output) scores the user's real next item among sampled unseen
 * ones, given the user's last H behaviours. Shows which past clicks drove which scores.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import * as ort from 'onnxruntime-node';
import seedrandom from 'seedrandom';
import { contractOf, modelManifestSchema, SERVING_INPUTS, SERVING_OUTPUTS } from '../../contract/manifest.js';
import type { BehaviourLog } from '../data/behaviourLog.js';
import { MOVIELENS_SMALL_DIR } from '../data/movielens.js';
import { moduloFiveSplit } from '../samples/sample.js';
import type { AttentionCell } from './charts.js';
import { nodeSessionOptions } from '../onnx/nodeSessionOptions.js';

export interface AttentionExample {
  user: string;
  model: string;
  cells: AttentionCell[];
  /** The real next item's rank among the candidates (1 = best). */
  nextRank: number;
  candidates: number;
}

export interface AttentionOptions {
  modelDir: string;
  users: number;
  candidates: number;
  /** Columns shown: the behaviours with the largest attention for any candidate. */
  columns: number;
  seed: number;
  /** Which users are held out (default: the shipped MovieLens split, id mod 5 == 0). */
  isTestUser?: (user: string) => boolean;
}

export function movieTitles(dir: string = MOVIELENS_SMALL_DIR): Map<string, string> {
  const rows = parse(readFileSync(join(dir, 'movies.csv')), { columns: true, skip_empty_lines: true }) as Array<{ movieId: string; title: string }>;
  return new Map(rows.map((r) => [r.movieId, r.title]));
}

/** Item titles for the heat maps: none known means ids are shown. */
export async function attentionExamples(log: BehaviourLog, titles: ReadonlyMap<string, string>, o: AttentionOptions): Promise<AttentionExample[]> {
  const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(o.modelDir, 'manifest.json'), 'utf8')));
  const contract = contractOf(manifest);
  const session = await ort.InferenceSession.create(join(o.modelDir, manifest.onnx.file), nodeSessionOptions());
  if (!session.outputNames.includes(SERVING_OUTPUTS.attention)) throw new Error(`${manifest.name} has no attention output`);
  const rng = seedrandom(`report:${o.seed}`);
  const H = contract.maxHistory;
  const short = (id: string) => {
    const t = titles.get(id) ?? id;
    return t.length > 28 ? `${t.slice(0, 27)}…` : t;
  };
  // Held-out users with a full history before their last rating, in id order, every k-th.
  const isTestUser = o.isTestUser ?? ((u: string) => moduloFiveSplit(u) === 'test');
  const eligible = [...log.timelines.entries()].filter(([u, tl]) => isTestUser(u) && tl.length > H + 1).sort((a, b) => compareIds(a[0], b[0]));
  const chosen = Array.from({ length: Math.min(o.users, eligible.length) }, (_, i) => eligible[Math.floor((i * eligible.length) / o.users)]);
  const examples: AttentionExample[] = [];
  for (const [user, timeline] of chosen) {
    const history = timeline.slice(-H - 1, -1).map((b) => ({ item: b.item, category: log.itemCategory.get(b.item) }));
    const next = timeline[timeline.length - 1].item;
    const seen = new Set(timeline.map((b) => b.item));
    const candidates = [next];
    while (candidates.length < o.candidates) {
      const item = contract.spec.items[Math.floor(rng() * contract.spec.items.length)];
      if (!seen.has(item) && !candidates.includes(item)) candidates.push(item);
    }
    const h = contract.encodeHistory(history, 'compact');
    const c = contract.encodeCandidates(candidates.map((item) => ({ item, category: log.itemCategory.get(item) })));
    const out = await session.run({
      [SERVING_INPUTS.historyItems]: new ort.Tensor('int32', h.items, [h.items.length]),
      [SERVING_INPUTS.historyCategories]: new ort.Tensor('int32', h.categories, [h.items.length]),
      [SERVING_INPUTS.candidateItems]: new ort.Tensor('int32', c.items, [c.items.length]),
      [SERVING_INPUTS.candidateCategories]: new ort.Tensor('int32', c.categories, [c.items.length]),
    });
    const scores = out[SERVING_OUTPUTS.scores].data as Float32Array; // [C]
    const attention = out[SERVING_OUTPUTS.attention].data as Float32Array; // [C, T]
    const T = h.items.length;
    const order = candidates.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
    // Columns: the behaviours with the largest weight for any candidate, shown chronologically.
    const peak = Array.from({ length: h.length }, (_, t) => Math.max(...candidates.map((_, ci) => attention[ci * T + t])));
    const columns = peak
      .map((w, t) => ({ w, t }))
      .sort((a, b) => b.w - a.w)
      .slice(0, o.columns)
      .map((x) => x.t)
      .sort((a, b) => a - b);
    const cells: AttentionCell[] = [];
    for (const ci of order) {
      const label = `${ci === 0 ? '★ ' : ''}${short(candidates[ci])} (${scores[ci].toFixed(2)})`;
      for (const t of columns) cells.push({ candidate: label, behaviour: `${t + 1}. ${short(history[t].item)}`, order: t, weight: attention[ci * T + t] });
    }
    examples.push({ user, model: manifest.name, cells, nextRank: order.indexOf(0) + 1, candidates: candidates.length });
  }
  await session.release();
  return examples;
}

function compareIds(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isSafeInteger(na) && Number.isSafeInteger(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
