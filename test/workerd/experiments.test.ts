/**
 * A/B routes in workerd: sticky SHA-256 bucketing and its split, minimal reshuffling on weight
 * changes, the QA override, fallback to the control variant, exposure records and shadow scoring.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { createApp, type AppOptions } from '../../worker/app.js';
import { DEFAULT_ROUTES } from '../../worker/experiments/defaultRoutes.js';
import { assign, bucketOf, unitKeyOf } from '../../core/experiments/assignment.js';
import { analyticsEngineSink, hashUnitId, type ExposureRecord, type LogRecord, type ShadowRecord } from '../../worker/experiments/exposureLog.js';
import { ranks, spearman } from '../../worker/experiments/rankCorrelation.js';
import { bucketCounts, BUCKETS, parseRouteConfig, type Route } from '../../core/experiments/routeConfig.js';
import type { ScoreResponse } from '../../core/schema/score.schema.js';
import { BASE, call, env, errorOf } from './helpers.js';

const served = inject('servedModel');
const fixtures = inject('modelFixtures');
const DIN = 'din-movielens';
const DIEN = 'dien-movielens';
const TOKEN = 'test-override-token'; // vitest.workers.config.ts binds it as VARIANT_OVERRIDE_TOKEN

const body = (extra: Record<string, unknown> = {}) => ({
  history: served.vocabularySample.slice(0, 30),
  candidates: served.vocabularySample.slice(100, 140),
  ...extra,
});

/** An app with its own registry, config and captured log records; requests get a real ExecutionContext. */
function harness(routes: unknown, options: AppOptions = {}) {
  const records: LogRecord[] = [];
  const app = createApp({ routes, exposureSink: { write: (r) => void records.push(r) }, ...options });
  return {
    records,
    async post(path: string, payload: unknown, headers: Record<string, string> = {}, bindings: Partial<Cloudflare.Env> = {}) {
      const ctx = createExecutionContext();
      const res = await app.fetch(
        new Request(`${BASE}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(payload) }),
        { ...env, ...bindings },
        ctx,
      );
      await waitOnExecutionContext(ctx); // background work (exposure, shadow) done
      return res;
    },
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('route config', () => {
  it('the checked-in config is valid and names only shipped models', () => {
    for (const route of DEFAULT_ROUTES.routes.values()) {
      for (const v of route.variants) expect(Object.keys(fixtures)).toContain(v.model);
      if (route.shadow) expect(Object.keys(fixtures)).toContain(route.shadow);
    }
    expect(DEFAULT_ROUTES.routes.get('home')!.variants.map((v) => [v.model, v.weight])).toEqual([
      [DIN, 50],
      [DIEN, 50],
    ]);
  });

  it('rejects bad configs with the path of each problem', () => {
    expect(() => parseRouteConfig({ defaultRoute: 'x', routes: {} })).toThrow(/defaultRoute: "x" is not a route/);
    expect(() =>
      parseRouteConfig({ defaultRoute: 'a', routes: { a: { variants: [{ name: 'v', model: 'm', weight: 1 }, { name: 'v', model: 'n', weight: 1 }] } } }),
    ).toThrow(/routes\.a\.variants\.1\.name: duplicate variant name "v"/);
    expect(() => parseRouteConfig({ defaultRoute: 'a', routes: { a: { variants: [{ name: 'v', model: 'm', weight: 0 }] } } })).toThrow(/weights must not all be 0/);
    expect(() => parseRouteConfig({ defaultRoute: 'a', routes: { a: { variants: [{ name: 'v', model: '../x', weight: 1 }] } } })).toThrow(/model/);
  });

  it('bucket counts follow the weights exactly and always sum to 10,000', () => {
    expect(bucketCounts([50, 50])).toEqual([5000, 5000]);
    expect(bucketCounts([1, 1, 1])).toEqual([3334, 3333, 3333]);
    expect(bucketCounts([1, 0, 2])).toEqual([3333, 0, 6667]);
    expect(bucketCounts([0.1, 99.9])).toEqual([10, 9990]);
  });
});

describe('assignment', () => {
  const route = (weights: number[], salt = 'split-test'): Route =>
    parseRouteConfig({ defaultRoute: 'r', routes: { r: { salt, variants: weights.map((weight, i) => ({ name: `v${i}`, model: DIN, weight })) } } }).routes.get('r')!;

  it('is sticky: the same unit id always gets the same bucket and variant', async () => {
    const r = route([30, 70]);
    for (let i = 0; i < 200; i++) {
      const first = await assign(r, `user-${i}`);
      const again = await assign(r, `user-${i}`);
      expect(again).toEqual(first);
    }
    // Known value pins the hash (SHA-256 of "<salt>:<id>", first 8 bytes big-endian, mod 10,000).
    expect(await bucketOf('user-1', 'split-test')).toBe(await bucketOf('user-1', 'split-test'));
    expect(await bucketOf('user-1', 'split-test')).not.toBe(await bucketOf('user-1', 'other-salt'));
  });

  it.each([
    [[50, 50], 10.828], // chi-square critical values at p = 0.001: df 1, df 2
    [[20, 30, 50], 13.816],
  ])('splits 100k synthetic ids as the weights %j say (chi-square p > 0.001)', async (weights, critical) => {
    const r = route(weights);
    const N = 100_000;
    const counts = new Map<string, number>();
    const ids = Array.from({ length: N }, (_, i) => `synthetic-${i}`);
    for (let i = 0; i < N; i += 5000) {
      const batch = await Promise.all(ids.slice(i, i + 5000).map((id) => assign(r, id)));
      for (const a of batch) counts.set(a.variant.name, (counts.get(a.variant.name) ?? 0) + 1);
    }
    const total = weights.reduce((a, b) => a + b, 0);
    const chi2 = weights.reduce((sum, w, i) => {
      const expected = (N * w) / total;
      return sum + ((counts.get(`v${i}`) ?? 0) - expected) ** 2 / expected;
    }, 0);
    expect(chi2).toBeLessThan(critical);
  });

  it('moving weight between neighbours moves only that share of users; the others stay', async () => {
    const before = route([40, 30, 30]);
    const after = route([30, 40, 30]);
    let moved = 0;
    const N = 20_000;
    for (let i = 0; i < N; i++) {
      const [a, b] = await Promise.all([assign(before, `u${i}`), assign(after, `u${i}`)]);
      if (a.variant.name !== b.variant.name) {
        moved++;
        expect([a.variant.name, b.variant.name]).toEqual(['v0', 'v1']); // only v0 → v1
      }
      if (a.variant.name === 'v2' || b.variant.name === 'v2') expect(b.variant.name).toBe(a.variant.name);
    }
    expect(moved / N).toBeGreaterThan(0.08);
    expect(moved / N).toBeLessThan(0.12); // 10 % of the buckets
  });
});

describe('POST /v1/score/:route', () => {
  it('answers with the assigned variant, its headers and no-store', async () => {
    const home = DEFAULT_ROUTES.routes.get('home')!;
    for (const user of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) {
      const res = await call('/v1/score/home', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body({ user })) });
      expect(res.status).toBe(200);
      const json = (await res.json()) as ScoreResponse;
      const { variant } = await assign(home, await unitKeyOf(user));
      expect(json).toMatchObject({ route: 'home', variant: variant.name, model: { name: variant.model } });
      expect(json.unitId).toBeUndefined(); // the client sent its own id
      expect(res.headers.get('x-variant')).toBe(variant.name);
      expect(res.headers.get('x-model-version')).toBe(json.model.version);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('POST /v1/score is the default route', async () => {
    const res = await call('/v1/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body({ user: 'x' })) });
    expect(((await res.json()) as ScoreResponse).route).toBe(DEFAULT_ROUTES.defaultRoute);
  });

  it('uses x-unit-id when the body has no user, and returns a generated id otherwise', async () => {
    const post = (headers: Record<string, string>) =>
      call('/v1/score/home', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body()) });
    const fresh = await post({});
    const generated = ((await fresh.json()) as ScoreResponse).unitId!;
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect(fresh.headers.get('x-unit-id')).toBe(generated);
    const variant = fresh.headers.get('x-variant');
    for (let i = 0; i < 5; i++) {
      const again = await post({ 'x-unit-id': generated });
      expect(again.headers.get('x-variant')).toBe(variant);
      expect(again.headers.get('x-unit-id')).toBeNull();
    }
    const { variant: expected } = await assign(DEFAULT_ROUTES.routes.get('home')!, await unitKeyOf(generated));
    expect(variant).toBe(expected.name);
  });

  it('an unknown route is a JSON 404', async () => {
    const res = await call('/v1/score/nope', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body()) });
    expect(await errorOf(res)).toMatchObject({ status: 404, code: 'not_found', message: expect.stringContaining('"nope"') });
  });

  it('rejects a user id that is not a non-empty string ≤ 128 characters', async () => {
    for (const user of ['', 'x'.repeat(129), 42]) {
      const res = await call('/v1/score/home', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body({ user })) });
      const e = await errorOf(res);
      expect(e.status).toBe(400);
      expect(e.issues.map((i) => i.path)).toEqual(['user']);
    }
  });
});

describe('forced variant (QA)', () => {
  const routes = { defaultRoute: 'r', routes: { r: { variants: [{ name: 'control', model: DIN, weight: 100 }, { name: 'treatment', model: DIEN, weight: 0 }] } } };

  it('is honoured with the right token', async () => {
    const h = harness(routes);
    const res = await h.post('/v1/score/r', body({ user: 'qa' }), { 'x-variant': 'treatment', 'x-variant-token': TOKEN });
    expect(res.headers.get('x-variant')).toBe('treatment');
    expect(((await res.json()) as ScoreResponse).model.name).toBe(DIEN);
    expect(h.records[0]).toMatchObject({ kind: 'exposure', variant: 'treatment', forced: true });
  });

  it('is ignored with a wrong or missing token, or when no secret is configured', async () => {
    const h = harness(routes);
    const attempts: Array<Record<string, string>> = [{ 'x-variant': 'treatment' }, { 'x-variant': 'treatment', 'x-variant-token': 'guess' }, { 'x-variant': 'treatment', 'x-variant-token': `${TOKEN}x` }];
    for (const headers of attempts) {
      const res = await h.post('/v1/score/r', body({ user: 'qa' }), headers);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-variant')).toBe('control');
    }
    const noSecret = await h.post('/v1/score/r', body({ user: 'qa' }), { 'x-variant': 'treatment', 'x-variant-token': TOKEN }, { VARIANT_OVERRIDE_TOKEN: '' });
    expect(noSecret.headers.get('x-variant')).toBe('control');
    expect(h.records.every((r) => r.kind === 'exposure' && !r.forced)).toBe(true);
  });

  it('names the variants when a valid override asks for one that does not exist', async () => {
    const res = await harness(routes).post('/v1/score/r', body(), { 'x-variant': 'ghost', 'x-variant-token': TOKEN });
    const e = await errorOf(res);
    expect(e).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(e.issues).toEqual([{ path: 'header.x-variant', message: 'one of "control", "treatment"' }]);
  });
});

describe('fallback to the control variant', () => {
  it('serves every request from the control while a variant model is broken, and logs it', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const h = harness({ defaultRoute: 'r', routes: { r: { variants: [{ name: 'control', model: DIN, weight: 1 }, { name: 'broken', model: 'no-such-model', weight: 99 }] } } });
    for (let i = 0; i < 10; i++) {
      const res = await h.post('/v1/score/r', body({ user: `u${i}` }));
      expect(res.status).toBe(200);
      expect(res.headers.get('x-variant')).toBe('control');
    }
    const fellBack = h.records.filter((r): r is ExposureRecord => r.kind === 'exposure' && r.assignedVariant === 'broken');
    expect(fellBack.length).toBeGreaterThan(5); // 99 % assigned to the broken variant
    for (const r of fellBack) expect(r.variant).toBe('control');
    expect(warn.mock.calls.some((args) => String(args[0]).includes('variant "broken" (model "no-such-model") is unavailable; served by "control"'))).toBe(true);
  });

  it('uses another variant when the control is broken; 503 only when none loads', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const h = harness({ defaultRoute: 'r', routes: { r: { variants: [{ name: 'control', model: 'gone', weight: 1 }, { name: 'din', model: DIN, weight: 0 }] } } });
    expect((await h.post('/v1/score/r', body())).headers.get('x-variant')).toBe('din');
    const none = harness({ defaultRoute: 'r', routes: { r: { variants: [{ name: 'a', model: 'gone', weight: 1 }, { name: 'b', model: 'missing', weight: 1 }] } } });
    expect(await errorOf(await none.post('/v1/score/r', body()))).toMatchObject({ status: 503, code: 'model_unavailable' });
  });
});

describe('exposure records', () => {
  it('one per scored request, after the response, with the unit id hashed', async () => {
    const h = harness({ defaultRoute: 'r', routes: { r: { salt: 's', variants: [{ name: 'only', model: DIN, weight: 1 }] } } });
    const res = await h.post('/v1/score/r', body({ user: 'person@example.com' }));
    const json = (await res.json()) as ScoreResponse;
    expect(h.records).toHaveLength(1);
    const r = h.records[0] as ExposureRecord;
    expect(r).toMatchObject({
      kind: 'exposure',
      route: 'r',
      variant: 'only',
      assignedVariant: 'only',
      model: DIN,
      modelVersion: json.model.version,
      unitSource: 'user',
      forced: false,
      bucket: await bucketOf(await unitKeyOf('person@example.com'), 's'),
      candidates: 40,
    });
    expect(r.unitHash).toBe(await hashUnitId(await unitKeyOf('person@example.com'), undefined));
    expect(r.unitHash).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(h.records)).not.toContain('person@example.com');
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    // A bad request is not an exposure.
    await h.post('/v1/score/r', { candidates: [] });
    expect(h.records).toHaveLength(1);
  });

  it('keys the hash with UNIT_HASH_KEY when set', async () => {
    const h = harness({ defaultRoute: 'r', routes: { r: { variants: [{ name: 'only', model: DIN, weight: 1 }] } } });
    await h.post('/v1/score/r', body({ user: 'u1' }), {}, { UNIT_HASH_KEY: 'k1' });
    expect(h.records[0].unitHash).toBe(await hashUnitId(await unitKeyOf('u1'), 'k1'));
    expect(h.records[0].unitHash).not.toBe(await hashUnitId(await unitKeyOf('u1'), undefined));
  });

  it('go to Analytics Engine as one data point each (layout of docs/experiments.md)', () => {
    const points: unknown[] = [];
    const sink = analyticsEngineSink({ writeDataPoint: (p) => void points.push(p) });
    sink.write({ kind: 'exposure', route: 'home', variant: 'dien', assignedVariant: 'dien', model: DIEN, modelVersion: 'v1', unitHash: 'abcd', unitSource: 'header', forced: false, bucket: 7, candidates: 100, latencyMs: 12, objective: 'ecpm' });
    expect(points).toEqual([{ indexes: ['abcd'], blobs: ['exposure', 'home', 'dien', 'dien', DIEN, 'v1', 'header', 'false', 'ecpm', '', ''], doubles: [100, 12, 7] }]);
  });

  it('print as JSON lines with EXPOSURE_LOG=console (wrangler dev)', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const app = createApp({ routes: { defaultRoute: 'r', routes: { r: { variants: [{ name: 'only', model: DIN, weight: 1 }] } } } });
    const ctx = createExecutionContext();
    await app.fetch(
      new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body({ user: 'dev' })) }),
      { ...env, EXPOSURE_LOG: 'console' },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const lines = log.mock.calls.map((args) => String(args[0])).filter((l) => l.startsWith('[exposure] '));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0].slice('[exposure] '.length))).toMatchObject({ kind: 'exposure', route: 'r', variant: 'only' });
  });
});

describe('shadow scoring', () => {
  const plain = { defaultRoute: 'r', routes: { r: { variants: [{ name: 'din', model: DIN, weight: 1 }] } } };
  const shadowed = { defaultRoute: 'r', routes: { r: { variants: [{ name: 'din', model: DIN, weight: 1 }], shadow: DIEN } } };

  it('never changes the response, and logs the rank correlation after it', async () => {
    const a = harness(plain);
    const b = harness(shadowed);
    for (const user of ['s1', 's2', 's3']) {
      const ra = await a.post('/v1/score/r', body({ user }));
      const rb = await b.post('/v1/score/r', body({ user }));
      // Equal but for the assignment token, which is new (a random id) on every response.
      const withoutToken = async (r: Response) => ({ ...((await r.json()) as object), assignment: undefined });
      expect(await withoutToken(rb)).toEqual(await withoutToken(ra));
      expect([...rb.headers]).toEqual([...ra.headers]);
    }
    const shadows = b.records.filter((r): r is ShadowRecord => r.kind === 'shadow');
    expect(shadows).toHaveLength(3);
    for (const s of shadows) {
      expect(s).toMatchObject({ route: 'r', variant: 'din', servedModel: DIN, shadowModel: DIEN, candidates: 40 });
      expect(s.spearman).toBeGreaterThan(-1);
      expect(s.spearman).toBeLessThanOrEqual(1);
    }
    expect(a.records.some((r) => r.kind === 'shadow')).toBe(false);
  });

  it('a broken shadow model changes nothing for the client', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const h = harness({ defaultRoute: 'r', routes: { r: { variants: [{ name: 'din', model: DIN, weight: 1 }], shadow: 'no-such-model' } } });
    const res = await h.post('/v1/score/r', body({ user: 'x' }));
    expect(res.status).toBe(200);
    expect(h.records.map((r) => r.kind)).toEqual(['exposure']);
    expect(error.mock.calls.some((args) => String(args[0]).includes('failed after the response'))).toBe(true);
  });

  it('spearman: ties get average ranks; perfect and reversed orders give ±1', () => {
    expect(Array.from(ranks([10, 20, 20, 30]))).toEqual([1, 2.5, 2.5, 4]);
    expect(spearman([1, 2, 3], [10, 20, 30])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(spearman([1], [1])).toBeNull();
    expect(spearman([1, 1], [1, 2])).toBeNull();
  });
});

describe('GET /v1/routes', () => {
  it('lists routes, variants, weights and bucket ranges', async () => {
    const res = await call('/v1/routes');
    const json = (await res.json()) as { defaultRoute: string; buckets: number; routes: Array<{ name: string; variants: Array<{ name: string; share: number; buckets: { start: number; end: number } }>; shadow: string | null }> };
    expect(json.defaultRoute).toBe(DEFAULT_ROUTES.defaultRoute);
    expect(json.buckets).toBe(BUCKETS);
    const home = json.routes.find((r) => r.name === 'home')!;
    expect(home.variants.map((v) => [v.name, v.share, v.buckets])).toEqual([
      ['control', 0.5, { start: 0, end: 5000 }],
      ['dien', 0.5, { start: 5000, end: 10000 }],
    ]);
    expect(json.routes.find((r) => r.name === 'item-page')!.shadow).toBe(DIEN);
  });
});
