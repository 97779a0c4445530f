/**
 * Issue 28, item 3: a model whose item rows live outside the graph, served by the real worker in
 * workerd with the real onnxruntime-web: the rows come from shard assets per request, scores equal
 * onnxruntime-node's through the same store (≤ 1e-5), unknown ids follow the OOV rule, and a shard
 * that cannot be read or is damaged makes the route fall back to its next variant (200, never a
 * 500), while the model keeps serving requests whose shards are sound.
 */
import { describe, expect, inject, it } from 'vitest';
import { shardFileName, shardOf } from '../../contract/itemRows.js';
import { modelManifestSchema } from '../../contract/manifest.js';
import { createApp } from '../../worker/app.js';
import type { ScoreResponse } from '../../core/schema/score.schema.js';
import { BASE, env, errorOf } from './helpers.js';

const fixture = inject('rowsModel');
const control = inject('servedModel');
const decode = (b64: string) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
const manifest = modelManifestSchema.parse(JSON.parse(new TextDecoder().decode(decode(fixture.files[`${fixture.name}/manifest.json`]))));

/** Assets: the fixture's files, with some shards made unreadable or damaged per test. */
function assetsWith() {
  const reads: string[] = [];
  const faults: { missing?: Set<string>; damaged?: Set<string> } = {};
  const assets = {
    fetch: async (input: RequestInfo | URL) => {
      const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
      const path = url.pathname.slice(1);
      const file = fixture.files[path];
      if (file === undefined) return env.ASSETS.fetch(input as Request);
      const name = path.split('/').pop()!;
      if (path.includes('/rows/')) reads.push(name);
      if (faults.missing?.has(name)) return new Response('not found', { status: 404 });
      const bytes = decode(file);
      if (faults.damaged?.has(name)) bytes[bytes.length - 1] ^= 0x5a;
      return new Response(bytes);
    },
  } as unknown as Fetcher;
  return { bindings: { ...env, ASSETS: assets }, reads, faults };
}

const routes = {
  defaultRoute: 'shop',
  routes: {
    shop: { variants: [{ name: 'rows', model: fixture.name, weight: 1 }, { name: 'control', model: control.name, weight: 0 }] },
    alone: { variants: [{ name: 'rows', model: fixture.name, weight: 1 }] },
  },
};

async function post(app: ReturnType<typeof createApp>, bindings: object, body: unknown, route = 'shop'): Promise<Response> {
  return app.fetch(new Request(`${BASE}/v1/score/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'u-1', ...(body as object) }) }), bindings);
}

describe('a model with item rows outside the graph', () => {
  it('has several shards and no item vocabulary in its manifest', () => {
    expect(manifest.itemRows!.shards).toBeGreaterThan(1);
    expect(manifest.featureContract.items).toHaveLength(0);
    expect(fixture.shardFiles).toHaveLength(manifest.itemRows!.shards + 1); // + hot.bin
  });

  it('scores in workerd what onnxruntime-node scores through the same store (≤ 1e-5), with the OOV rule', async () => {
    const app = createApp({ routes });
    const { bindings, reads } = assetsWith();
    for (const c of fixture.cases) {
      const res = await post(app, bindings, c.body);
      expect(res.status, await res.clone().text()).toBe(200);
      const got = (await res.json()) as ScoreResponse;
      expect(got.variant).toBe('rows');
      expect(got.unknown).toEqual(c.unknown);
      const byId = new Map(got.scores.map((s) => [s.item, s.score]));
      c.body.candidates.forEach((ref, i) => {
        const id = typeof ref === 'object' ? (ref as { item: string }).item : String(ref);
        expect(Math.abs(byId.get(id)! - c.expected[i])).toBeLessThanOrEqual(1e-5);
      });
    }
    expect(reads.length).toBeGreaterThan(0);
    // The same request again is served from the isolate's row cache: no shard is read.
    const before = reads.length;
    expect((await post(app, bindings, fixture.cases[0].body)).status).toBe(200);
    expect(reads.length).toBe(before);
  });

  it('falls back to the next variant when a shard cannot be read or is damaged, and keeps serving sound requests', async () => {
    const shards = manifest.itemRows!.shards;
    const golden = new Set(manifest.golden!.requests.flatMap((r) => [...r.history, ...r.candidates]));
    const target = fixture.items.find((id, i) => i > 1000 && !golden.has(id))!;
    const file = shardFileName(shardOf(target, shards));
    const sound = fixture.items.filter((id) => shardFileName(shardOf(id, shards)) !== file).slice(0, 5);
    for (const fault of ['missing', 'damaged'] as const) {
      const app = createApp({ routes });
      const { bindings, faults } = assetsWith();
      // Loaded and serving (golden requests replayed) before the shard goes bad.
      const first = await post(app, bindings, { history: sound.slice(0, 2), candidates: sound.slice(2) });
      expect(((await first.json()) as ScoreResponse).variant).toBe('rows');
      faults[fault] = new Set([file]);
      const hit = await post(app, bindings, { history: [target], candidates: [sound[0], target] });
      expect(hit.status, await hit.clone().text()).toBe(200);
      expect(((await hit.json()) as ScoreResponse).variant).toBe('control');
      const alone = await post(app, bindings, { history: [target], candidates: [target] }, 'alone');
      expect(alone.status).toBe(503);
      expect((await errorOf(alone)).code).toBe('model_unavailable');
      // The model was not taken down: a request whose rows are readable is still its own.
      const ok = await post(app, bindings, { history: sound.slice(1, 3), candidates: sound.slice(0, 4) }, 'alone');
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as ScoreResponse).variant).toBe('rows');
    }
  });

  it('hostile ids (unknown, long, numeric extremes, too widely spread) change nothing for the next valid request', async () => {
    const app = createApp({ routes });
    const { bindings } = assetsWith();
    const body = fixture.cases[0].body;
    const scoresOf = async (b: unknown, route = 'alone') => {
      const res = await post(app, bindings, b, route);
      expect(res.status, await res.clone().text()).toBe(200);
      return ((await res.json()) as ScoreResponse).scores;
    };
    const before = await scoresOf(body);
    const hostile = [
      { history: Array.from({ length: 50 }, (_, i) => `x${i}`.padEnd(128, 'z')), candidates: Array.from({ length: 100 }, (_, i) => `never-${i}`) },
      { history: [Number.MAX_SAFE_INTEGER, 0, -0], candidates: [-Number.MAX_SAFE_INTEGER, 1e15, 'sku-1'] },
      { history: [], candidates: fixture.items.slice(0, 300) },
    ];
    for (const h of hostile) {
      const res = await post(app, bindings, h, 'alone');
      expect([200, 400, 422]).toContain(res.status);
      expect(await scoresOf(body)).toEqual(before);
    }
  });

  it('refuses an id longer than the documented maximum with a 400 naming the field', async () => {
    const app = createApp({ routes });
    const { bindings } = assetsWith();
    const res = await post(app, bindings, { history: [], candidates: ['x'.repeat(129)] });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await errorOf(res))).toContain('candidates.0');
  });
});
