/**
 * Feature columns, tfjs ↔ onnxruntime-node: Base, DIN and DIEN trained with every group and kind
 * (user sparse + dense, candidate multi + dense + sparse, context column + derived hour/weekday),
 * exported, and compared on random requests: profile and context present, missing, unknown;
 * unknown items with and without attribute hints; histories of length 0, 1, H and > H.
 * tfjs gets the training code path's tiled batch; the graph gets the compact serving feeds.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BehaviourRef, FeatureContract, RequestFeatureInputs } from '../../contract/featureContract.js';
import { modelManifestSchema, servingInputNames } from '../../contract/manifest.js';
import type { Behaviour, BehaviourLog } from '../../model-export/data/behaviourLog.js';
import { modelFeaturesOf } from '../../model-export/features/featureColumns.js';
import { createModel, defaultConfig } from '../../model-export/models/index.js';
import type { BatchTensors, CtrModel } from '../../model-export/models/model.js';
import { exportModel } from '../../model-export/onnx/exportModel.js';
import type { FeatureDeclaration } from '../../model-export/sources/datasetConfig.js';
import { selectBackend } from '../../model-export/train/backend.js';
import { fit } from '../../model-export/train/fit.js';
import { prepareData } from '../../model-export/train/pipeline.js';
import { checkOnnx, ONNX_PYTHON } from './onnxChecker.js';
import { attentionWithOrtNode, scoreWithOrtNode } from './ortNode.js';
import { nodeSessionOptions } from '../../model-export/onnx/nodeSessionOptions.js';

const DEVICES = ['mobile', 'desktop', 'tv'];
const GENRES = ['drama', 'comedy', 'action', 'noir', 'doc'];

/** 150 users with SEGMENT/AGE, 200 items with GENRES (multi), PRICE (dense), BRAND; events with DEVICE. */
function featureLog(): BehaviourLog {
  const rng = seedrandom('feature-log');
  const itemCategory = new Map<string, string>();
  const itemAttributes = new Map<string, Record<string, string>>();
  for (let i = 0; i < 200; i++) {
    const id = String(500 + i);
    itemCategory.set(id, `cat${i % 9}`);
    const genres = GENRES.filter(() => rng() < 0.35).join('|');
    itemAttributes.set(id, { GENRES: genres, PRICE: i % 13 === 0 ? '' : (5 + rng() * 95).toFixed(2), BRAND: `b${i % 7}` });
  }
  const userAttributes = new Map<string, Record<string, string>>();
  const timelines = new Map<string, Behaviour[]>();
  const contexts = DEVICES.map((d) => Object.freeze({ DEVICE: d }));
  for (let u = 1; u <= 150; u++) {
    userAttributes.set(String(u), { SEGMENT: u % 11 === 0 ? '' : `s${u % 3}`, AGE: String(18 + Math.floor(rng() * 50)) });
    const n = 3 + Math.floor(rng() * 70);
    let time = 1_700_000_000 + Math.floor(rng() * 86_400 * 30);
    const tl: Behaviour[] = [];
    for (let t = 0; t < n; t++) {
      time += Math.floor(rng() * 20_000);
      tl.push({ item: String(500 + Math.floor(rng() * 200)), time, context: contexts[Math.floor(rng() * 3)] });
    }
    timelines.set(String(u), tl);
  }
  return { timelines, itemCategory, source: 'feature-synthetic', itemAttributes, userAttributes };
}

const DECLARATIONS: FeatureDeclaration[] = [
  { group: 'user', column: 'SEGMENT' },
  { group: 'user', column: 'AGE' },
  { group: 'candidate', column: 'GENRES' },
  { group: 'candidate', column: 'PRICE' },
  { group: 'candidate', column: 'BRAND', embeddingDim: 4 },
  { group: 'context', column: 'DEVICE' },
  { group: 'context', derive: 'hour' },
  { group: 'context', derive: 'weekday' },
];

interface FeatureRequest {
  history: BehaviourRef[];
  candidates: BehaviourRef[];
  features: RequestFeatureInputs;
}

function randomRequests(contract: FeatureContract, n: number, seed: number): FeatureRequest[] {
  const rng = seedrandom(`feature-requests:${seed}`);
  const H = contract.maxHistory;
  const pick = (): BehaviourRef => {
    const r = rng();
    if (r < 0.05) return { item: `unknown-${Math.floor(rng() * 1e6)}` };
    if (r < 0.1) return { item: `unknown-${Math.floor(rng() * 1e6)}`, category: 'cat3', attributes: { genres: ['noir', 'nope'], price: 42.5, brand: 'b2' } };
    if (r < 0.12) return { item: 999_999, attributes: { genres: 'doc' } };
    return { item: contract.spec.items[Math.floor(rng() * contract.spec.items.length)], attributes: { price: 1e6 } }; // known: hints ignored
  };
  return Array.from({ length: n }, (_, i) => {
    const length = i < 16 ? [0, 1, H, H + 5][i % 4] : Math.floor(rng() * (H + 10));
    const profile = i % 5 === 0 ? undefined : { segment: i % 7 === 0 ? 's9' : `s${i % 3}`, ...(i % 3 === 0 ? {} : { age: 20 + (i % 40) }), extra: 'ignored' };
    const context = i % 6 === 0 ? undefined : { device: DEVICES[i % 4] ?? 'fridge', ...(i % 4 === 0 ? { hour: String(i % 24) } : {}) };
    return {
      history: Array.from({ length }, pick),
      candidates: Array.from({ length: [1, 3, 17, 60][i % 4] }, pick),
      features: { profile, context, time: 1_765_000_000 + i * 3_777, timeZone: i % 2 ? 'Asia/Kolkata' : 'UTC', route: 'home' },
    };
  });
}

/** The training path's batch for one request: history tiled per candidate, request features per row. */
function tiledBatch(contract: FeatureContract, r: FeatureRequest): BatchTensors {
  const C = r.candidates.length;
  const H = contract.maxHistory;
  const h = contract.encodeHistory(r.history, 'full');
  const c = contract.encodeCandidates(r.candidates);
  const rf = contract.encodeRequestFeatures(r.features);
  const tile = <A extends Int32Array | Float32Array>(a: A): A => {
    const out = new (a.constructor as { new (n: number): A })(C * a.length);
    for (let i = 0; i < C; i++) out.set(a, i * a.length);
    return out;
  };
  const features: Record<string, tf.Tensor> = {};
  for (const f of h.features) features[f.input] = tf.tensor(tile(f.data), [C, ...f.dims], f.dtype);
  for (const f of c.features) features[f.input] = tf.tensor(f.data, f.dims, f.dtype);
  for (const f of rf.features) features[f.input] = tf.tensor(tile(f.data), [C, ...f.dims.slice(1)], f.dtype);
  return {
    historyItems: tf.tensor2d(tile(h.items), [C, H], 'int32'),
    historyCategories: tf.tensor2d(tile(h.categories), [C, H], 'int32'),
    candidateItems: tf.tensor1d(c.items, 'int32'),
    candidateCategories: tf.tensor1d(c.categories, 'int32'),
    features,
  };
}

beforeAll(async () => {
  await selectBackend('wasm', () => {});
});

describe.each(['din', 'base', 'dien'] as const)('%s with feature columns', (type) => {
  let model: CtrModel;
  let contract: FeatureContract;
  let dir: string;
  let session: ort.InferenceSession;

  beforeAll(async () => {
    const log = featureLog();
    const data = prepareData(log, {
      protocol: 'next',
      seed: 1,
      maxHistory: 30,
      minItemCount: 2,
      negativeSequences: type === 'dien',
      split: (user) => (Number(user) % 5 === 0 ? 'test' : 'train'),
      features: { declarations: DECLARATIONS, timeZone: 'UTC' },
    });
    contract = data.contract;
    model = createModel({ ...defaultConfig(type, contract.itemCount, contract.categoryCount), features: modelFeaturesOf(contract.featureSpecs) }, 3);
    await fit(model, data.train.limit(40 * 64), data.test, { epochs: 1, batchSize: 64, learningRate: 3e-3, seed: 1 });
    dir = mkdtempSync(join(tmpdir(), `feature-parity-${type}-`));
    await exportModel(model, contract, { dir, name: `${type}-features`, metrics: {}, training: {} });
    session = await ort.InferenceSession.create(join(dir, 'model.onnx'), nodeSessionOptions());
  });

  it('infers kinds and builds vocabularies from the training split', () => {
    const kinds = Object.fromEntries(contract.featureSpecs.map((f) => [f.name, f.kind]));
    expect(kinds).toEqual({ segment: 'sparse', age: 'dense', genres: 'multi', price: 'dense', brand: 'sparse', device: 'sparse', hour: 'sparse', weekday: 'sparse' });
    const genres = contract.featureSpecs.find((f) => f.name === 'genres')!;
    expect(genres.kind === 'multi' && genres.maxValues).toBe(5);
    expect(genres.kind === 'multi' && [...genres.vocabulary].sort()).toEqual([...GENRES].sort());
    const weekday = contract.featureSpecs.find((f) => f.name === 'weekday')!;
    expect(weekday.kind === 'sparse' && weekday.vocabulary.length).toBe(7);
  });

  it('declares every feature input in the manifest, in contract order', () => {
    const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
    expect(manifest.featureContract.formatVersion).toBe(2);
    expect(manifest.inputs.map((i) => i.name)).toEqual(servingInputNames(contract.featureSpecs));
    expect(session.inputNames.slice().sort()).toEqual(servingInputNames(contract.featureSpecs).slice().sort());
    expect(manifest.inputs.find((i) => i.name === 'hist_genres')).toEqual({ name: 'hist_genres', dtype: 'int32', shape: ['T', 5] });
    expect(manifest.inputs.find((i) => i.name === 'user_age')).toEqual({ name: 'user_age', dtype: 'float32', shape: [1] });
  });

  it('matches tfjs to 1e-5 on 160 requests with profile, context and attribute hints', async () => {
    let maxDiff = 0;
    for (const r of randomRequests(contract, 160, type.length)) {
      const batch = tiledBatch(contract, r);
      const p = tf.tidy(() => tf.sigmoid(model.logits(batch, false)));
      const a = (await p.data()) as Float32Array;
      tf.dispose([p, batch.historyItems, batch.historyCategories, batch.candidateItems, batch.candidateCategories, ...Object.values(batch.features ?? {})]);
      const b = await scoreWithOrtNode(session, contract.encodeHistory(r.history), contract.encodeCandidates(r.candidates), contract.encodeRequestFeatures(r.features));
      expect(b.length).toBe(r.candidates.length);
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    }
    console.log(`${type} + features: max |tfjs − onnxruntime-node| = ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
  });

  it('scores change with the profile and the context (the features are wired in)', async () => {
    const r = randomRequests(contract, 8, 99)[7];
    const h = contract.encodeHistory(r.history);
    const c = contract.encodeCandidates(r.candidates);
    const score = (profile: object, context: object) => scoreWithOrtNode(session, h, c, contract.encodeRequestFeatures({ ...r.features, profile: profile as Record<string, unknown>, context: context as Record<string, unknown> }));
    const base = await score({ segment: 's0', age: 30 }, { device: 'mobile' });
    const otherAge = await score({ segment: 's0', age: 65 }, { device: 'mobile' });
    const otherDevice = await score({ segment: 's0', age: 30 }, { device: 'desktop' });
    const diff = (x: Float32Array, y: Float32Array) => Math.max(...x.map((v, i) => Math.abs(v - y[i])));
    expect(diff(base, otherAge)).toBeGreaterThan(1e-6);
    expect(diff(base, otherDevice)).toBeGreaterThan(1e-6);
  });

  it.runIf(type !== 'base')('exports attention weights equal to tfjs (explanations)', async () => {
    let maxDiff = 0;
    for (const r of randomRequests(contract, 24, 5)) {
      const batch = tiledBatch(contract, r);
      const w = model.attentionWeights!(batch);
      const a = (await w.data()) as Float32Array;
      tf.dispose([w, batch.historyItems, batch.historyCategories, batch.candidateItems, batch.candidateCategories, ...Object.values(batch.features ?? {})]);
      const h = contract.encodeHistory(r.history);
      const b = await attentionWithOrtNode(session, h, contract.encodeCandidates(r.candidates), contract.encodeRequestFeatures(r.features));
      const H = contract.maxHistory;
      const T = h.items.length;
      for (let c = 0; c < r.candidates.length; c++) for (let t = 0; t < H; t++) maxDiff = Math.max(maxDiff, Math.abs(a[c * H + t] - (t < T ? b[c * T + t] : 0)));
    }
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
  });

  it.skipIf(!ONNX_PYTHON)('passes onnx.checker (python3-onnx)', () => {
    expect(checkOnnx(join(dir, 'model.onnx'))).toBe('ok 8 17');
  });
});
