/**
 * The A/B readout (docs/experiments.md):
 *
 *   npm run ab -- report --route home [--since 2026-12-05] [--json] [--html readout.html] [--persist-to .wrangler/state]
 *
 * Reads the embedded event store — the local D1 database `npm start` writes (wrangler dev's
 * .wrangler/state, or --persist-to) — through `wrangler d1 execute --local`, and prints per variant
 * units, exposures, outcomes, metrics with relative lift against the control and its 95 % interval,
 * and guardrails, after the sample-ratio-mismatch check. `--remote` reads the deployed D1 database
 * instead (needs `wrangler login`); `--store analytics-engine` reads the Analytics Engine dataset
 * through its SQL API (CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_API_TOKEN; readout/analyticsEngine.ts).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseRouteConfig } from '../core/experiments/routeConfig.js';
import { analyticsEngineSummary } from '../readout/analyticsEngine.js';
import { buildReadout, renderReadout } from '../readout/readout.js';
import { dailySummary, summarise, type SqlRunner } from '../readout/summary.js';
import { readoutHtml } from '../readout/html.js';
import { writeFileSync } from 'node:fs';

const ROOT = new URL('..', import.meta.url).pathname;

/** Runs SQL on the local (or remote) D1 database of wrangler.toml's EVENTS_DB binding. */
export function wranglerD1Runner(options: { persistTo?: string; remote?: boolean; config?: string } = {}): SqlRunner {
  return async (sql) => {
    const args = ['wrangler', 'd1', 'execute', 'EVENTS_DB', options.remote ? '--remote' : '--local', '--json', '--command', sql.replace(/\s+/g, ' '), ...(options.persistTo ? ['--persist-to', options.persistTo] : []), ...(options.config ? ['-c', options.config] : [])];
    const out = execFileSync('npx', args, { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 }).toString();
    const parsed = JSON.parse(out) as Array<{ results: Array<Record<string, unknown>> }>;
    return parsed.flatMap((p) => p.results);
  };
}

export async function report(route: string, run: SqlRunner, since = 0, routesJson = JSON.parse(readFileSync(join(ROOT, 'config/routes.json'), 'utf8'))) {
  const config = parseRouteConfig(routesJson).routes.get(route);
  if (!config) throw new Error(`no route "${route}" in config/routes.json`);
  return buildReadout(route, config.variants.map((v) => ({ name: v.name, weight: v.weight })), await summarise(run, route, since));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: a, positionals } = parseArgs({ allowPositionals: true, options: { route: { type: 'string' }, since: { type: 'string' }, store: { type: 'string', default: 'd1' }, json: { type: 'boolean', default: false }, html: { type: 'string' }, 'persist-to': { type: 'string' }, remote: { type: 'boolean', default: false } } });
  if (positionals[0] !== 'report' || !a.route) {
    console.error('usage: npm run ab -- report --route <route> [--since <ISO date or time>] [--store d1|analytics-engine] [--json] [--html readout.html] [--persist-to <dir>] [--remote]');
    process.exit(2);
  }
  try {
    const since = a.since === undefined ? 0 : Date.parse(a.since);
    if (!Number.isFinite(since)) throw new Error(`--since: not a date or time: ${a.since}`);
    if (a.store !== 'd1' && a.store !== 'analytics-engine') throw new Error('--store is d1 (default) or analytics-engine');
    let r;
    if (a.store === 'analytics-engine') {
      const accountId = process.env.CLOUDFLARE_ACCOUNT_ID;
      const apiToken = process.env.CLOUDFLARE_API_TOKEN;
      if (!accountId || !apiToken) throw new Error('--store analytics-engine needs CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN (Account Analytics: Read)');
      const config = parseRouteConfig(JSON.parse(readFileSync(join(ROOT, 'config/routes.json'), 'utf8'))).routes.get(a.route);
      if (!config) throw new Error(`no route "${a.route}" in config/routes.json`);
      r = buildReadout(a.route, config.variants.map((v) => ({ name: v.name, weight: v.weight })), await analyticsEngineSummary(a.route, since, { accountId, apiToken }));
    } else {
      const run = wranglerD1Runner({ ...(a['persist-to'] ? { persistTo: a['persist-to'] } : {}), remote: a.remote });
      r = await report(a.route, run, since);
      if (a.html) {
        writeFileSync(a.html, await readoutHtml(r, await dailySummary(run, a.route, since)));
        console.error(`ab: wrote ${a.html}`);
      }
    }
    console.log(a.json ? JSON.stringify(r, null, 1) : renderReadout(r));
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    console.error(`ab: ${/no such table/.test(text) ? 'the store has no experiment records yet (score with npm start first)' : text}`);
    process.exit(1);
  }
}
