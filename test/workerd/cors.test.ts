/** CORS from the CORS_ORIGINS var: preflight, actual requests, errors, `*` only when configured. */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../worker/app.js';
import { BASE, call, env } from './helpers.js';

// wrangler.toml allows the local front-end dev origins.
const ALLOWED = env.CORS_ORIGINS!.split(',')[0].trim();

const preflight = (origin: string) =>
  new Request(`${BASE}/v1/score`, {
    method: 'OPTIONS',
    headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
  });

describe('CORS', () => {
  it('answers a preflight from an allowed origin', async () => {
    const res = await call('/v1/score', {
      method: 'OPTIONS',
      headers: { Origin: ALLOWED, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('gives no allow-origin to other origins', async () => {
    const res = await call('/v1/score', { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const post = await call('/v1/score', { method: 'POST', headers: { Origin: 'https://evil.example', 'content-type': 'application/json' }, body: '{}' });
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets allowed browsers read successes and errors', async () => {
    const ok = await call('/healthz', { headers: { Origin: ALLOWED } });
    expect(ok.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    const bad = await call('/v1/score', { method: 'POST', headers: { Origin: ALLOWED, 'content-type': 'application/json' }, body: '{' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    const wrongType = await call('/v1/score', { method: 'POST', headers: { Origin: ALLOWED }, body: '{}' });
    expect(wrongType.status).toBe(415);
    expect(wrongType.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it('allows any origin only when configured with *', async () => {
    const res = await createApp().fetch(preflight('https://anywhere.example'), { ...env, CORS_ORIGINS: '*' });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('sends no CORS headers at all when no origins are configured', async () => {
    const app = createApp();
    const noCors = { ...env, CORS_ORIGINS: '' };
    const responses = [
      await app.fetch(preflight(ALLOWED), noCors),
      await app.fetch(new Request(`${BASE}/healthz`, { headers: { Origin: ALLOWED } }), noCors),
      await app.fetch(new Request(`${BASE}/nowhere`, { method: 'OPTIONS', headers: { Origin: ALLOWED } }), noCors),
    ];
    for (const res of responses) expect([...res.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
    expect(responses[0].status).not.toBe(204); // no preflight answer
    expect(responses[2].status).toBe(404);
  });
});
