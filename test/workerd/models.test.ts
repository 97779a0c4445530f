/** /healthz, /v1/models, and refusing a model that fails verification (503 + log line). */
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { createApp } from '../../worker/app.js';
import { BASE, call, env, errorOf } from './helpers.js';

const served = inject('servedModel');

/** The real assets binding, with responses rewritten per path. */
function assetsWith(rewrite: (path: string, body: Uint8Array) => Uint8Array | null): Fetcher {
  return {
    async fetch(input: RequestInfo | URL, init?: RequestInit) {
      const request = new Request(input, init);
      const path = new URL(request.url).pathname.slice(1);
      const res = await env.ASSETS.fetch(request);
      const body = rewrite(path, new Uint8Array(await res.arrayBuffer()));
      return body === null ? new Response('not found', { status: 404 }) : new Response(body, { status: res.status });
    },
    connect() {
      throw new Error('not used');
    },
  } as unknown as Fetcher;
}

async function scoreWith(app: ReturnType<typeof createApp>, bindings: Partial<Cloudflare.Env>): Promise<Response> {
  const request = new Request(`${BASE}/v1/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ candidates: served.vocabularySample.slice(0, 3) }),
  });
  return app.fetch(request, { ...env, ...bindings });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('GET /healthz', () => {
  it('answers without loading anything', async () => {
    const app = createApp();
    const res = await app.fetch(new Request(`${BASE}/healthz`), env);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; models: Array<{ name: string; status: string }> };
    expect(body.status).toBe('ok');
    expect(body.models).toContainEqual({ name: served.name, status: 'not_loaded' });
    expect(body.models.every((m) => m.status === 'not_loaded')).toBe(true);
  });

  it('answers HEAD', async () => {
    const res = await call('/healthz', { method: 'HEAD' });
    expect(res.status).toBe(200);
  });
});

describe('GET /v1/models', () => {
  it('shows runtime and metrics only with the admin token', async () => {
    const pub = ((await (await call('/v1/models')).json()) as { models: Array<Record<string, unknown>> }).models;
    expect(pub.every((m) => m.runtime === undefined && m.metrics === undefined)).toBe(true);
    const wrong = ((await (await call('/v1/models', { headers: { 'x-admin-token': 'nope' } })).json()) as { models: Array<Record<string, unknown>> }).models;
    expect(wrong.every((m) => m.runtime === undefined)).toBe(true);
  });

  it('summarises every model of the route config', async () => {
    const res = await call('/v1/models', { headers: { 'x-admin-token': 'test-admin-token' } });
    expect(res.status).toBe(200);
    const { models } = (await res.json()) as { models: Array<Record<string, unknown>> };
    expect(models.map((m) => m.name).sort()).toEqual(Object.keys(inject('modelFixtures')).sort());
    const mine = models.find((m) => m.name === served.name)!;
    expect(mine).toMatchObject({
      status: 'ready',
      name: served.name,
      version: served.version,
      sha256: served.sha256,
      runtime: { executionProviders: ['wasm'], wasmMemoryBytes: expect.any(Number) },
      featureContract: { maxHistory: served.maxHistory },
    });
    expect(mine.metrics).toBeTypeOf('object');
    for (const m of models) expect(m).toMatchObject({ status: 'ready', type: expect.stringMatching(/^(base|din|dien|ple|cgc|mmoe|shared-bottom|dot)$/), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const health = (await (await call('/healthz')).json()) as { models: Array<{ name: string; status: string }> };
    expect(health.models.every((m) => m.status === 'ready')).toBe(true);
  });
});

describe('model verification', () => {
  it('refuses a tampered model file with 503 and a clear log line', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const tampered = assetsWith((path, body) => {
      if (path.endsWith('.onnx')) body[body.length >> 1] ^= 0xff;
      return body;
    });
    const app = createApp();
    const res = await scoreWith(app, { ASSETS: tampered });
    const e = await errorOf(res);
    expect(e).toMatchObject({ status: 503, code: 'model_unavailable' });
    expect(res.headers.get('retry-after')).toBe('30');
    expect(e.message).not.toMatch(/sha256/); // details go to the log, not to clients
    const lines = log.mock.calls.map((args) => args.join(' '));
    expect(lines.some((l) => l.includes(`refusing model "${served.name}"`) && l.includes('sha256') && l.includes('fails verification'))).toBe(true);

    // Still refused on the next request (remembered failure), and the healthz says so.
    expect((await scoreWith(app, { ASSETS: tampered })).status).toBe(503);
    const healthRes = await app.fetch(new Request(`${BASE}/healthz`), env);
    expect(healthRes.status).toBe(503);
    const health = (await healthRes.json()) as { status: string; models: Array<{ name: string; status: string }> };
    expect(health.status).toBe('degraded');
    expect(health.models).toContainEqual(expect.objectContaining({ name: served.name, status: 'failed', reason: 'the model file fails its sha256 verification' }));
    expect(JSON.stringify(health)).not.toMatch(/sha256 [0-9a-f]{8}|model\.onnx/); // digests and paths only with the admin token
    const admin = (await (await app.fetch(new Request(`${BASE}/healthz`, { headers: { 'x-admin-token': 'test-admin-token' } }), env)).json()) as { models: Array<{ name: string; detail?: string }> };
    expect(admin.models.find((m) => m.name === served.name)?.detail).toMatch(/fails verification: sha256/);
    expect((await app.fetch(new Request(`${BASE}/v1/models`), { ...env, ASSETS: tampered })).status).toBe(503);
  });

  it('refuses a missing or malformed manifest', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const routes = { defaultRoute: 'only', routes: { only: { variants: [{ name: 'ghost', model: 'no-such-model', weight: 1 }] } } };
    const missing = await scoreWith(createApp({ routes }), {});
    expect(await errorOf(missing)).toMatchObject({ status: 503, code: 'model_unavailable' });

    const malformed = assetsWith((path, body) => (path.endsWith('manifest.json') ? new TextEncoder().encode('{"name": 1}') : body));
    expect((await scoreWith(createApp(), { ASSETS: malformed })).status).toBe(503);

    const noFile = assetsWith((path, body) => (path.endsWith('.onnx') ? null : body));
    expect((await scoreWith(createApp(), { ASSETS: noFile })).status).toBe(503);
  });

  it('retries a failed load after retryAfterMs', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    let broken = true;
    const flaky = assetsWith((path, body) => (broken && path.endsWith('.onnx') ? null : body));
    const app = createApp({ retryAfterMs: 0 });
    expect((await scoreWith(app, { ASSETS: flaky })).status).toBe(503);
    broken = false;
    expect((await scoreWith(app, { ASSETS: flaky })).status).toBe(200);
  });

  it('a misconfigured worker answers a JSON 500, not a crash', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const res = await scoreWith(createApp(), { EXPOSURE_LOG: 'carrier-pigeon' });
    expect(await errorOf(res)).toMatchObject({ status: 500, code: 'internal_error' });
  });

  it('ORT_START_GRAPHS names start graphs that exist, or the worker says it is misconfigured', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect((await scoreWith(createApp(), { ORT_START_GRAPHS: 'din, dien' })).status).toBe(200);
    const res = await scoreWith(createApp(), { ORT_START_GRAPHS: 'din,gru' });
    expect(await errorOf(res)).toMatchObject({ status: 500, code: 'internal_error' });
    expect(errors.mock.calls.flat().join(' ')).toMatch(/ORT_START_GRAPHS: comma-separated kinds among din, dien, ple/);
  });
});
