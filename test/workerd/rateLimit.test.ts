/**
 * Per-client limits (issue 16, item 3) on a real rate limiting binding (miniflare's, 12 units a
 * minute here): a client's budget is spent in cost units (candidates × kept history / 5000), so a
 * client sending big requests is stopped sooner than one sending small ones, other clients are not
 * affected, and the 429 says why and when to retry.
 */
import { describe, expect, inject, it } from 'vitest';
import { createApp } from '../../worker/app.js';
import { mintApiKey } from '../../core/auth/apiKeys.js';
import { addressKey, clientKey, parseClientKeySetting, requestUnits, unitsOf, UNIT_PAIRS, UNIT_US } from '../../worker/middleware/clientRateLimit.js';
import { BASE, env, errorOf } from './helpers.js';

const served = inject('servedModel');
const items = served.vocabularySample;
const app = createApp();
const limited = { ...env, CLIENT_RATE_LIMIT: env.TEST_RATE_LIMIT };

let run = 0;
/** A client address no other test (or earlier run in this runtime) used. */
const address = () => `203.0.113.${++run}-${crypto.randomUUID().slice(0, 8)}`;

/**
 * Miniflare's rate limiter counts in windows aligned to the clock (floor(now / period)), and every
 * count starts again at a boundary: a test that spends a budget waits for a fresh window when the
 * current one has less than 15 s left, so a boundary never falls between its requests.
 */
const PERIOD_MS = 60_000;
async function inFreshWindow(): Promise<void> {
  const left = PERIOD_MS - (Date.now() % PERIOD_MS);
  if (left < 15_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
}

function post(ip: string, candidates: number, history: number, bindings: object = limited, headers: Record<string, string> = {}, override?: object) {
  const body = JSON.stringify(override ?? { user: 'u', history: Array.from({ length: history }, (_, i) => items[i % items.length]), candidates: Array.from({ length: candidates }, (_, i) => items[(i * 7) % items.length]) });
  return app.fetch(new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip, ...headers }, body }), bindings);
}

describe('per-client rate limit', () => {
  it('charges cost units: candidates × kept history / 5000, at least one', () => {
    expect(UNIT_PAIRS).toBe(5000);
    expect(unitsOf(1)).toBe(1);
    expect(unitsOf(100 * 50)).toBe(1);
    expect(unitsOf(100 * 50 + 1)).toBe(2);
    expect(unitsOf(1000 * 50)).toBe(10);
  });

  it('stops a client after its budget of reference requests with a JSON 429 and Retry-After; another client is unaffected', async () => {
    await inFreshWindow();
    const ip = address();
    for (let i = 0; i < 12; i++) expect((await post(ip, 100, 50)).status).toBe(200);
    const refused = await post(ip, 100, 50);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(refused.headers.get('cache-control')).toBe('no-store');
    const error = await errorOf(refused);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(error.message).toMatch(/spent its budget for POST \/v1\/score \(cost units: one unit = 1 ms of estimated model CPU\); retry after 60 s/);
    expect((await post(address(), 100, 50)).status).toBe(200);
  });

  it('a client sending C = 1000 spends its budget ten times as fast: the second such request is refused', async () => {
    await inFreshWindow();
    const ip = address();
    expect((await post(ip, 1000, 50)).status).toBe(200); // 10 of 12 units
    expect((await post(ip, 1000, 50)).status).toBe(429); // would need 20
    // history beyond the model's H is not charged: it is truncated before scoring
    const other = address();
    expect((await post(other, 100, 500)).status).toBe(200);
    for (let i = 0; i < 11; i++) await post(other, 100, 50);
    expect((await post(other, 1, 1)).status).toBe(429);
  });

  it('bad requests spend budget too: a flood of invalid bodies cannot bypass the limit', async () => {
    await inFreshWindow();
    const ip = address();
    const bad = () => app.fetch(new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip }, body: '{"candidates": 5' }), limited);
    for (let i = 0; i < 12; i++) expect((await bad()).status).toBe(400);
    expect((await bad()).status).toBe(429);
  });

  it('RATE_LIMIT_KEY = header:x-api-key: each signed key is its tenant\'s budget behind one address; a missing, empty, invented or unsigned key is a 401 (issue 24, item 3)', async () => {
    await inFreshWindow();
    const ip = address();
    const secret = 'test-api-key-secret-0123456789abcdef0123';
    const keyed = { ...limited, RATE_LIMIT_KEY: 'header:x-api-key', API_KEY_SECRET: secret };
    const [k1, k2] = [await mintApiKey(secret, `acme-${run}`), await mintApiKey(secret, `globex-${run}`)];
    for (let i = 0; i < 12; i++) expect((await post(ip, 100, 50, keyed, { 'x-api-key': k1 })).status).toBe(200);
    expect((await post(ip, 100, 50, keyed, { 'x-api-key': k1 })).status).toBe(429);
    expect((await post(ip, 100, 50, keyed, { 'x-api-key': k2 })).status).toBe(200);
    const refused: Array<[string, Record<string, string>]> = [
      ['no header', {}],
      ['an empty key', { 'x-api-key': '' }],
      ['an invented key', { 'x-api-key': crypto.randomUUID() }],
      ['a tenant name with a made-up signature', { 'x-api-key': `ie_acme-${run}_${'A'.repeat(24)}` }],
      ['a key signed with another secret', { 'x-api-key': await mintApiKey('another-secret-0123456789abcdef0123456', `acme-${run}`) }],
    ];
    for (const [why, headers] of refused) {
      const res = await post(address(), 100, 50, keyed, headers);
      const e = await errorOf(res);
      expect(e, why).toMatchObject({ status: 401, code: 'unauthorized' });
      expect(e.issues[0].path).toBe('header.x-api-key');
      expect(res.headers.get('www-authenticate')).toBe('ApiKey header="x-api-key"');
    }
    // The key is checked even where no rate limiting binding is configured: authentication does not ride on the budget.
    const unbound = { ...env, CLIENT_RATE_LIMIT: undefined, RATE_LIMIT_KEY: 'header:x-api-key', API_KEY_SECRET: secret };
    expect((await post(address(), 1, 1, unbound)).status).toBe(401);
    expect((await post(address(), 1, 1, unbound, { 'x-api-key': k2 })).status).toBe(200);
    // Header mode without the secret cannot verify anything: a configuration error, not an open door.
    expect((await post(ip, 1, 1, { ...limited, RATE_LIMIT_KEY: 'header:x-api-key' }, { 'x-api-key': k1 })).status).toBe(500);
  });

  it('ip mode keys IPv6 clients by their /64: rotating addresses within it shares one budget (issue 24, item 4)', async () => {
    await inFreshWindow();
    const net = `2001:db8:${(run++ % 0xffff).toString(16)}:${Math.floor(Math.random() * 0xffff).toString(16)}`;
    for (let i = 0; i < 12; i++) expect((await post(`${net}::${(i + 1).toString(16)}`, 100, 50)).status).toBe(200);
    expect((await post(`${net}:ffff:ffff:ffff:ffff`, 100, 50)).status).toBe(429);
    expect((await post(`${net.slice(0, -1)}${net.endsWith('0') ? '1' : '0'}::1`, 100, 50)).status).toBe(200); // another /64
    expect(addressKey('2001:db8:0:1::1')).toBe(addressKey('2001:db8:0:1:ffff:1:2:3'));
    expect(addressKey('2001:db8:0:1::1')).not.toBe(addressKey('2001:db8:0:2::1'));
    expect(addressKey('2001:db8:0:1::1', 48)).toBe(addressKey('2001:db8:0:2::1', 48));
    expect(addressKey('::ffff:192.0.2.7')).toBe('ip:192.0.2.7');
    expect(addressKey('192.0.2.7')).toBe('ip:192.0.2.7');
  });

  it('cost units come from the manifest\'s cost model: a request is charged its estimated model CPU in ms (issue 24, item 5)', async () => {
    const din = inject('modelFixtures')['din-movielens'] ? 'din-movielens' : served.name;
    expect(din).toBeTruthy();
    const cost = { fixedUs: 100, perCandidateUs: 2.78, perHistoryUs: 0.2, perPairUs: 0.1216, runtime: 'test', measured: 'test' };
    expect(UNIT_US).toBe(1000);
    expect(requestUnits(cost, 100, 50)).toBe(1);
    expect(requestUnits(cost, 1000, 5)).toBe(4); // ≈ 3.5 reference requests of CPU: no longer 1 unit
    expect(requestUnits(cost, 1000, 50, 8000)).toBe(8); // a cascade is bounded by the route's budget
    expect(requestUnits(undefined, 1000, 5)).toBe(1); // no cost model: pairs
    // Through the worker: the shipped DIEN's reference request is ≈ 3.7 ms → 4 units; 3 fit in 12, the 4th does not.
    await inFreshWindow();
    const ip = address();
    const dien = createApp({ routes: { defaultRoute: 'd', routes: { d: { variants: [{ name: 'dien', model: 'dien-movielens', weight: 1 }] } } } });
    const dienItems = inject('modelFixtures')['dien-movielens'].servedModel.vocabularySample;
    const body = JSON.stringify({ user: 'u', history: Array.from({ length: 50 }, (_, i) => dienItems[i % dienItems.length]), candidates: Array.from({ length: 100 }, (_, i) => dienItems[(i * 7) % dienItems.length]) });
    const send = () => dien.fetch(new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip }, body }), limited);
    for (let i = 0; i < 3; i++) expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(429);
  });

  it('a request refused over the CPU budget is charged only its arrival unit', async () => {
    await inFreshWindow();
    const ip = address();
    const refusing = createApp({ routes: { defaultRoute: 'r', routes: { r: { budgetMs: 1, variants: [{ name: 'din', model: 'din-movielens', weight: 1 }] } } } });
    const send = (candidates: number) => refusing.fetch(new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip }, body: JSON.stringify({ user: 'u', history: items.slice(0, 50), candidates: Array.from({ length: candidates }, (_, i) => items[i % items.length]) }) }), limited);
    expect((await send(1000)).status).toBe(422); // ≈ 9 ms estimated against a 1 ms budget: refused, 1 unit
    for (let i = 0; i < 11; i++) expect((await send(5)).status).toBe(200); // 11 more single-unit requests fit the 12
    expect((await send(5)).status).toBe(429);
  });

  it('record sizes are refused before schema validation: a profile of 20,000 keys is a 400 naming profile (issue 24, item 5)', async () => {
    const profile = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, 0]));
    const attributes = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`a${i}`, i]));
    const res = await post(address(), 1, 1, limited, {}, { profile, candidates: [{ item: items[0], attributes }, { item: 'x'.repeat(129) }] });
    const e = await errorOf(res);
    expect(e).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(e.issues.map((i) => i.path)).toEqual(['profile', 'candidates.0.attributes', 'candidates.1.item']);
  });

  it('every anonymous endpoint has a budget of its own (issue 24, item 8): GETs on READ_RATE_LIMIT, assignments and exposures on EVENT_RATE_LIMIT', async () => {
    await inFreshWindow();
    const reads = { ...env, READ_RATE_LIMIT: env.TEST_RATE_LIMIT };
    const ip = address();
    const paths = ['/v1/models', '/v1/routes', '/healthz', '/openapi.json', '/browser/interest-edge.js', '/v1/public/models/din-movielens'];
    for (let i = 0; i < 12; i++) expect((await app.fetch(new Request(`${BASE}${paths[i % paths.length]}`, { headers: { 'cf-connecting-ip': ip } }), reads)).status).not.toBe(429);
    for (const path of paths) {
      const res = await app.fetch(new Request(`${BASE}${path}`, { headers: { 'cf-connecting-ip': ip } }), reads);
      expect(res.status, path).toBe(429);
    }
    const events = { ...env, EVENT_RATE_LIMIT: env.TEST_RATE_LIMIT };
    const other = address();
    const assignment = () => app.fetch(new Request(`${BASE}/v1/assignments/home`, { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': other }, body: JSON.stringify({ unitHash: 'a'.repeat(64) }) }), events);
    const exposure = () => app.fetch(new Request(`${BASE}/v1/exposures/home`, { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': other }, body: '{}' }), events);
    // An assignment costs 10 units of the event budget (it mints a unit's ticket into the records), an exposure 1.
    expect((await assignment()).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await exposure()).status).toBe(400);
    expect((await assignment()).status).toBe(429);
    expect((await exposure()).status).toBe(429);
    // Scoring is not charged to either
    expect((await post(other, 100, 50, env)).status).toBe(200);
  });

  it('RATE_LIMIT_KEY = off, or no binding, does not limit; a bad setting is a configuration error', async () => {
    const ip = address();
    for (let i = 0; i < 14; i++) expect((await post(ip, 100, 50, { ...limited, RATE_LIMIT_KEY: 'off' })).status).toBe(200);
    for (let i = 0; i < 14; i++) expect((await post(ip, 100, 50, env)).status).toBe(200);
    expect((await post(ip, 1, 1, { ...limited, RATE_LIMIT_KEY: 'cookie' })).status).toBe(500);
    expect(parseClientKeySetting('header:x-api-key')).toEqual({ kind: 'header', name: 'x-api-key' });
    expect((await clientKey(new Request(BASE, { headers: { 'cf-connecting-ip': 'x'.repeat(5000) } }), { kind: 'ip' }))!.length).toBeLessThan(140);
  });
});
