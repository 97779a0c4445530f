/**
 * Per-client limits (issue 16, item 3) on a real rate limiting binding (miniflare's, 12 units a
 * minute here): a client's budget is spent in cost units (candidates × kept history / 5000), so a
 * client sending big requests is stopped sooner than one sending small ones, other clients are not
 * affected, and the 429 says why and when to retry.
 */
import { describe, expect, inject, it } from 'vitest';
import { createApp } from '../../worker/app.js';
import { clientKey, parseClientKeySetting, unitsOf, UNIT_PAIRS } from '../../worker/middleware/clientRateLimit.js';
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

function post(ip: string, candidates: number, history: number, bindings: object = limited, headers: Record<string, string> = {}) {
  const body = JSON.stringify({ user: 'u', history: Array.from({ length: history }, (_, i) => items[i % items.length]), candidates: Array.from({ length: candidates }, (_, i) => items[(i * 7) % items.length]) });
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
    expect(error.message).toMatch(/spent its budget .*one unit = 5000 candidate × history pairs.*retry after 60 s/);
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

  it('RATE_LIMIT_KEY = header:x-api-key gives each API key its own budget behind one address', async () => {
    await inFreshWindow();
    const ip = address();
    const keyed = { ...limited, RATE_LIMIT_KEY: 'header:x-api-key' };
    const [k1, k2] = [crypto.randomUUID(), crypto.randomUUID()];
    for (let i = 0; i < 12; i++) expect((await post(ip, 100, 50, keyed, { 'x-api-key': k1 })).status).toBe(200);
    expect((await post(ip, 100, 50, keyed, { 'x-api-key': k1 })).status).toBe(429);
    expect((await post(ip, 100, 50, keyed, { 'x-api-key': k2 })).status).toBe(200);
  });

  it('RATE_LIMIT_KEY = off, or no binding, does not limit; a bad setting is a configuration error', async () => {
    const ip = address();
    for (let i = 0; i < 14; i++) expect((await post(ip, 100, 50, { ...limited, RATE_LIMIT_KEY: 'off' })).status).toBe(200);
    for (let i = 0; i < 14; i++) expect((await post(ip, 100, 50, env)).status).toBe(200);
    expect((await post(ip, 1, 1, { ...limited, RATE_LIMIT_KEY: 'cookie' })).status).toBe(500);
    expect(parseClientKeySetting('header:x-api-key')).toEqual({ kind: 'header', name: 'x-api-key' });
    expect(clientKey(new Request(BASE, { headers: { 'cf-connecting-ip': 'x'.repeat(5000) } }), { kind: 'ip' })!.length).toBeLessThan(140);
  });
});
