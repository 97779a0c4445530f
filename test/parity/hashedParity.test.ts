/**
 * Hashed item ids (contract format 3) through the quotient-remainder embedding:
 * - the QR lookup in tfjs (layers/qrEmbedding.ts) equals the ONNX graph's (onnx/qrEmbedding.ts) on
 *   random indices, including index 0, m − 1, m and the last virtual row;
 * - hashed DIN, Base and DIEN exports score in onnxruntime-node like tfjs (≤ 1e-5, the repo's parity
 *   tolerance), with a format-3 manifest carrying no vocabulary and golden requests that pin the path;
 * - the mini-batch aware L2 targets skip the QR tables; lr refuses hashed ids.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BehaviourRef, FeatureContract } from '../../contract/featureContract.js';
import { qrRows } from '../../contract/hashedItems.js';
import { modelManifestSchema, type ModelType } from '../../contract/manifest.js';
import { qrLookup, QR_TABLES } from '../../model-export/layers/qrEmbedding.js';
import { createModel, defaultConfig } from '../../model-export/models/index.js';
import type { CtrModel } from '../../model-export/models/model.js';
import { GraphBuilder } from '../../model-export/onnx/graphBuilder.js';
import { exportModel } from '../../model-export/onnx/exportModel.js';
import { nodeSessionOptions } from '../../model-export/onnx/nodeSessionOptions.js';
import { qrItemTable, qrLookup as onnxQrLookup } from '../../model-export/onnx/qrEmbedding.js';
import { selectBackend } from '../../model-export/train/backend.js';
import { fit } from '../../model-export/train/fit.js';
import { mbaTargets } from '../../model-export/train/mbaTargets.js';
import { prepareData } from '../../model-export/train/pipeline.js';
import { checkOnnx, ONNX_PYTHON } from './onnxChecker.js';
import { scoreWithOrtNode } from './ortNode.js';
import { syntheticLog } from './trainedFixture.js';

/** 200 rows: m = 100, N = 9 998 virtual rows for the synthetic log's 300 items. */
const ROWS = 200;

beforeAll(async () => {
  await selectBackend('wasm', () => {});
});

async function hashedFixture(type: ModelType, steps = 20): Promise<{ model: CtrModel; contract: FeatureContract; data: ReturnType<typeof prepareData> }> {
  const data = prepareData(syntheticLog(), { protocol: 'next', seed: 1, maxHistory: 50, minItemCount: 2, hashedItems: ROWS, negativeSequences: type === 'dien' });
  const model = createModel({ ...defaultConfig(type, data.contract.itemCount, data.contract.categoryCount), itemIds: data.contract.hashedItems }, 3);
  await fit(model, data.train.limit(steps * 64), data.test, { epochs: 1, batchSize: 64, learningRate: 3e-3, seed: 1 });
  return { model, contract: data.contract, data };
}

describe('quotient-remainder lookup', () => {
  it('tfjs equals the ONNX graph on random indices', async () => {
    const rng = seedrandom('qr');
    const spec = { buckets: 9998, remainder: 100 };
    const { quotient: Qn, remainder: m } = qrRows(spec);
    const D = 8;
    const random = (n: number) => Float32Array.from({ length: n }, () => rng() * 2 - 1);
    const w = new Map([
      [QR_TABLES.quotient, { shape: [Qn, D], data: random(Qn * D) }],
      [QR_TABLES.remainder, { shape: [m, D], data: random(m * D) }],
    ]);
    const V = spec.buckets + 2;
    const ids = Int32Array.from([0, 1, 2, m - 1, m, m + 1, V - 1, ...Array.from({ length: 500 }, () => Math.floor(rng() * V))]);
    const g = new GraphBuilder('qr');
    const input = g.input('ids', 'int32', ['N']);
    g.output(onnxQrLookup(g, qrItemTable(g, w)!, input, 'item_emb'), 'emb', 'float32', ['N', D]);
    const session = await ort.InferenceSession.create(g.toBytes(), nodeSessionOptions());
    const onnx = (await session.run({ ids: new ort.Tensor('int32', ids, [ids.length]) })).emb.data as Float32Array;
    const Q = tf.tensor2d(w.get(QR_TABLES.quotient)!.data, [Qn, D]);
    const R = tf.tensor2d(w.get(QR_TABLES.remainder)!.data, [m, D]);
    const expected = qrLookup(Q, R, tf.tensor1d(ids, 'int32'));
    const a = (await expected.data()) as Float32Array;
    // And both equal the definition Q[⌊i/m⌋] ⊙ R[i mod m].
    const byHand = new Float32Array(ids.length * D);
    ids.forEach((i, n) => {
      for (let d = 0; d < D; d++) byHand[n * D + d] = Math.fround(w.get(QR_TABLES.quotient)!.data[Math.floor(i / m) * D + d] * w.get(QR_TABLES.remainder)!.data[(i % m) * D + d]);
    });
    expect(Array.from(a)).toEqual(Array.from(onnx));
    expect(Array.from(a)).toEqual(Array.from(byHand));
    tf.dispose([Q, R, expected]);
    await session.release();
  });
});

function randomRequests(contract: FeatureContract, seed: number, count: number) {
  const rng = seedrandom(`hashed-requests:${seed}`);
  const H = contract.maxHistory;
  const cats = contract.spec.categories;
  const pick = (): BehaviourRef => {
    const r = rng();
    if (r < 0.1) return { item: `never-seen-${Math.floor(rng() * 1e6)}` }; // no hint: OOV category
    return { item: String(1000 + Math.floor(rng() * 300)), category: cats[Math.floor(rng() * cats.length)] };
  };
  return Array.from({ length: count }, (_, i) => ({
    history: Array.from({ length: i < 4 ? [0, 1, H, H + 5][i] : Math.floor(rng() * (H + 10)) }, pick),
    candidates: Array.from({ length: [1, 7, 50][i % 3] }, pick),
  }));
}

async function tfjsScores(model: CtrModel, contract: FeatureContract, history: BehaviourRef[], candidates: BehaviourRef[]): Promise<Float32Array> {
  const h = contract.encodeHistory(history, 'full');
  const c = contract.encodeCandidates(candidates);
  const C = candidates.length;
  const H = contract.maxHistory;
  const tile = (a: Int32Array) => {
    const out = new Int32Array(C * H);
    for (let i = 0; i < C; i++) out.set(a, i * H);
    return out;
  };
  const batch = {
    historyItems: tf.tensor2d(tile(h.items), [C, H], 'int32'),
    historyCategories: tf.tensor2d(tile(h.categories), [C, H], 'int32'),
    candidateItems: tf.tensor1d(c.items, 'int32'),
    candidateCategories: tf.tensor1d(c.categories, 'int32'),
  };
  const p = tf.tidy(() => tf.sigmoid(model.logits(batch, false)));
  const out = (await p.data()) as Float32Array;
  tf.dispose([p, ...Object.values(batch)]);
  return out;
}

describe.each(['din', 'base', 'dien'] as const)('hashed %s export', (type) => {
  let model: CtrModel;
  let contract: FeatureContract;
  let dir: string;
  let session: ort.InferenceSession;

  beforeAll(async () => {
    ({ model, contract } = await hashedFixture(type));
    dir = mkdtempSync(join(tmpdir(), `hashed-${type}-`));
    await exportModel(model, contract, { dir, name: `${type}-hashed`, metrics: {}, training: {} });
    session = await ort.InferenceSession.create(join(dir, 'model.onnx'), nodeSessionOptions());
  });

  it('has QR tables instead of emb.item, sized from the row budget', () => {
    const names = model.params.names();
    expect(names).not.toContain('emb.item');
    expect(model.params.get(QR_TABLES.quotient).shape).toEqual([100, 16]);
    expect(model.params.get(QR_TABLES.remainder).shape).toEqual([100, 16]);
  });

  it('writes a format-3 manifest without a vocabulary, whose golden requests reproduce', async () => {
    const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
    expect(manifest.featureContract.formatVersion).toBe(3);
    expect(manifest.featureContract.items).toEqual([]);
    expect(manifest.featureContract.itemIds).toEqual({ kind: 'hashed', scheme: 'quotient-remainder', buckets: 9998, remainder: 100 });
    const golden = manifest.golden!;
    expect(golden.requests.length).toBe(3);
    // The golden scores depend on the hashed path: tfjs, encoding the same raw ids, agrees.
    for (const r of golden.requests) {
      const scores = await tfjsScores(model, contract, r.history.map((item) => ({ item })), r.candidates.map((item) => ({ item })));
      Array.from(scores).forEach((s, c) => expect(Math.abs(s - r.expected.score![c])).toBeLessThanOrEqual(1e-5));
    }
  });

  it.skipIf(!ONNX_PYTHON)('passes onnx.checker (python3-onnx)', () => {
    expect(checkOnnx(join(dir, 'model.onnx'))).toBe('ok 8 17');
  });

  it('matches tfjs to 1e-5 on random requests', async () => {
    let maxDiff = 0;
    for (const req of randomRequests(contract, type.length, 96)) {
      const a = await tfjsScores(model, contract, req.history, req.candidates);
      const b = await scoreWithOrtNode(session, contract.encodeHistory(req.history, 'compact'), contract.encodeCandidates(req.candidates));
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    }
    console.log(`hashed ${type}: max |tfjs − onnxruntime-node| = ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
  });
});

describe('hashed ids elsewhere', () => {
  it('int8 export stores the QR tables int8 per row and stays close to float32', async () => {
    const { model, contract } = await hashedFixture('din', 5);
    const { servingBytes } = await import('../../model-export/onnx/exportModel.js');
    const float32 = await ort.InferenceSession.create((await servingBytes(model)).bytes, nodeSessionOptions());
    const { bytes, graph } = await servingBytes(model, 'int8');
    expect(graph.toGraph().initializer.map((t) => t.name)).toEqual(expect.arrayContaining([`${QR_TABLES.quotient}.q`, `${QR_TABLES.remainder}.rowScale`]));
    const int8 = await ort.InferenceSession.create(bytes, nodeSessionOptions());
    let maxDiff = 0;
    for (const req of randomRequests(contract, 5, 24)) {
      const h = contract.encodeHistory(req.history, 'compact');
      const c = contract.encodeCandidates(req.candidates);
      const a = await scoreWithOrtNode(float32, h, c);
      const b = await scoreWithOrtNode(int8, h, c);
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    }
    expect(maxDiff).toBeLessThan(0.02);
  });

  it('mini-batch aware L2 keeps the category table and skips the QR tables', async () => {
    const { model, data } = await hashedFixture('din', 1);
    expect(mbaTargets(model, data.train).map((t) => t.param)).toEqual(['emb.category']);
  });

  it('lr refuses hashed ids', () => {
    expect(() => createModel({ ...defaultConfig('lr', 100, 10), itemIds: { kind: 'hashed', scheme: 'quotient-remainder', buckets: 98, remainder: 10 } }, 1)).toThrow(/lr has no embeddings/);
  });
});
