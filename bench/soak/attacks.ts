/**
 * The soak's attack phase (issue 24): what an anonymous client tries against a public edge
 * endpoint, each case against a real `wrangler dev`, each followed by the case route's valid
 * request (its scores must equal the baseline's bit for bit, sent with the same `user` so the
 * variant is the same) and GET /healthz (200 "ok": no model was marked failed).
 *
 * Two deployments, one per RATE_LIMIT_KEY mode: `ip` with EXPOSURE_LOG = "console" (dense and bid
 * extremes, forged and replayed exposures, IPv6 rotation) and `header:x-api-key` with a signed-key
 * secret (empty and invented keys).
 *
 * Client addresses: wrangler dev (miniflare's entry worker) sets CF-Connecting-IP to the peer
 * (127.0.0.1) only when a request carries none, so a client-sent header reaches the worker
 * unchanged. Measured with 310 assignments: from 203.0.113.7, 300 × 200 then 10 × 429, the next
 * from 203.0.113.8 a 200; the same from 310 addresses in one /64, then 200 from another /64. (On
 * Cloudflare's edge a client cannot set it.) Each case therefore sends from addresses of its own
 * (documentation ranges) and the cases' budgets do not mix. Local budgets are miniflare's: fixed
 * windows aligned to the minute, all keys cleared together.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unitKeyOf } from '../../core/experiments/assignment.js';
import { mintApiKey } from '../../core/auth/apiKeys.js';
import { loadShippedModel, REPO_ROOT } from '../lib/servingModels.js';
import { startWranglerDev, type WranglerDev } from '../lib/wranglerDev.js';
import { newTally, pool, REQUEST_TIMEOUT_MS, tally, type ErrorBody, type Tally } from './tally.js';

export const ATTACKS = {
  'dense-extremes': 'year ±1e300, ±1e39, 2^53, -0, 5e-324 in a candidate\'s and in a history item\'s attributes on /v1/score/browse: every one a 200',
  'bid-extremes': 'bids 1.7e308 and 1e7 on /v1/score/ads: 400 naming candidates.0.bid; 1e6: a 200 with finite values',
  'forged-exposures': 'POST /v1/exposures/home with old-style bodies (invented unitHash, a version with a newline, rankBy ecpa, latency 600000), a valid token with fields overridden, invented, tampered and other-route tokens: every one a 400, none recorded',
  'replayed-exposures': 'one valid token (POST /v1/assignments/home) reported again and again with the same page view: one record, the rest `x-exposure: duplicate`',
  'api-keys': 'RATE_LIMIT_KEY = header:x-api-key: no header, empty, blank, invented, re-signed, other-tenant, other-secret and bare-tenant keys: every one a 401; a minted key: 200',
  'ipv6-rotation': 'RATE_LIMIT_KEY = ip: scoring requests from ever new addresses in one /64 until the budget (CLIENT_RATE_LIMIT) answers 429; then another /64: 200',
} as const;
export type AttackName = keyof typeof ATTACKS;

export interface AttackSettings {
  attacks: AttackName[];
  /** Times each hostile body is sent. */
  attackRepeats: number;
  /** Times the one valid exposure is reported. */
  exposureReplays: number;
}

export interface AttackResult extends Tally {
  case: AttackName;
  what: string;
  /** Hostile requests not answered as the case expects (examples in `problems`). */
  unexpected: number;
  /** The case's own counts: records written, duplicates, 429s within the /64, … */
  figures: Record<string, number>;
  /** The route's valid request right after the case: its status, and whether its scores equal the baseline's bit for bit. */
  after: { route: ProbeRoute; status: number; identicalScores: boolean };
  /** GET /healthz right after: HTTP status and body `status` ('ok' while no model is marked failed). */
  healthz: { http: number; status: string };
  passed: boolean;
}

type Log = (line: string) => void;
type ProbeRoute = 'default' | 'home' | 'browse' | 'ads';
type Expect = (status: number, error: ErrorBody | undefined, headers: Headers) => boolean;
interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

interface Deployment {
  dev: WranglerDev;
  /** Headers of the baseline and after-case requests (the key deployment: a minted key). */
  probeHeaders: Record<string, string>;
  /** Scores of each route's valid request at the start, as JSON (compared as text: bit for bit). */
  baseline: Map<ProbeRoute, string>;
  apiKeySecret?: string;
}

interface CaseContext {
  d: Deployment;
  t: Tally;
  settings: AttackSettings;
  figures: Record<string, number>;
  /** Sends a hostile request from the case's address (unless `headers` sets another), counts its answer. */
  hit(label: string, path: string, body: string, headers: Record<string, string>, expected: Expect): Promise<Answer>;
}

interface AttackCase {
  route: ProbeRoute;
  /** CF-Connecting-IP of the case's requests: a budget of its own. */
  address: string;
  /** The case's verdict beyond each answer's expectation. */
  run(c: CaseContext): Promise<boolean>;
}

const PROBE_USER = 'soak-attack-probe';
/** Address of the baseline and after-case requests. */
const PROBE_ADDRESS = '198.51.100.1';
/** Longest wrangler dev output the soak can read (bench/wranglerDev.ts keeps the last 64 KiB). */
const LOG_WINDOW = 65_536;
/** Order on the `ip` deployment: the exposure cases first, while the whole log since start still fits in that window (every later score request prints its own exposure record). */
const IP_ORDER: AttackName[] = ['forged-exposures', 'replayed-exposures', 'dense-extremes', 'bid-extremes', 'ipv6-rotation'];
/** As JSON text: JSON.stringify writes -0 as 0. */
const DENSE_EXTREMES = ['1e300', '-1e300', '1e39', '-1e39', String(2 ** 53), '-0', '5e-324'];

const items = loadShippedModel('din-movielens').manifest.featureContract.items;
const history = items.slice(10, 30);
/** Each route's valid request. browse sends hour and weekday so its scores do not follow the clock. */
const PROBES: Record<ProbeRoute, object> = {
  default: { user: PROBE_USER, history, candidates: items.slice(0, 10) },
  home: { user: PROBE_USER, history, candidates: items.slice(0, 10) },
  browse: { user: PROBE_USER, history, candidates: [...items.slice(0, 9), { item: 'soak-unknown', attributes: { year: 1999 } }], context: { hour: '10', weekday: 'Mon' } },
  ads: { user: PROBE_USER, history, candidates: items.slice(0, 10).map((item, i) => ({ item, bid: 0.25 * (i + 1) })) },
};
const scorePath = (route: ProbeRoute) => (route === 'default' ? '/v1/score' : `/v1/score/${route}`);

const CASES: Record<AttackName, AttackCase> = {
  'dense-extremes': {
    route: 'browse',
    address: '198.51.100.10',
    async run({ hit, settings }) {
      for (let r = 0; r < settings.attackRepeats; r++) {
        for (const v of DENSE_EXTREMES) {
          // The red team's body, and the same value in a history item.
          await hit(`candidate year ${v}`, '/v1/score/browse', `{"candidates":[{"item":"x","attributes":{"year":${v}}}]}`, {}, (s) => s === 200);
          await hit(`history year ${v}`, '/v1/score/browse', `{"history":[{"item":"y","attributes":{"year":${v}}}],"candidates":["${items[0]}"]}`, {}, (s) => s === 200);
        }
      }
      return true;
    },
  },
  'bid-extremes': {
    route: 'ads',
    address: '198.51.100.11',
    async run({ hit, settings, figures }) {
      figures.nonFiniteValues = 0;
      for (let r = 0; r < settings.attackRepeats; r++) {
        for (const bid of ['1.7e308', '1e7', '1e6']) {
          const allowed = bid === '1e6'; // MAX_BID's default
          const body = `{"user":"soak-bidder","history":${JSON.stringify(history)},"candidates":[{"item":"${items[0]}","bid":${bid}},{"item":"${items[1]}","bid":1}]}`;
          const a = await hit(`bid ${bid}`, '/v1/score/ads', body, {}, (s, e) => (allowed ? s === 200 : s === 400 && hasIssue(e, 'candidates.0.bid')));
          if (a.status === 200) figures.nonFiniteValues += (JSON.parse(a.text) as { scores: Array<{ value?: number }> }).scores.filter((x) => !Number.isFinite(x.value)).length;
        }
      }
      return figures.nonFiniteValues === 0;
    },
  },
  'forged-exposures': {
    route: 'home',
    address: '198.51.100.12',
    async run({ d, hit, settings, figures }) {
      const address = CASES['forged-exposures'].address;
      figures.recordsBefore = browserRecords(d.dev.log());
      const home = await assignment(d, 'home', 'soak-forger', address);
      const ads = await assignment(d, 'ads', 'soak-forger', address);
      const [, payload, signature] = home.token.split('.');
      const claims = claimsOf(home.token);
      const otherVariant = claims.v === 'control' ? 'dien' : 'control';
      const report = (token: string) => ({ token, pageView: pageView(), candidates: 10, latencyMs: 12, executionProvider: 'wasm' });
      const oldBody = () => ({ variant: 'dien', modelVersion: '1.0.0\nforged', unitHash: randomBytes(32).toString('hex'), bucket: 42, rankBy: 'ecpa', latencyMs: 600_000, candidates: 10, executionProvider: 'wasm' });
      // [label, body, whether the 400 must name `token`]
      const forgeries: Array<[string, () => object, boolean]> = [
        ['old body: invented unit, version with a newline, ecpa, 600 s', oldBody, false],
        ['old body with a page view', () => ({ ...oldBody(), pageView: pageView() }), false],
        ['valid token, variant/version/objective/latency in the body', () => ({ ...report(home.token), variant: otherVariant, modelVersion: '1.0.0\nforged', rankBy: 'ecpa', bucket: 1 }), false],
        ['invented token', () => report(`v1.${base64url(JSON.stringify({ ...claims, id: 'soak' }))}.${randomBytes(16).toString('base64url')}`), true],
        ['claims changed, signature kept', () => report(`v1.${base64url(JSON.stringify({ ...claims, v: otherVariant }))}.${signature}`), true],
        ['signature changed', () => report(`v1.${payload}.${flipFirst(signature)}`), true],
        ['token of route ads', () => report(ads.token), true],
        ['not a token', () => report('forged'), true],
        ['empty token', () => report(''), true],
      ];
      for (let r = 0; r < settings.attackRepeats; r++) {
        for (const [label, body, atToken] of forgeries) {
          await hit(label, '/v1/exposures/home', JSON.stringify(body()), {}, (s, e) => s === 400 && (!atToken || hasIssue(e, 'token')));
        }
      }
      // A valid report last: once its record is in the log, everything sent before it has been
      // handled, so the browser records then counted are all there are (no fixed sleep).
      const marker = pageView();
      await exposure(d, home.token, marker, address);
      figures.markerRecords = await recordsOf(d.dev, claims.id); // one exposure per token: keyed by the token id
      figures.recordsAfter = browserRecords(d.dev.log());
      figures.forgedRecorded = figures.recordsAfter - figures.recordsBefore - figures.markerRecords;
      figures.logWrapped = Number(d.dev.log().length >= LOG_WINDOW);
      return figures.markerRecords === 1 && figures.forgedRecorded === 0 && figures.logWrapped === 0;
    },
  },
  'replayed-exposures': {
    route: 'home',
    address: '198.51.100.13',
    async run({ d, hit, settings, figures }) {
      const { token } = await assignment(d, 'home', 'soak-replayer', CASES['replayed-exposures'].address);
      const view = pageView();
      figures.recordedAnswers = 0;
      figures.duplicateAnswers = 0;
      const body = JSON.stringify({ token, pageView: view, candidates: 10, latencyMs: 35, executionProvider: 'wasm' });
      for (let i = 0; i < settings.exposureReplays; i++) {
        const a = await hit(`report ${i}`, '/v1/exposures/home', body, {}, (s, _, h) => s === 204 && h.get('x-exposure') === (i === 0 ? 'recorded' : 'duplicate'));
        if (a.headers.get('x-exposure') === 'recorded') figures.recordedAnswers++;
        if (a.headers.get('x-exposure') === 'duplicate') figures.duplicateAnswers++;
      }
      figures.records = await recordsOf(d.dev, claimsOf(token).id);
      figures.logWrapped = Number(d.dev.log().length >= LOG_WINDOW);
      return figures.records === 1 && figures.recordedAnswers === 1 && figures.duplicateAnswers === settings.exposureReplays - 1 && figures.logWrapped === 0;
    },
  },
  'api-keys': {
    route: 'default',
    address: '198.51.100.14',
    async run({ d, t, hit, settings, figures }) {
      const tenant = 'soak-tenant';
      const minted = await mintApiKey(d.apiKeySecret!, tenant);
      const signature = minted.slice(`ie_${tenant}_`.length);
      const keys: Array<[string, string | undefined]> = [
        ['no header', undefined],
        ['empty header', ''],
        ['blank header', '   '],
        ['invented key', `ie_${tenant}_${randomBytes(18).toString('base64url')}`],
        ['signature changed', `ie_${tenant}_${flipFirst(signature)}`],
        ["another tenant's name with this signature", `ie_other-tenant_${signature}`],
        ['signed with another secret', await mintApiKey(randomBytes(32).toString('base64url'), tenant)],
        ['the tenant name alone', tenant],
      ];
      const body = JSON.stringify({ history: [items[1]], candidates: [items[0]] });
      for (let r = 0; r < settings.attackRepeats; r++) {
        for (const [label, key] of keys) await hit(label, '/v1/score', body, key === undefined ? {} : { 'x-api-key': key }, (s, e) => s === 401 && e?.error.code === 'unauthorized');
      }
      figures.unauthorized = t.byStatus['401'] ?? 0;
      figures.mintedKeyStatus = (await hit('minted key', '/v1/score', body, { 'x-api-key': minted }, (s) => s === 200)).status;
      return figures.unauthorized === keys.length * settings.attackRepeats;
    },
  },
  'ipv6-rotation': {
    route: 'default',
    address: '198.51.100.15',
    async run({ hit, t, figures }) {
      const budget = configuredLimit('CLIENT_RATE_LIMIT');
      // One unit per request (C = 1, H = 1). Windows are aligned to the minute, so the case may
      // straddle one reset: twice the budget (plus a margin) from one /64 must then still reach 429.
      const body = JSON.stringify({ history: [items[1]], candidates: [items[0]] });
      figures.budget = budget;
      figures.accepted = 0;
      figures.rejected = 0;
      await pool(2 * budget + 50, 4, () => figures.rejected < 10, t, async (i) => {
        const address = `2001:db8:5043:1::${(i + 1).toString(16)}`;
        const a = await hit(`address ${address}`, '/v1/score', body, { 'cf-connecting-ip': address }, (s) => s === 200 || s === 429);
        if (a.status === 200) figures.accepted++;
        if (a.status === 429) figures.rejected++;
      });
      figures.addressesInOne64 = figures.accepted + figures.rejected;
      figures.otherPrefixAccepted = 0;
      for (let i = 1; i <= 5; i++) {
        const a = await hit('another /64', '/v1/score', body, { 'cf-connecting-ip': `2001:db8:5043:2::${i}` }, (s) => s === 200);
        if (a.status === 200) figures.otherPrefixAccepted++;
      }
      return figures.rejected > 0 && figures.otherPrefixAccepted === 5;
    },
  },
};

/** Runs the `settings.attacks` cases, each deployment started only when one of its cases is asked for. */
export async function runAttacks(settings: AttackSettings, log: Log = () => {}, track: (dev: WranglerDev) => void = () => {}): Promise<AttackResult[]> {
  const results: AttackResult[] = [];
  // Every case but 'api-keys' runs in `ip` mode; 'api-keys' needs `header:x-api-key`.
  const ipCases = IP_ORDER.filter((a) => settings.attacks.includes(a));
  if (ipCases.length) {
    const vars = { RATE_LIMIT_KEY: 'ip', EXPOSURE_LOG: 'console', ASSIGNMENT_TOKEN_SECRET: randomBytes(32).toString('base64url') };
    results.push(...(await onDeployment(vars, {}, ipCases, settings, log, track)));
  }
  if (settings.attacks.includes('api-keys')) {
    const apiKeySecret = randomBytes(32).toString('base64url');
    const probeKey = await mintApiKey(apiKeySecret, 'soak-probe');
    results.push(...(await onDeployment({ RATE_LIMIT_KEY: 'header:x-api-key', API_KEY_SECRET: apiKeySecret }, { 'x-api-key': probeKey }, ['api-keys'], settings, log, track, apiKeySecret)));
  }
  return results;
}

async function onDeployment(vars: Record<string, string>, probeHeaders: Record<string, string>, cases: AttackName[], settings: AttackSettings, log: Log, track: (dev: WranglerDev) => void, apiKeySecret?: string): Promise<AttackResult[]> {
  const dev = await startWranglerDev('wrangler.toml', vars);
  track(dev);
  const d: Deployment = { dev, probeHeaders, baseline: new Map(), ...(apiKeySecret ? { apiKeySecret } : {}) };
  const results: AttackResult[] = [];
  try {
    for (const route of new Set(cases.map((c) => CASES[c].route))) {
      const res = await probe(d, route);
      if (res.status !== 200) throw new Error(`attacks: the baseline request on ${route}: ${res.status} ${res.text.slice(0, 300)}; wrangler dev's log ended with:\n${dev.log().slice(-3000)}`);
      d.baseline.set(route, scoresText(res.text));
    }
    for (const name of cases) {
      results.push(await runCase(name, d, settings));
      const r = results.at(-1)!;
      log(`attack ${name}: ${r.sent} requests, statuses ${JSON.stringify(r.byStatus)}, ${JSON.stringify(r.figures)}; then ${r.after.route} ${r.after.status}${r.after.identicalScores ? ' with identical scores' : ', scores DIFFER'}, /healthz ${r.healthz.http} ${r.healthz.status} → ${r.passed ? 'passed' : 'FAILED'}`);
    }
  } finally {
    await dev.stop();
  }
  return results;
}

async function runCase(name: AttackName, d: Deployment, settings: AttackSettings): Promise<AttackResult> {
  const c = CASES[name];
  const t = newTally();
  let unexpected = 0;
  const figures: Record<string, number> = {};
  const hit: CaseContext['hit'] = async (label, path, body, headers, expected) => {
    const res = await post(d.dev, path, body, { 'cf-connecting-ip': c.address, ...headers });
    const answer = { status: res.status, headers: res.headers, text: await res.clone().text() };
    if (!(await tally(t, res, `${name}: ${label}`, expected))) unexpected++;
    return answer;
  };
  let verdict = false;
  try {
    verdict = await c.run({ d, t, settings, figures, hit });
  } catch (err) {
    t.problems.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const after = await probe(d, c.route);
  const health = await fetch(`${d.dev.origin}/healthz`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const healthz = { http: health.status, status: ((await health.json()) as { status: string }).status };
  const identicalScores = after.status === 200 && scoresText(after.text) === d.baseline.get(c.route);
  const passed = verdict && unexpected === 0 && t.serverErrors === 0 && t.nonJsonErrors === 0 && t.noAnswer === 0 && after.status === 200 && identicalScores && healthz.http === 200 && healthz.status === 'ok';
  if (!passed) t.problems.push(`${name} failed; wrangler dev's log ended with:\n${d.dev.log().slice(-1500)}`);
  return { case: name, what: ATTACKS[name], ...t, unexpected, figures, after: { route: c.route, status: after.status, identicalScores }, healthz, passed };
}

function post(dev: WranglerDev, path: string, body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${dev.origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
}

async function probe(d: Deployment, route: ProbeRoute): Promise<Answer> {
  const res = await post(d.dev, scorePath(route), JSON.stringify(PROBES[route]), { 'cf-connecting-ip': PROBE_ADDRESS, ...d.probeHeaders });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A score response's scores (item, score and ranked value) as JSON text; every response's assignment token differs, so whole bodies never compare. */
function scoresText(body: string): string {
  const { scores } = JSON.parse(body) as { scores: Array<{ item: string; score: number; value?: number }> };
  return JSON.stringify(scores.map((s) => [s.item, s.score, s.value ?? null]));
}

/** `POST /v1/assignments/:route` for `user`'s unit key, from `address`. */
async function assignment(d: Deployment, route: string, user: string, address: string): Promise<{ token: string }> {
  const res = await post(d.dev, `/v1/assignments/${route}`, JSON.stringify({ unitHash: await unitKeyOf(user) }), { 'cf-connecting-ip': address });
  if (res.status !== 200) throw new Error(`POST /v1/assignments/${route}: ${res.status} ${(await res.text()).slice(0, 300)}`);
  return ((await res.json()) as { assignment: { token: string } }).assignment;
}

/** A valid exposure report (not counted in the case's tally). */
async function exposure(d: Deployment, token: string, view: string, address: string): Promise<void> {
  const res = await post(d.dev, '/v1/exposures/home', JSON.stringify({ token, pageView: view, candidates: 10, executionProvider: 'wasm' }), { 'cf-connecting-ip': address });
  await res.arrayBuffer();
  if (res.status !== 204) throw new Error(`a valid exposure report: ${res.status}`);
}

/** `[exposure]` lines of browser reports in wrangler dev's output (EXPOSURE_LOG = "console"). */
function browserRecords(log: string, idempotencyKey?: string): number {
  return log.split('\n').filter((l) => l.includes('[exposure] ') && l.includes('"unitSource":"browser"') && (!idempotencyKey || l.includes(`"idempotencyKey":"${idempotencyKey}"`))).length;
}

/**
 * Records of one idempotency key, once at least one has reached the log (records are written after
 * the response, and wrangler relays the runtime's output), plus a moment for any later one.
 */
async function recordsOf(dev: WranglerDev, idempotencyKey: string, timeoutMs = 10_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (browserRecords(dev.log(), idempotencyKey) === 0 && Date.now() < until) await sleep(100);
  await sleep(500);
  return browserRecords(dev.log(), idempotencyKey);
}

function claimsOf(token: string): { v: string; id: string } & Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { v: string; id: string };
}

const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
/** Another first character: the last one of a 16-byte base64url tag carries 4 unused bits, so changing it may change nothing. */
const flipFirst = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
const pageView = () => randomBytes(12).toString('base64url');
const hasIssue = (e: ErrorBody | undefined, path: string) => e?.error.issues.some((i) => i.path === path) === true;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The `limit` of a `[[ratelimits]]` binding in wrangler.toml. */
function configuredLimit(binding: string): number {
  const toml = readFileSync(join(REPO_ROOT, 'wrangler.toml'), 'utf8');
  const limit = new RegExp(`name = "${binding}"[^\\[]*?limit = (\\d+)`).exec(toml)?.[1];
  if (!limit) throw new Error(`wrangler.toml has no [[ratelimits]] ${binding}`);
  return Number(limit);
}
