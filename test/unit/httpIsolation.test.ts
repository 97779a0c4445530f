/**
 * Through the real HTTP stack (`wrangler dev`, workerd): nothing one client sends may break another
 * client's request (issue 16, item 1). An over-limit body sent chunked used to get its 413 and make
 * the next valid request, from any client, a text/plain 503 "Your worker restarted mid-request"
 * (30 of 30): cancelling the body mid-stream dropped a pooled connection. The worker now reads and
 * discards the rest (worker/middleware/jsonBody.ts).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWranglerDev, type WranglerDev } from '../../bench/wranglerDev.js';

let dev: WranglerDev;
beforeAll(async () => {
  dev = await startWranglerDev('wrangler.toml', { EXPOSURE_LOG: 'console' });
});
afterAll(async () => {
  await dev?.stop();
});

/** POST /v1/score with a chunked body of about `bytes`; resolves to the status line. */
function chunkedPost(origin: string, bytes: number): Promise<string> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write('POST /v1/score HTTP/1.1\r\nHost: worker\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n');
      const body = Buffer.from(`{"candidates":["1"],"pad":"${'x'.repeat(bytes)}"}`);
      for (let i = 0; i < body.length; i += 65536) {
        const chunk = body.subarray(i, i + 65536);
        socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        socket.write('\r\n');
      }
      socket.write('0\r\n\r\n');
    });
    let reply = '';
    socket.on('data', (d) => {
      reply += d.toString();
      if (reply.includes('\r\n')) {
        resolve(reply.split('\r\n')[0]);
        socket.destroy();
      }
    });
    socket.on('error', reject);
    socket.setTimeout(20_000, () => reject(new Error('no reply')));
  });
}

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
