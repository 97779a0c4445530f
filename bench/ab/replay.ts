/**
 * `npm run bench -- replay [--k 10] [--users 600]`: predict an A/B test before it runs (issue 26,
 * item 5). Offline replay of held-out users: for every MovieLens test user (id % 5 = 0, the shipped
 * models' test split) the history is the 50 behaviours before their last one, the candidate set is
 * that last item (the outcome a live test would see: the next thing the user chose) plus 99 items
 * they never rated, the same for every variant. Each variant of the `home` route ranks it through
 * the real worker (wrangler dev, the variant forced with the QA override), and the readout's own
 * machinery gives hit rate @ K per variant and DIEN's relative lift over DIN with a 95 % interval
 * (units = users; the arms share users, so the independent-arm interval is conservative), beside the
 * held-out item's AUC among the 100 and the models' offline test GAUCs from their manifests.
 * Writes bench/results/<date>-replay.md/.json.
 */
import { parseArgs } from 'node:util';
import defaultRoutes from '../../config/routes.json' with { type: 'json' };
import { parseRouteConfig } from '../../core/experiments/routeConfig.js';
import { loadShippedModel } from '../../model-export/shippedModels.js';
import { meanEstimate, relativeLift } from '../../readout/stats.js';
import { heldOutRequests } from '../lib/heldOut.js';
import { writeResults } from '../lib/results.js';
import { startWranglerDev } from '../lib/wranglerDev.js';

const { values: a } = parseArgs({ options: { k: { type: 'string', default: '10' }, users: { type: 'string', default: '600' } } });
const K = Number(a.k);
const MAX_USERS = Number(a.users);
const C = 100;
const H = 50;
const route = parseRouteConfig(defaultRoutes).routes.get('home')!;
const log = (line: string) => console.error(`[bench replay] ${line}`);

const vocabulary = loadShippedModel(route.variants[0].model).manifest.featureContract.items;
const requests = await heldOutRequests({ vocabulary, C, H, maxUsers: MAX_USERS, seed: 'replay-bench' });
log(`${requests.length} test users, C = ${C}, K = ${K}`);

const TOKEN = 'replay-override-token';
const dev = await startWranglerDev('wrangler.toml', { VARIANT_OVERRIDE_TOKEN: TOKEN, EXPOSURE_LOG: 'console' });
const perVariant = new Map<string, { hits: number[]; aucs: number[] }>();
try {
  for (const variant of route.variants) {
    const hits: number[] = [];
    const aucs: number[] = [];
    for (const r of requests) {
      const res = await fetch(`${dev.origin}/v1/score/${route.name}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-variant': variant.name, 'x-variant-token': TOKEN }, body: JSON.stringify({ history: r.history, candidates: r.candidates, user: 'replay' }) });
      if (res.status !== 200) throw new Error(`${variant.name}: HTTP ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { variant: string; scores: Array<{ item: string; score: number }> };
      if (body.variant !== variant.name) throw new Error(`asked for ${variant.name}, served by ${body.variant}`);
      const rank = body.scores.findIndex((s) => s.item === r.positive);
      hits.push(rank >= 0 && rank < K ? 1 : 0);
      aucs.push(1 - rank / (C - 1)); // the held-out item's AUC against the 99 (ties: request order)
    }
    perVariant.set(variant.name, { hits, aucs });
    log(`${variant.name}: hit@${K} ${(hits.reduce((x, y) => x + y, 0) / hits.length).toFixed(3)}`);
  }
} finally {
  await dev.stop();
}

const sums = (xs: number[]) => ({ n: xs.length, x: xs.reduce((s, v) => s + v, 0), xx: xs.reduce((s, v) => s + v * v, 0) });
const control = route.variants[0].name;
const cHit = meanEstimate(sums(perVariant.get(control)!.hits));
const rows = route.variants.map((v) => {
  const { hits, aucs } = perVariant.get(v.name)!;
  const hit = meanEstimate(sums(hits));
  const lift = v.name === control ? undefined : relativeLift(hit, cHit);
  const manifest = loadShippedModel(v.model).manifest;
  return { variant: v.name, model: v.model, users: hits.length, hitRate: hit.value, lift: lift?.relative, ci95: lift?.ci95, auc: aucs.reduce((s, x) => s + x, 0) / aucs.length, offlineGauc: manifest.metrics.gauc, offlineAuc: manifest.metrics.auc };
});
const date = new Date().toISOString().slice(0, 10);
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} %`;
const md = [
  `# Offline replay of the \`${route.name}\` A/B test ${date}`,
  '',
  `\`npm run bench -- replay --k ${K} --users ${MAX_USERS}\` (bench/ab/replay.ts): ${requests.length} MovieLens test users (id % 5 = 0); history = the ${H} behaviours before the last, candidates = the last item + ${C - 1} never-rated items, the same for both variants, ranked by the real worker (wrangler dev, variant forced). Units are users; both arms rank the same users, so the independent-arm interval is conservative.`,
  '',
  `| variant | model | users | hit rate @ ${K} | lift vs ${control} (95 % interval) | held-out item AUC among ${C} | offline test AUC / GAUC (manifest) |`,
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.variant} | ${r.model} | ${r.users} | ${r.hitRate.toFixed(3)} | ${r.lift === undefined ? '(control)' : `${pct(r.lift)} [${pct(r.ci95![0])}, ${pct(r.ci95![1])}]`} | ${r.auc.toFixed(4)} | ${r.offlineAuc?.toFixed(4)} / ${r.offlineGauc?.toFixed(4)} |`),
].join('\n');
console.log(md);
writeResults(`${date}-replay`, md, { date, K, C, H, users: requests.length, rows });
