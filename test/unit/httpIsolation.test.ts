/**
 * Through the real HTTP stack (`wrangler dev`, workerd): nothing one client sends may break another
 * client's request (issue 16, item 1). An over-limit body sent chunked used to get its 413 and make
 * the next valid request, from any client, a text/plain 503 "Your worker restarted mid-request"
 * (30 of 30): cancelling the body mid-stream dropped a pooled connection. The worker now reads and
 * discards the rest (worker/middleware/jsonBody.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawPost } from '../../bench/lib/rawHttp.js';
import { startWranglerDev, type WranglerDev } from '../../bench/lib/wranglerDev.js';

let dev: WranglerDev;
beforeAll(async () => {
  dev = await startWranglerDev('wrangler.toml', { EXPOSURE_LOG: 'console' });
});
afterAll(async () => {
  await dev?.stop();
});

/** POST /v1/score with a chunked body of about `bytes`; resolves to the status line. */
const chunkedPost = (origin: string, bytes: number) => rawPost(origin, bytes, 'chunked', 20_000);

const valid = () => fetch(`${dev.origin}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ candidates: ['1', '2'] }) });

describe('request isolation over HTTP (wrangler dev)', () => {
  it('an over-limit chunked body gets its 413 and the next requests are served normally', async () => {
    expect((await valid()).status).toBe(200);
    for (const bytes of [300_000, 300_000, 8_000_000]) {
      expect(await chunkedPost(dev.origin, bytes)).toMatch(/^HTTP\/1\.1 413/);
      const next = await valid();
      expect(next.status, `after a chunked ${bytes}-byte body: ${await next.clone().text()}`).toBe(200);
      expect(next.headers.get('content-type')).toMatch(/^application\/json/);
    }
  });

  it('an over-limit body with Content-Length does too', async () => {
    for (let i = 0; i < 3; i++) {
      const big = await fetch(`${dev.origin}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"candidates":["1"],"pad":"${'x'.repeat(300_000)}"}` });
      expect(big.status).toBe(413);
      expect((await valid()).status).toBe(200);
    }
  });
});
