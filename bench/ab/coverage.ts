/**
 * `npm run bench -- ab [--seeds 20] [--users 1000]`: does the readout's 95 % interval mean what it
 * says? (issue 26, item 4). One `wrangler dev` (the real worker, `EXPOSURE_LOG=d1`, a fresh store),
 * then for each seed a simulated experiment on the `home` route (DIN vs DIEN, 50/50) with a planted
 * +10 % click-through lift, and one with none; each is read out by `npm run ab`'s own code from the
 * local D1 store (records since that experiment began). Counts how often the interval covers the
 * planted lift (target ≥ 17 of 20) and zero (≥ 17 of 20), then plants a 52/48 split and checks SRM
 * flags it. Writes bench/results/<date>-ab.md/.json.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import defaultRoutes from '../../config/routes.json' with { type: 'json' };
import { parseRouteConfig } from '../../core/experiments/routeConfig.js';
import { loadShippedModel } from '../../model-export/shippedModels.js';
import { report, wranglerD1Runner } from '../../scripts/ab.js';
import { writeResults } from '../lib/results.js';
import { startWranglerDev } from '../lib/wranglerDev.js';
import { simulate } from './simulate.js';

const { values: a } = parseArgs({ options: { seeds: { type: 'string', default: '20' }, users: { type: 'string', default: '1000' }, lift: { type: 'string', default: '0.1' } } });
const SEEDS = Number(a.seeds);
const USERS = Number(a.users);
const LIFT = Number(a.lift);
const ROUTE = 'home';
const route = parseRouteConfig(defaultRoutes).routes.get(ROUTE)!;
const items = loadShippedModel('din-movielens').manifest.featureContract.items.slice(0, 400);
const persist = mkdtempSync(join(tmpdir(), 'ab-coverage-'));
const log = (line: string) => console.error(`[bench ab ${new Date().toISOString().slice(11, 19)}] ${line}`);

const dev = await startWranglerDev('wrangler.toml', { EXPOSURE_LOG: 'd1', RATE_LIMIT_KEY: 'off' }, 90_000, ['--persist-to', persist]);
const run = wranglerD1Runner({ persistTo: persist });
const post = (path: string, body: unknown) => fetch(`${dev.origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

interface Row { kind: string; seed: number; units: [number, number]; lift: number; lo: number; hi: number; covered: boolean; srmP: number }
const rows: Row[] = [];
const started = Date.now();
try {
  for (const [kind, lift, planted] of [['lift', LIFT, undefined], ['none', 0, undefined], ['srm', LIFT, [52, 48]]] as const) {
    const seeds = kind === 'srm' ? 1 : SEEDS;
    for (let seed = 1; seed <= seeds; seed++) {
      const since = Date.now();
      const users = kind === 'srm' ? Math.max(USERS, 9000) : USERS;
      const sim = await simulate(post, route, { seed: `${kind}-${seed}`, users, baseCtr: 0.1, lift, ...(planted ? { plantedSplit: [...planted] } : {}), maxViews: 4, items, concurrency: 8 });
      if (sim.failures.length) throw new Error(`simulation ${kind} ${seed}: ${sim.failures.join('; ')}`);
      await new Promise((r) => setTimeout(r, 500)); // the last records are written after their responses
      const r = await report(ROUTE, run, since);
      const t = r.variants[1].metrics.ctr.lift!;
      const target = kind === 'none' ? 0 : lift;
      rows.push({ kind, seed, units: [r.variants[0].units, r.variants[1].units], lift: t.relative, lo: t.ci95[0], hi: t.ci95[1], covered: t.ci95[0] <= target && target <= t.ci95[1], srmP: r.srm.pValue });
      log(`${kind} seed ${seed}: units ${r.variants.map((v) => v.units).join('/')}, lift ${(100 * t.relative).toFixed(1)} % [${(100 * t.ci95[0]).toFixed(1)}, ${(100 * t.ci95[1]).toFixed(1)}], SRM p ${r.srm.pValue.toExponential(2)}`);
    }
  }
} finally {
  await dev.stop();
}

const covered = (kind: string) => rows.filter((r) => r.kind === kind && r.covered).length;
const srm = rows.find((r) => r.kind === 'srm')!;
const date = new Date().toISOString().slice(0, 10);
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const md = [
  `# A/B readout coverage ${date}`,
  '',
  `\`npm run bench -- ab --seeds ${SEEDS} --users ${USERS} --lift ${LIFT}\` (bench/ab/coverage.ts): wrangler dev (EXPOSURE_LOG=d1, a fresh local store), route \`${ROUTE}\` (DIN vs DIEN, 50/50); per seed ${USERS} simulated users, 1–4 page views each, click probability 0.1 in the control and 0.1 × (1 + lift) in the treatment, a click reported with the response's assignment token; read out by \`npm run ab\`'s code from the store. ${Math.round((Date.now() - started) / 1000)} s.`,
  '',
  '| planted | experiments | 95 % interval covers the planted lift | target |',
  '| --- | --- | --- | --- |',
  `| +${pct(LIFT)} relative CTR lift | ${SEEDS} | **${covered('lift')} of ${SEEDS}** | ≥ 17 |`,
  `| none | ${SEEDS} | **${covered('none')} of ${SEEDS}** (covers 0) | ≥ 17 |`,
  '',
  `Planted 52/48 split on the 50/50 route (${srm.units.join(' vs ')} units): SRM p = ${srm.srmP.toExponential(2)} → ${srm.srmP < 0.001 ? '**flagged**' : '**not flagged**'} (threshold 0.001).`,
  '',
  '| experiment | units (control / dien) | lift | 95 % interval | covered |',
  '| --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.kind} ${r.seed} | ${r.units.join(' / ')} | ${pct(r.lift)} | [${pct(r.lo)}, ${pct(r.hi)}] | ${r.covered ? 'yes' : 'no'} |`),
].join('\n');
console.log(md);
writeResults(`${date}-ab`, md, { date, seeds: SEEDS, users: USERS, lift: LIFT, rows, coveredLift: covered('lift'), coveredNone: covered('none'), srm });
