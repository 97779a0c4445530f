/**
 * Models that load but misbehave (issue 16, item 2), with real corrupted exports: the shipped DIN
 * with one weight set to NaN and its manifest re-signed, served through an ASSETS binding that
 * hands out the altered files.
 * - a NaN output bias: refused at load by the golden requests → the route falls back to its control;
 * - an output bias shifted by a finite amount (scores stay probabilities): refused by the golden
 *   requests all the same;
 * - one item's embedding row NaN (not an item the probe uses): loads, then the first request with
 *   that item gives NaN → the model is marked failed, the request and the next ones fall back.
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { FIRST_INDEX } from '../../contract/featureContract.js';
import { createApp } from '../../worker/app.js';
import type { ScoreResponse } from '../../core/schema/score.schema.js';
import { BASE, env, errorOf } from './helpers.js';

const DIN = 'din-movielens';
const CONTROL = 'dien-movielens';

async function asset(path: string): Promise<Uint8Array> {
  return new Uint8Array(await (await env.ASSETS.fetch(`https://assets.invalid/${path}`)).arrayBuffer());
}

/** The DIN export with `initializer[name]` rows set to `value` (NaN by default; row = one value of a [rows, 1] tensor), manifest re-signed. */
async function corrupted(initializer: string, rows: number[] | 'all', value: (old: number) => number = () => Number.NaN) {
  const manifest = JSON.parse(new TextDecoder().decode(await asset(`${DIN}/manifest.json`)));
  const model = fromBinary(ModelProtoSchema, await asset(`${DIN}/${manifest.onnx.file}`));
  const tensor = model.graph!.initializer.find((t) => t.name === initializer);
  if (!tensor) throw new Error(`no initializer ${initializer}`);
  const values = new Float32Array(tensor.rawData.slice().buffer);
  for (const i of rows === 'all' ? values.keys() : rows) values[i] = value(values[i]);
  tensor.rawData = new Uint8Array(values.buffer);
  const bytes = toBinary(ModelProtoSchema, model);
  const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
  const signed = { ...manifest, onnx: { ...manifest.onnx, sha256: digest, bytes: bytes.length } };
  const files = new Map<string, Uint8Array>([
    [`/${DIN}/manifest.json`, new TextEncoder().encode(JSON.stringify(signed))],
    [`/${DIN}/${manifest.onnx.file}`, bytes],
  ]);
  const assets = { fetch: async (input: RequestInfo | URL) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const file = files.get(url.pathname);
    return file ? new Response(file) : env.ASSETS.fetch(input as Request);
  } } as unknown as Fetcher;
  return { assets, items: manifest.featureContract.items as string[] };
}

function app() {
  return createApp({ routes: { defaultRoute: 'r', routes: { r: { variants: [{ name: 'control', model: CONTROL, weight: 0 }, { name: 'din', model: DIN, weight: 1 }] } } } });
}

describe('models that load but misbehave', () => {
  it('a finite but wrong weight is refused at load: the golden requests catch what a probability check cannot', async () => {
    const { assets, items } = await corrupted('mlp.out.bias', 'all', (old) => old + 0.05);
    const a = app();
    const logged: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args.join(' '));
    try {
      const res = await a.fetch(new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ history: items.slice(10, 20), candidates: items.slice(0, 5), user: 'u1' }) }), { ...env, ASSETS: assets });
      expect(res.status).toBe(200);
      const body = (await res.json()) as ScoreResponse;
      expect(body.model.name).toBe(CONTROL);
      expect(body.scores.every((s) => s.score >= 0 && s.score <= 1)).toBe(true);
    } finally {
      console.error = original;
    }
    expect(logged.join('\n')).toMatch(/refusing model "din-movielens": .*golden request 0: output "score" candidate 0 is .*expected .*onnxruntime-node/);
  });

  it('the untouched export passes its golden requests and serves', async () => {
    const { assets, items } = await corrupted('mlp.out.bias', [], (old) => old);
    const res = await app().fetch(new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ history: items.slice(10, 20), candidates: items.slice(0, 5), user: 'u1' }) }), { ...env, ASSETS: assets });
    expect(((await res.json()) as ScoreResponse).model.name).toBe(DIN);
  });

  it('a NaN bias is refused at load (golden requests): the route falls back to the control, /v1/models says why', async () => {
    const { assets, items } = await corrupted('mlp.out.bias', 'all');
    const a = app();
    const res = await a.fetch(new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ history: items.slice(10, 20), candidates: items.slice(0, 5), user: 'u1' }) }), { ...env, ASSETS: assets });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ScoreResponse;
    expect(body.variant).toBe('control');
    expect(body.model.name).toBe(CONTROL);
    const models = (await (await a.fetch(new Request(`${BASE}/v1/models`), { ...env, ASSETS: assets })).json()) as { models: Array<{ name: string; status: string; error?: string }> };
    expect(models.models.find((m) => m.name === DIN)).toMatchObject({ status: 'unavailable' });
  });

  it('a NaN at request time with golden requests that still reproduce: that request gets its own 422, the model keeps serving everyone else', async () => {
    const poisoned = 50; // vocabulary position: not among the probe's or the golden requests' items
    const { assets, items } = await corrupted('emb.item.rowScale', [poisoned + FIRST_INDEX]);
    const a = app();
    const post = (candidates: string[]) =>
      a.fetch(new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ history: items.slice(10, 20), candidates, user: 'u1' }) }), { ...env, ASSETS: assets });
    const healthy = (await (await post(items.slice(0, 5))).json()) as ScoreResponse;
    expect(healthy.model.name).toBe(DIN); // loaded: the golden requests did not touch the bad row
    const hit = await post([items[poisoned], items[1]]);
    const e = await errorOf(hit);
    expect(e).toMatchObject({ status: 422, code: 'unscorable_request' });
    expect(e.message).toMatch(/golden requests still reproduce/);
    const after = (await (await post(items.slice(0, 5))).json()) as ScoreResponse;
    expect(after.model.name).toBe(DIN); // not failed: the next request is served by the same model
    expect(after.scores).toEqual(healthy.scores);
    const health = (await (await a.fetch(new Request(`${BASE}/healthz`), { ...env, ASSETS: assets })).json()) as { status: string };
    expect(health.status).toBe('ok');
  });

  it('a model refused at load makes /healthz answer 503 "degraded", naming the model and why', async () => {
    const { assets, items } = await corrupted('mlp.out.bias', 'all');
    const a = app();
    const original = console.error;
    console.error = () => undefined;
    try {
      await a.fetch(new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ history: items.slice(10, 20), candidates: items.slice(0, 5), user: 'u1' }) }), { ...env, ASSETS: assets });
    } finally {
      console.error = original;
    }
    const res = await a.fetch(new Request(`${BASE}/healthz`), { ...env, ASSETS: assets });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; models: Array<{ name: string; status: string; reason?: string; retryInSeconds?: number }> };
    expect(body.status).toBe('degraded');
    expect(body.models.find((m) => m.name === DIN)).toMatchObject({ status: 'failed', reason: 'its golden requests do not reproduce', retryInSeconds: expect.any(Number) });
    expect(body.models.find((m) => m.name === CONTROL)?.status).toBe('ready');
  });
});
