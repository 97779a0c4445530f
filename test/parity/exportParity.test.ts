/**
 * tfjs ↔ onnxruntime-node parity of the exported serving graphs.
 * tfjs scores each candidate with the history tiled ([C, H], full padding, training code path in
 * inference mode); the ONNX graph gets the compact history once. ≥ 512 random requests with
 * history lengths 0, 1, H and > H, candidate counts 1 … 500, unknown ids with and without
 * category hints. Max |Δ| must stay ≤ 1e-5.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BehaviourRef, FeatureContract } from '../../contract/featureContract.js';
import type { BatchTensors, CtrModel } from '../../model-export/models/model.js';
import { exportModel } from '../../model-export/onnx/exportModel.js';
import { selectBackend } from '../../model-export/train/backend.js';
import { checkOnnx, ONNX_PYTHON } from './onnxChecker.js';
import { attentionWithOrtNode, scoreWithOrtNode } from './ortNode.js';
import { trainedFixture } from './trainedFixture.js';
import { nodeSessionOptions } from '../../model-export/onnx/nodeSessionOptions.js';

const REQUESTS = 512;
const CANDIDATE_COUNTS = [1, 2, 7, 50, 100, 500];

function randomRequests(contract: FeatureContract, seed: number) {
  const rng = seedrandom(`requests:${seed}`);
  const H = contract.maxHistory;
  const lengths = [0, 1, H, H + 13];
  const pick = (): BehaviourRef => {
    const r = rng();
    if (r < 0.05) return { item: `unknown-${Math.floor(rng() * 1e6)}` }; // OOV, no hint
    if (r < 0.1) return { item: 999_000 + Math.floor(rng() * 1000), category: contract.spec.categories[Math.floor(rng() * contract.spec.categories.length)] }; // OOV with hint
    return { item: contract.spec.items[Math.floor(rng() * contract.spec.items.length)] };
  };
  return Array.from({ length: REQUESTS }, (_, i) => {
    const historyLength = i < 64 ? lengths[i % 4] : Math.floor(rng() * (H + 20));
    const candidates = CANDIDATE_COUNTS[i % CANDIDATE_COUNTS.length];
    return { history: Array.from({ length: historyLength }, pick), candidates: Array.from({ length: candidates }, pick) };
  });
}

/** The training code path's batch for one request: the full-padded history tiled per candidate. */
function tiledBatch(contract: FeatureContract, history: BehaviourRef[], candidates: BehaviourRef[]): BatchTensors {
  const h = contract.encodeHistory(history, 'full');
  const c = contract.encodeCandidates(candidates);
  const C = candidates.length;
  const H = contract.maxHistory;
  const tile = (a: Int32Array) => {
    const out = new Int32Array(C * H);
    for (let i = 0; i < C; i++) out.set(a, i * H);
    return out;
  };
  return {
    historyItems: tf.tensor2d(tile(h.items), [C, H], 'int32'),
    historyCategories: tf.tensor2d(tile(h.categories), [C, H], 'int32'),
    candidateItems: tf.tensor1d(c.items, 'int32'),
    candidateCategories: tf.tensor1d(c.categories, 'int32'),
  };
}

async function tfjsScores(model: CtrModel, contract: FeatureContract, history: BehaviourRef[], candidates: BehaviourRef[]): Promise<Float32Array> {
  const batch = tiledBatch(contract, history, candidates);
  const p = tf.tidy(() => tf.sigmoid(model.logits(batch, false)));
  const out = (await p.data()) as Float32Array;
  tf.dispose([p, ...Object.values(batch)]);
  return out;
}

async function onnxScores(session: ort.InferenceSession, contract: FeatureContract, history: BehaviourRef[], candidates: BehaviourRef[]): Promise<Float32Array> {
  return scoreWithOrtNode(session, contract.encodeHistory(history, 'compact'), contract.encodeCandidates(candidates));
}

beforeAll(async () => {
  await selectBackend('wasm', () => {});
});

describe.each(['din', 'base', 'dien', 'lr'] as const)('%s export', (type) => {
  let model: CtrModel;
  let contract: FeatureContract;
  let dir: string;
  let session: ort.InferenceSession;

  beforeAll(async () => {
    ({ model, contract } = await trainedFixture(type));
    dir = mkdtempSync(join(tmpdir(), `parity-${type}-`));
    await exportModel(model, contract, { dir, name: `${type}-parity`, metrics: {}, training: {} });
    session = await ort.InferenceSession.create(join(dir, 'model.onnx'), nodeSessionOptions());
  });

  it(`matches tfjs to 1e-5 on ${REQUESTS} random requests`, async () => {
    let maxDiff = 0;
    let scored = 0;
    for (const req of randomRequests(contract, type.length)) {
      const a = await tfjsScores(model, contract, req.history, req.candidates);
      const b = await onnxScores(session, contract, req.history, req.candidates);
      expect(b.length).toBe(req.candidates.length);
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
      scored += a.length;
    }
    console.log(`${type}: ${REQUESTS} requests, ${scored} scores, max |tfjs − onnxruntime-node| = ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
  });

  it.runIf(type === 'din' || type === 'dien')('exports attention weights equal to tfjs attentionWeights (explanations)', async () => {
    expect(model.attentionWeights).toBeDefined();
    let maxDiff = 0;
    for (const req of randomRequests(contract, 11).slice(0, 96)) {
      const batch = tiledBatch(contract, req.history, req.candidates);
      const expected = model.attentionWeights!(batch); // [C, H], full padding
      const a = (await expected.data()) as Float32Array;
      tf.dispose([expected, ...Object.values(batch)]);
      const h = contract.encodeHistory(req.history, 'compact');
      const b = await attentionWithOrtNode(session, h, contract.encodeCandidates(req.candidates)); // [C, T]
      const C = req.candidates.length;
      const H = contract.maxHistory;
      const T = h.items.length;
      expect(b.length).toBe(C * T);
      for (let c = 0; c < C; c++) {
        for (let t = 0; t < H; t++) {
          const onnx = t < T ? b[c * T + t] : 0; // positions past the compact history are padding
          maxDiff = Math.max(maxDiff, Math.abs(a[c * H + t] - onnx));
        }
      }
    }
    console.log(`${type}: max |tfjs − onnxruntime-node| attention = ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
  });

  it.skipIf(!ONNX_PYTHON)('passes onnx.checker (python3-onnx)', () => {
    expect(checkOnnx(join(dir, 'model.onnx'))).toBe('ok 8 17');
  });

  it.runIf(type === 'dien')('unrolled AUGRU (benchmark form) scores like the served Scan form', async () => {
    const { buildDienGraph } = await import('../../model-export/onnx/exportDien.js');
    const { DienModel } = await import('../../model-export/models/dien/dien.js');
    const H = contract.maxHistory;
    const unrolled = buildDienGraph(model as InstanceType<typeof DienModel>, await model.params.snapshot(), { augru: { unrolledSteps: H } });
    const other = await ort.InferenceSession.create(unrolled.toBytes(), nodeSessionOptions());
    for (const req of randomRequests(contract, 9).slice(0, 32)) {
      const h = contract.encodeHistory(req.history, 'full'); // the unrolled graph needs exactly H steps
      const c = contract.encodeCandidates(req.candidates);
      const a = await scoreWithOrtNode(session, h, c);
      const b = await scoreWithOrtNode(other, h, c);
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-6);
    }
  });

  it('writes a manifest whose sha256 matches the file', async () => {
    const { createHash } = await import('node:crypto');
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const bytes = readFileSync(join(dir, 'model.onnx'));
    expect(manifest.onnx.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(manifest.type).toBe(type);
    expect(manifest.outputs.map((o: { name: string }) => o.name)).toEqual(type === 'base' || type === 'lr' ? ['score'] : ['score', 'attention']);
    expect(manifest.featureContract.maxHistory).toBe(50);
  });
});
