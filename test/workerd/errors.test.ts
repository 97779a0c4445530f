/** Every error case: status, JSON shape, and the path of the offending field. */
import { describe, expect, inject, it } from 'vitest';
import { createApp } from '../../worker/app.js';
import { BASE, call, env, errorOf, postScore, scoreOk } from './helpers.js';

const served = inject('servedModel');
const ids = (n: number) => Array.from({ length: n }, (_, i) => served.vocabularySample[i % served.vocabularySample.length]);
const paths = (issues: Array<{ path: string }>) => issues.map((i) => i.path);

describe('error responses', () => {
  it('400 invalid_json for a body that is not JSON', async () => {
    const e = await errorOf(await postScore('{"candidates": ['));
    expect(e).toMatchObject({ status: 400, code: 'invalid_json' });
  });

  it('400 invalid_json for an empty body and for invalid UTF-8', async () => {
    expect(await errorOf(await postScore(''))).toMatchObject({ status: 400, code: 'invalid_json' });
    const res = await call('/v1/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body: new Uint8Array([0x22, 0xc3, 0x28, 0x22]) });
    expect(await errorOf(res)).toMatchObject({ status: 400, code: 'invalid_json' });
  });

  it.each([
    ['a top-level array', [], ['']],
    ['no candidates', { history: [] }, ['candidates']],
    ['empty candidates', { candidates: [] }, ['candidates']],
    ['1001 candidates', { candidates: ids(1001) }, ['candidates']],
    ['1001 history entries', { history: ids(1001), candidates: ids(1) }, ['history']],
    ['a boolean candidate', { candidates: ['1', true] }, ['candidates.1']],
    ['a fractional id', { candidates: [1.5] }, ['candidates.0']],
    ['an unsafe integer id', { candidates: [2 ** 60] }, ['candidates.0']],
    ['an empty string id', { candidates: [''] }, ['candidates.0']],
    ['an over-long id', { candidates: ['x'.repeat(129)] }, ['candidates.0']],
    ['a numeric category', { history: [{ item: '1', category: 5 }], candidates: ['1'] }, ['history.0.category']],
    ['an object without item', { candidates: ['1', '2', '3', { category: 'Drama' }] }, ['candidates.3.item']],
    ['an unknown key in an entry', { candidates: [{ item: '1', rating: 5 }] }, ['candidates.0']],
    ['an unknown top-level key', { candidates: ['1'], topk: 3 }, ['']],
    ['topK 0', { candidates: ['1'], topK: 0 }, ['topK']],
    ['topK 2.5', { candidates: ['1'], topK: 2.5 }, ['topK']],
    ['topK as a string', { candidates: ['1'], topK: '3' }, ['topK']],
    ['history not a list', { history: '1,2', candidates: ['1'] }, ['history']],
  ])('400 invalid_request for %s', async (_, body, expectedPaths) => {
    const e = await errorOf(await postScore(body));
    expect(e).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(paths(e.issues)).toEqual(expectedPaths);
    for (const issue of e.issues) expect(issue.message.length).toBeGreaterThan(0);
  });

  it('reports every problem at once', async () => {
    const e = await errorOf(await postScore({ history: [null], candidates: [{ item: 1.5 }, 'ok', false], topK: -1 }));
    expect(paths(e.issues)).toEqual(['history.0', 'candidates.0.item', 'candidates.2', 'topK']);
  });

  it('accepts exactly the limits: 1000 history entries and 1000 candidates (over the CPU budget: the route\'s cascade answers)', async () => {
    const res = (await scoreOk({ history: ids(1000), candidates: ids(1000), topK: 1000 })) as Awaited<ReturnType<typeof scoreOk>> & { cascade?: { kept: number; candidates: number } };
    expect(res.cascade).toMatchObject({ candidates: 1000 });
    expect(res.scores).toHaveLength(res.cascade!.kept);
  });

  it('413 payload_too_large above 256 KiB (declared length)', async () => {
    const body = JSON.stringify({ candidates: ['1'], pad: 'x'.repeat(256 * 1024) });
    const e = await errorOf(await postScore(body));
    expect(e).toMatchObject({ status: 413, code: 'payload_too_large' });
  });

  it('413 payload_too_large above 256 KiB (streamed, no length)', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    // Straight into the app (no loopback socket), so cancelling the stream cancels only the source.
    const request = new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream });
    const res = await createApp().fetch(request, env);
    expect(await errorOf(res)).toMatchObject({ status: 413, code: 'payload_too_large' });
  });

  it('415 unsupported_media_type for a wrong or missing content type', async () => {
    const body = new TextEncoder().encode('{"candidates":["1"]}'); // bytes: no default content type
    for (const headers of [{ 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }, {}] as Array<Record<string, string>>) {
      const res = await call('/v1/score', { method: 'POST', headers, body });
      expect(await errorOf(res)).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    }
  });

  it('accepts application/json with parameters', async () => {
    const res = await postScore({ candidates: ids(2) }, { 'content-type': 'Application/JSON; charset=utf-8' });
    expect(res.status).toBe(200);
  });

  it('404 not_found as JSON', async () => {
    expect(await errorOf(await call('/v2/score'))).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('405 method_not_allowed with Allow', async () => {
    const get = await call('/v1/score');
    expect(get.headers.get('allow')).toBe('POST, OPTIONS');
    expect(await errorOf(get)).toMatchObject({ status: 405, code: 'method_not_allowed' });
    const del = await call('/healthz', { method: 'DELETE' });
    expect(await errorOf(del)).toMatchObject({ status: 405, code: 'method_not_allowed' });
    const put = await call('/v1/models', { method: 'PUT' });
    expect(await errorOf(put)).toMatchObject({ status: 405, code: 'method_not_allowed' });
  });

  it('the model files are not served publicly', async () => {
    for (const path of [`/${served.name}/model.onnx`, `/${served.name}/manifest.json`]) {
      expect(await errorOf(await call(path))).toMatchObject({ status: 404, code: 'not_found' });
    }
  });

  it('error bodies stay small whatever the request echoes: clipped values, at most 20 issues, the rest counted', async () => {
    const longType = `application/x-${'a'.repeat(8 * 1024)}`;
    const r415 = await call('/v1/score', { method: 'POST', headers: { 'content-type': longType }, body: '{}' });
    expect(r415.status).toBe(415);
    expect((await r415.text()).length).toBeLessThan(1024);

    const longKey = 'k'.repeat(250_000);
    const r400 = await postScore(`{"candidates":["1"],"${longKey}":1}`);
    expect(r400.status).toBe(400);
    expect((await r400.clone().text()).length).toBeLessThan(2048);

    const many = await errorOf(await postScore({ candidates: Array.from({ length: 1000 }, () => true) }));
    expect(many.issues).toHaveLength(20);
    expect((many as unknown as { issuesOmitted: number }).issuesOmitted).toBe(980);
  });

  it('security headers on every response; errors are never cached', async () => {
    const ok = await postScore({ candidates: ids(2) });
    const bad = await postScore('nope');
    const missing = await call('/nowhere');
    for (const res of [ok, bad, missing]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('408 request_timeout for a body that stalls, and the isolate serves the next request', async () => {
    const app = createApp();
    let cancelled = false;
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"candidates": ["1"'));
      },
      cancel() {
        cancelled = true;
      },
    });
    const started = Date.now();
    const res = await app.fetch(
      new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stalled, duplex: 'half' } as RequestInit),
      { ...env, BODY_READ_TIMEOUT_MS: '300' },
    );
    const e = await errorOf(res);
    expect(e).toMatchObject({ status: 408, code: 'request_timeout' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(cancelled).toBe(true);
    expect((await scoreOk({ candidates: ids(3) })).scores).toHaveLength(3);
  });
});
