/**
 * Issue 26, items 1–2: outcomes tied to their assignment by the signed token, stored once, in the
 * embedded D1 store that `npm start` uses (here miniflare's D1 from wrangler.toml's EVENTS_DB).
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { signAssignment } from '../../core/experiments/assignmentToken.js';
import type { ScoreResponse } from '../../core/schema/score.schema.js';
import { createApp } from '../../worker/app.js';
import { BASE, env, errorOf } from './helpers.js';

const routes = {
  defaultRoute: 'shop',
  routes: {
    shop: { salt: 'outcomes-test', variants: [{ name: 'din', model: 'din-movielens', weight: 1 }, { name: 'dien', model: 'dien-movielens', weight: 1 }], events: ['add_to_cart'] },
    other: { variants: [{ name: 'din', model: 'din-movielens', weight: 1 }] },
  },
};
const stored = { ...env, EXPOSURE_LOG: 'd1' };
const db = env.EVENTS_DB!;

async function send(app: ReturnType<typeof createApp>, path: string, body: unknown): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${BASE}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) }), stored, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}
const count = async (sql: string, ...args: unknown[]) => ((await db.prepare(sql).bind(...args).first<{ n: number }>())?.n ?? 0);

describe('POST /v1/outcomes/:route and the D1 store', () => {
  const app = createApp({ routes });
  let scored: ScoreResponse;
  beforeAll(async () => {
    const res = await send(app, '/v1/score/shop', { user: 'outcome-user-1', history: ['1', '2'], candidates: ['3', '4', '5'] });
    scored = (await res.json()) as ScoreResponse;
  });

  it('a scored request is an exposure row; a click with its token is an outcome row tied to the same unit and variant', async () => {
    expect(await count("SELECT count(*) AS n FROM exposures WHERE route = 'shop' AND variant = ?", scored.variant)).toBeGreaterThanOrEqual(1);
    const res = await send(app, '/v1/outcomes/shop', { token: scored.assignment.token, event: 'click', item: '4', idempotencyKey: 'click-0001' });
    expect(res.status).toBe(204);
    expect(res.headers.get('x-outcome')).toBe('recorded');
    const row = await db.prepare("SELECT o.variant, o.event, o.item, o.model_version, e.unit_hash FROM outcomes o JOIN exposures e ON e.unit_hash = o.unit_hash AND e.route = o.route WHERE o.idempotency_key LIKE '%.click' AND o.item = '4'").first<Record<string, string>>();
    expect(row).toMatchObject({ variant: scored.variant, event: 'click', item: '4', model_version: scored.model.version });
  });

  it('one outcome per token and event: a retry counts once, in this isolate (duplicate) and in another (the store ignores the key); a new key does not add a second', async () => {
    const body = { token: scored.assignment.token, event: 'conversion', value: 19.99, idempotencyKey: 'conv-0001' };
    expect((await send(app, '/v1/outcomes/shop', body)).headers.get('x-outcome')).toBe('recorded');
    expect((await send(app, '/v1/outcomes/shop', body)).headers.get('x-outcome')).toBe('duplicate');
    expect((await send(app, '/v1/outcomes/shop', { ...body, idempotencyKey: 'conv-0002' })).headers.get('x-outcome')).toBe('duplicate');
    const otherIsolate = createApp({ routes });
    expect((await send(otherIsolate, '/v1/outcomes/shop', { ...body, idempotencyKey: 'conv-0003' })).headers.get('x-outcome')).toBe('recorded');
    expect(await count("SELECT count(*) AS n FROM outcomes WHERE idempotency_key LIKE '%.conversion'")).toBe(1);
  });

  it('a route\'s own event is accepted; bad input is a 4xx naming the field and stores nothing', async () => {
    expect((await send(app, '/v1/outcomes/shop', { token: scored.assignment.token, event: 'add_to_cart', idempotencyKey: 'cart-0001' })).status).toBe(204);
    const before = await count('SELECT count(*) AS n FROM outcomes');
    const expired = (await signAssignment(env.ASSIGNMENT_TOKEN_SECRET!, { r: 'shop', v: 'din', b: 1, u: 'abcd', m: 'din-movielens', mv: 'v', o: 'ctr', exp: Math.floor(Date.now() / 1000) - 5 })).token;
    const cases: Array<[string, string, unknown, number, string]> = [
      ['no token', 'shop', { event: 'click', idempotencyKey: 'bad-00001' }, 400, 'token'],
      ['expired token', 'shop', { token: expired, event: 'click', idempotencyKey: 'bad-00002' }, 400, 'token'],
      ['token of another route', 'other', { token: scored.assignment.token, event: 'click', idempotencyKey: 'bad-00003' }, 400, 'token'],
      ['unknown event', 'shop', { token: scored.assignment.token, event: 'purchase_refund', idempotencyKey: 'bad-00004' }, 400, 'event'],
      ['value not finite', 'shop', `{"token": "${scored.assignment.token}", "event": "conversion", "value": 1e400, "idempotencyKey": "bad-00005"}`, 400, 'value'],
      ['no idempotency key', 'shop', { token: scored.assignment.token, event: 'click' }, 400, 'idempotencyKey'],
    ];
    for (const [why, route, body, status, path] of cases) {
      const e = await errorOf(await send(app, `/v1/outcomes/${route}`, body));
      expect(e.status, why).toBe(status);
      expect(e.issues.map((i) => i.path), why).toContain(path);
    }
    expect((await errorOf(await send(app, '/v1/outcomes/nope', { token: scored.assignment.token, event: 'click', idempotencyKey: 'bad-00006' }))).status).toBe(404);
    expect(await count('SELECT count(*) AS n FROM outcomes')).toBe(before);
  });
});
