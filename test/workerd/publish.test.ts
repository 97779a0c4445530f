/**
 * Publishing models to browsers (issue 15, worker side): only models of routes with
 * `"browser": true` are reachable; their URLs are versioned and immutable, with ETag = sha256 and
 * 304s; CORS follows the allow-list; browser exposures are validated and logged without ids.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../worker/app.js';
import { parseRouteConfig } from '../../core/experiments/routeConfig.js';
import { BASE, call, env, errorOf } from './helpers.js';

const DIN = 'din-movielens';

async function manifestOf(name: string) {
  return (await (await env.ASSETS.fetch(`https://assets.invalid/${name}/manifest.json`)).json()) as { version: string; onnx: { sha256: string; file: string; bytes: number }; training: unknown };
}

describe('GET /v1/public/models', () => {
  it('points at the current version of a published model', async () => {
    const m = await manifestOf(DIN);
    const res = await call(`/v1/public/models/${DIN}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    expect(await res.json()).toEqual({
      name: DIN,
      version: m.version,
      type: 'din',
      sha256: m.onnx.sha256,
      bytes: m.onnx.bytes,
      manifest: `/v1/public/models/${DIN}/${m.version}/manifest.json`,
      onnx: `/v1/public/models/${DIN}/${m.version}/${m.onnx.file}`,
    });
  });

  it('serves the model immutable with ETag = sha256, and 304 on If-None-Match', async () => {
    const m = await manifestOf(DIN);
    const url = `/v1/public/models/${DIN}/${m.version}/${m.onnx.file}`;
    const res = await call(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${m.onnx.sha256}"`);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(bytes.byteLength).toBe(m.onnx.bytes);
    const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
    expect(digest).toBe(m.onnx.sha256);
    const again = await call(url, { headers: { 'if-none-match': `"${m.onnx.sha256}"` } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('serves the manifest compact, with only what a page needs to score (issue 24, item 7: no metrics), with its own ETag', async () => {
    const m = await manifestOf(DIN);
    const res = await call(`/v1/public/models/${DIN}/${m.version}/manifest.json`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain('\n');
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['featureContract', 'golden', 'inputs', 'name', 'onnx', 'outputs', 'type', 'version']);
    expect(body.metrics).toBeUndefined();
    expect(body.onnx).toEqual(m.onnx);
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect((await call(`/v1/public/models/${DIN}/${m.version}/manifest.json`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    // A weak validator of the same bytes matches too (If-None-Match uses the weak comparison, RFC 9110 §13.1.2).
    expect((await call(`/v1/public/models/${DIN}/${m.version}/manifest.json`, { headers: { 'if-none-match': `W/${etag}` } })).status).toBe(304);
  });

  it('an old version is a 404 naming the current one; other files and unpublished models are 404s', async () => {
    const m = await manifestOf(DIN);
    const old = await errorOf(await call(`/v1/public/models/${DIN}/2020-01-01.deadbeef/model.onnx`));
    expect(old).toMatchObject({ status: 404, code: 'not_found' });
    expect(old.message).toContain(`the current version is "${m.version}"`);
    expect((await errorOf(await call(`/v1/public/models/${DIN}/${m.version}/secrets.txt`))).status).toBe(404);
    // din-movielens-features serves route "browse", which is not published
    const unpublished = await errorOf(await call('/v1/public/models/din-movielens-features'));
    expect(unpublished).toMatchObject({ status: 404 });
    expect(unpublished.message).toMatch(/not published to browsers/);
    expect((await call('/din-movielens/manifest.json')).status).toBe(404); // the assets themselves stay private
    expect((await call(`/v1/public/models/${DIN}`, { method: 'POST' })).status).toBe(405);
  });

  it('CORS: the allow-list applies to model files too', async () => {
    const ok = await call(`/v1/public/models/${DIN}`, { headers: { Origin: 'http://localhost:5173' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const evil = await call(`/v1/public/models/${DIN}`, { headers: { Origin: 'https://evil.example' } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('route config: browser routes', () => {
  it('GET /v1/routes says which routes are published, with each variant\'s objective', async () => {
    const body = (await (await call('/v1/routes')).json()) as { routes: Array<{ name: string; browser: boolean; assignment: string; variants: Array<{ rankBy: string }> }> };
    const home = body.routes.find((r) => r.name === 'home')!;
    expect(home).toMatchObject({ browser: true, assignment: 'public' });
    expect(home.variants.every((v) => v.rankBy === 'ctr')).toBe(true);
    expect(body.routes.find((r) => r.name === 'browse')!.browser).toBe(false);
  });

  it('a keyed route cannot be published to browsers (its key is secret)', () => {
    expect(() => parseRouteConfig({ defaultRoute: 'r', routes: { r: { assignment: 'keyed', browser: true, variants: [{ name: 'a', model: DIN, weight: 1 }] } } })).toThrow(/keyed route cannot run in browsers/);
  });
});
