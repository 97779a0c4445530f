/**
 * Item rows outside the graph (contract/itemRows.ts): an export with `itemRows: 'store'` scores,
 * through the row store and the worker's encoder, exactly what the same model with its int8
 * item rows inside the graph scores (≤ 1e-5), over random requests with unknown ids, empty and
 * truncated histories; its golden requests reproduce; a damaged or foreign shard is refused.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BehaviourRef, FeatureContract } from '../../contract/featureContract.js';
import { contractOf, modelManifestSchema, SERVING_OUTPUTS, type ModelManifest } from '../../contract/manifest.js';
import { encodeForModel } from '../../core/encode/rowFeeds.js';
import { ApiError } from '../../core/errors.js';
import { ItemRowStore, RowStoreError } from '../../core/rows/itemRowStore.js';
import { replayGolden } from '../../core/models/goldenReplay.js';
import type { ServingFeeds } from '../../core/runtime/scoringSession.js';
import { MODEL_KINDS } from '../../model-export/models/kinds.js';
import type { CtrModel } from '../../model-export/models/model.js';
import { exportModel } from '../../model-export/onnx/exportModel.js';
import { int8PerRow } from '../../model-export/onnx/int8Weights.js';
import { nodeSessionOptions } from '../../model-export/onnx/nodeSessionOptions.js';
import { selectBackend } from '../../model-export/train/backend.js';
import { trainedFixture } from './trainedFixture.js';
import { servingFeedTensors } from './ortNode.js';


/** A ScoringSession over onnxruntime-node, for replayGolden. */
function nodeScoring(session: ort.InferenceSession) {
  return {
    executionProviders: ['cpu'],
    hasAttention: false,
    tasks: [] as const,
    memoryBytes: () => undefined,
    score: async (feeds: ServingFeeds) => ({ scores: (await session.run(servingFeedTensors(feeds), [SERVING_OUTPUTS.scores]))[SERVING_OUTPUTS.scores].data as Float32Array }),
  };
}

function randomRequests(contract: FeatureContract, n: number) {
  const rng = seedrandom('rows');
  const H = contract.maxHistory;
  const pick = (): BehaviourRef => {
    const r = rng();
    if (r < 0.08) return { item: `unknown-${Math.floor(rng() * 1e6)}` };
    if (r < 0.15) return { item: 999_000 + Math.floor(rng() * 1000), category: contract.spec.categories[Math.floor(rng() * contract.spec.categories.length)] };
    return { item: contract.spec.items[Math.floor(rng() * contract.spec.items.length)] };
  };
  return Array.from({ length: n }, (_, i) => ({
    history: Array.from({ length: [0, 1, H, H + 9][i % 4] ?? 0 }, pick),
    candidates: Array.from({ length: 1 + (i % 7) * 13 }, pick),
  }));
}

const readerOf = (dir: string) => async (file: string) => readFileSync(join(dir, 'rows', file));

beforeAll(async () => {
  await selectBackend('wasm', () => {});
});

describe.each(['din', 'base', 'dien'] as const)('%s with item rows outside the graph', (type) => {
  let model: CtrModel;
  let contract: FeatureContract;
  let dir: string;
  let manifest: ModelManifest;
  let store: ort.InferenceSession;
  let reference: ort.InferenceSession;

  beforeAll(async () => {
    ({ model, contract } = await trainedFixture(type));
    dir = mkdtempSync(join(tmpdir(), `rows-${type}-`));
    // A hot set just big enough for the golden requests: most ids of the random requests go through the hashed shards.
    manifest = modelManifestSchema.parse(await exportModel(model, contract, { dir, name: `${type}-rows`, metrics: {}, training: {}, itemRows: 'store', rowStore: { hotItems: 2 * contract.maxHistory + 16 } }));
    store = await ort.InferenceSession.create(join(dir, 'model.onnx'), nodeSessionOptions());
    // The reference: the same weights with the item table int8-rounded as the shards store it, inside the graph.
    const w = await model.params.snapshot();
    const t = w.get('emb.item')!;
    const q = int8PerRow(t.data, t.shape[0], t.shape[1]);
    const D = t.shape[1];
    // Padding and OOV rows (0, 1) stay float: the manifest carries them unrounded.
    w.set('emb.item', { shape: t.shape, data: Float32Array.from(q.values, (v, i) => (i < 2 * D ? t.data[i] : Math.fround(v * q.scales[Math.floor(i / D)]))) });
    reference = await ort.InferenceSession.create(MODEL_KINDS[type].buildGraph(model, w, {}).toBytes('reference'), nodeSessionOptions());
  }, 120_000);

  it('writes a manifest without an item vocabulary, and shards that hold every item', async () => {
    expect(manifest.featureContract.items).toEqual([]);
    expect(manifest.itemRows?.items).toBe(contract.spec.items.length);
    expect(manifest.inputs.map((i) => i.name)).toEqual(expect.arrayContaining(['hist_item_emb', 'cand_item_emb']));
    expect(readdirSync(join(dir, 'rows'))).toHaveLength(manifest.itemRows!.shards + 1); // + hot.bin
    const rows = new ItemRowStore(manifest.itemRows!, readerOf(dir));
    const found = await rows.resolve(contract.spec.items);
    expect([...found.values()].filter((r) => r === null)).toHaveLength(0);
    const missing = await rows.resolve(['never-seen', '0', '']);
    expect([...missing.values()]).toEqual([null, null, null]);
  });

  it('scores what the in-graph model with the same int8 rows scores (≤ 1e-5)', async () => {
    const served = { contract: contractOf(manifest), rows: new ItemRowStore(manifest.itemRows!, readerOf(dir)) };
    let max = 0;
    for (const request of randomRequests(contract, 96)) {
      const viaStore = (await store.run(servingFeedTensors((await encodeForModel(served, request)).feeds), [SERVING_OUTPUTS.scores]))[SERVING_OUTPUTS.scores].data as Float32Array;
      const inGraph = (await reference.run(servingFeedTensors((await encodeForModel({ contract }, request)).feeds), [SERVING_OUTPUTS.scores]))[SERVING_OUTPUTS.scores].data as Float32Array;
      expect(viaStore.length).toBe(request.candidates.length);
      viaStore.forEach((v, i) => (max = Math.max(max, Math.abs(v - inGraph[i]))));
    }
    expect(max).toBeLessThanOrEqual(1e-5);
  });

  it('replays its golden requests through the row store, reading the hot shard and at most one more', async () => {
    const rows = new ItemRowStore(manifest.itemRows!, readerOf(dir));
    expect(await replayGolden(manifest.golden!, contractOf(manifest), nodeScoring(store), undefined, rows)).toBeUndefined();
    expect(rows.stats.shardReads).toBeGreaterThan(0);
    expect(rows.stats.shardReads).toBeLessThanOrEqual(2); // hot.bin + the unknown candidate's shard
    expect(rows.stats.hotHits).toBeGreaterThan(0);
  });

  it('refuses a damaged or foreign shard with a RowStoreError, and caches nothing from it', async () => {
    const id = contract.spec.items[3];
    const damaged = async (file: string) => {
      const bytes = new Uint8Array(readFileSync(join(dir, 'rows', file)));
      bytes[bytes.length - 1] ^= 0xff;
      return bytes;
    };
    const rows = new ItemRowStore(manifest.itemRows!, damaged, { model: 'm' });
    await expect(rows.resolve([id])).rejects.toThrow(/checksum/);
    await expect(rows.resolve([id])).rejects.toBeInstanceOf(RowStoreError);
    const foreign = new ItemRowStore({ ...manifest.itemRows!, storeId: '00000000' }, readerOf(dir));
    await expect(foreign.resolve([id])).rejects.toThrow(/belongs to store/);
    const unreachable = new ItemRowStore(manifest.itemRows!, () => Promise.reject(new Error('network down')), { model: 'm' });
    const err = await unreachable.resolve([id]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RowStoreError);
    expect((err as RowStoreError).model).toBe('m');
  });
});

describe('reads per request', () => {
  it('refuses a request spread over more shards than the bound with a 422 naming candidates, whatever is cached', async () => {
    const { model, contract } = await trainedFixture('din', 2);
    const dir = mkdtempSync(join(tmpdir(), 'rows-bound-'));
    const m = await exportModel(model, contract, { dir, name: 'bound', metrics: {}, training: {}, itemRows: 'store', rowStore: { hotItems: 0, shards: 16 } });
    const served = { contract: contractOf(modelManifestSchema.parse(m)), rows: new ItemRowStore(m.itemRows!, readerOf(dir), { maxShardsPerRequest: 3 }) };
    const wide = { history: [], candidates: contract.spec.items.slice(0, 40) };
    for (let i = 0; i < 2; i++) {
      const err = await encodeForModel(served, wide).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe('unscorable_request');
      expect((err as ApiError).issues[0].path).toBe('candidates');
    }
    expect(served.rows.stats.shardReads).toBe(1); // the (empty) hot shard only: nothing was read for the refused request
    await expect(encodeForModel(served, { history: [], candidates: contract.spec.items.slice(0, 1) })).resolves.toBeDefined();
  }, 120_000);
});

describe('row cache', () => {
  it('stays within its bound and counts hits', async () => {
    const { model, contract } = await trainedFixture('din', 2);
    const dir = mkdtempSync(join(tmpdir(), 'rows-cache-'));
    const m = await exportModel(model, contract, { dir, name: 'cache', metrics: {}, training: {}, itemRows: 'store', rowStore: { hotItems: 0 } });
    const rows = new ItemRowStore(m.itemRows!, readerOf(dir), { cacheBytes: 1 });
    await rows.resolve(contract.spec.items);
    expect(rows.stats.cachedEntries).toBeLessThanOrEqual(256);
    await rows.resolve(contract.spec.items.slice(-10));
    expect(rows.stats.hits).toBe(10);
    writeFileSync(join(dir, 'unused'), '');
  }, 120_000);
});
