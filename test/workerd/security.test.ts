/**
 * Secrets safe by default (issue 16, item 6): keyed variant assignment for routes whose experiments
 * must not let clients pick their variant, and a warning when exposure hashes are unkeyed in
 * production.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, inject, it, vi } from 'vitest';
import { createApp } from '../../worker/app.js';
import { assign, bucketOf, keyedBucketOf } from '../../core/experiments/assignment.js';
import { parseRouteConfig } from '../../core/experiments/routeConfig.js';
import { resetThrottledWarnings } from '../../worker/log/throttledWarn.js';
import type { ScoreResponse } from '../../core/schema/score.schema.js';
import { BASE, env, errorOf } from './helpers.js';

const served = inject('servedModel');
const config = {
  defaultRoute: 'keyed',
  routes: {
    keyed: { salt: 'k', assignment: 'keyed', variants: [{ name: 'a', model: served.name, weight: 1 }, { name: 'b', model: served.name, weight: 1 }] },
    open: { salt: 'k', variants: [{ name: 'a', model: served.name, weight: 1 }, { name: 'b', model: served.name, weight: 1 }] },
  },
};
const body = (user: string) => JSON.stringify({ user, candidates: served.vocabularySample.slice(0, 3) });

describe('keyed assignment', () => {
  const routes = parseRouteConfig(config);

  it('buckets by HMAC with ASSIGNMENT_KEY: not computable from the public salt, sticky, balanced', async () => {
    const keyed = routes.routes.get('keyed')!;
    let differs = 0;
    let a = 0;
    for (let i = 0; i < 2000; i++) {
      const id = `u${i}`;
      const x = await assign(keyed, id, 'secret-1');
      expect(x.bucket).toBe(await keyedBucketOf(id, 'k', 'secret-1'));
      expect((await assign(keyed, id, 'secret-1')).variant.name).toBe(x.variant.name);
      if (x.bucket !== (await bucketOf(id, 'k'))) differs++;
      if (x.variant.name === 'a') a++;
    }
    expect(differs).toBeGreaterThan(1990);
    expect(a).toBeGreaterThan(900);
    expect(a).toBeLessThan(1100);
  });

  it('a keyed route without the secret is a JSON 500 that names it, not a silent public assignment', async () => {
    const app = createApp({ routes: config });
    const res = await app.fetch(new Request(`${BASE}/v1/score/keyed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body('u1') }), env);
    const e = await errorOf(res);
    expect(e.status).toBe(500);
    expect(e.message).toMatch(/ASSIGNMENT_KEY/);
    const ok = await app.fetch(new Request(`${BASE}/v1/score/keyed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body('u1') }), { ...env, ASSIGNMENT_KEY: 'secret-1' });
    expect(((await ok.json()) as ScoreResponse).variant).toBe((await assign(routes.routes.get('keyed')!, 'u1', 'secret-1')).variant.name);
  });
});

describe('unkeyed exposure hashes', () => {
  it('warn once per interval when UNIT_HASH_KEY is missing and exposures go to Analytics Engine; never under the console sink', async () => {
    await new Promise((r) => setTimeout(r, 200)); // earlier tests' after-response work settles first
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const app = createApp({ routes: config });
      const send = async (vars: Record<string, string>) => {
        const ctx = createExecutionContext();
        await app.fetch(new Request(`${BASE}/v1/score/open`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body('u2') }), { ...env, ...vars }, ctx);
        await waitOnExecutionContext(ctx);
      };
      const lines = () => warn.mock.calls.map((a) => String(a[0])).filter((l) => l.includes('UNIT_HASH_KEY'));
      resetThrottledWarnings();
      await send({ EXPOSURE_LOG: 'console' });
      expect(lines()).toHaveLength(0);
      await send({ EXPOSURE_LOG: 'analytics-engine' });
      await send({ EXPOSURE_LOG: 'analytics-engine' });
      expect(lines()).toHaveLength(1);
      resetThrottledWarnings();
      await send({ EXPOSURE_LOG: 'analytics-engine', UNIT_HASH_KEY: 'k' });
      expect(lines()).toHaveLength(1);
    } finally {
      warn.mockRestore();
    }
  });
});
