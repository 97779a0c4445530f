/**
 * Multi-task kinds, tfjs ↔ onnxruntime-node: PLE, CGC, MMoE and shared-bottom over DIN (and PLE
 * over DIEN), trained a few ESMM steps on a synthetic log with conversions, exported, compared on
 * random requests for every task output (ctr, cvr, ctcvr = ctr·cvr), `score` = ctr, attention for
 * explanations. The head's layout is also checked against the PLE paper's wiring.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BehaviourRef, FeatureContract } from '../../contract/featureContract.js';
import { modelManifestSchema, TASK_OUTPUTS } from '../../contract/manifest.js';
import { layoutOf, type MultiTaskSpec } from '../../model-export/layers/multiTask.js';
import { createModel, defaultConfig } from '../../model-export/models/index.js';
import type { CtrModel } from '../../model-export/models/model.js';
import { exportModel } from '../../model-export/onnx/exportModel.js';
import { selectBackend } from '../../model-export/train/backend.js';
import { fit } from '../../model-export/train/fit.js';
import { prepareData } from '../../model-export/train/pipeline.js';
import { checkOnnx, ONNX_PYTHON } from './onnxChecker.js';
import { syntheticLog } from './trainedFixture.js';
import { nodeSessionOptions } from '../../model-export/onnx/nodeSessionOptions.js';

function logWithConversions() {
  const log = syntheticLog(11);
  for (const timeline of log.timelines.values()) for (const b of timeline) b.converted = (b.value ?? 0) >= 4;
  return log;
}

function requests(contract: FeatureContract, n: number) {
  const rng = seedrandom('mt-requests');
  const H = contract.maxHistory;
  const pick = (): BehaviourRef => (rng() < 0.08 ? { item: `new-${Math.floor(rng() * 1e5)}` } : { item: contract.spec.items[Math.floor(rng() * contract.spec.items.length)] });
  return Array.from({ length: n }, (_, i) => ({
    history: Array.from({ length: i < 4 ? [0, 1, H, H + 3][i] : Math.floor(rng() * H) }, pick),
    candidates: Array.from({ length: [1, 5, 40][i % 3] }, pick),
  }));
}

beforeAll(async () => {
  await selectBackend('wasm', () => {});
});

describe('multi-task layout (PLE paper)', () => {
  const spec = (kind: MultiTaskSpec['kind'], levels = 2): MultiTaskSpec => ({ name: 'mt', kind, inputs: 8, tasks: 2, levels, taskExperts: 2, sharedExperts: 1, expertUnits: 4, towerHidden: [3] });

  it('PLE: task gates mix own + shared experts; a shared gate over all experts at every level but the last', () => {
    const levels = layoutOf(spec('ple', 3));
    expect(levels).toHaveLength(3);
    expect(levels[0].taskGates[0]).toEqual(['l0.t0.e0', 'l0.t0.e1', 'l0.s.e0']);
    expect(levels[0].sharedGate).toEqual(['l0.t0.e0', 'l0.t0.e1', 'l0.t1.e0', 'l0.t1.e1', 'l0.s.e0']);
    expect(levels[2].sharedGate).toBeUndefined();
    expect(levels[1].inputs.get('l1.t1.e0')).toBe('task:1');
    expect(levels[1].inputs.get('l1.s.e0')).toBe('shared');
  });

  it('CGC is one level without a shared gate; MMoE shares every expert; shared-bottom has one', () => {
    expect(layoutOf(spec('cgc'))).toHaveLength(1);
    expect(layoutOf(spec('cgc'))[0].sharedGate).toBeUndefined();
    expect(layoutOf({ ...spec('mmoe'), sharedExperts: 3 })[0].taskGates).toEqual([['e0', 'e1', 'e2'], ['e0', 'e1', 'e2']]);
    expect(layoutOf(spec('shared-bottom'))[0].taskGates).toEqual([['e0'], ['e0']]);
  });
});

const CASES = [
  { type: 'ple', backbone: 'din' },
  { type: 'cgc', backbone: 'din' },
  { type: 'mmoe', backbone: 'din' },
  { type: 'shared-bottom', backbone: 'din' },
  { type: 'ple', backbone: 'dien' },
] as const;

describe.each(CASES)('$type over $backbone', ({ type, backbone }) => {
  let model: CtrModel;
  let contract: FeatureContract;
  let dir: string;
  let session: ort.InferenceSession;

  beforeAll(async () => {
    const data = prepareData(logWithConversions(), { protocol: 'next', seed: 1, maxHistory: 20, minItemCount: 2, negativeSequences: backbone === 'dien' });
    contract = data.contract;
    model = createModel({ ...defaultConfig(type, contract.itemCount, contract.categoryCount), backbone, embeddingDim: 8 }, 5);
    const reports = await fit(model, data.train.limit(30 * 64), data.test, { epochs: 1, batchSize: 64, learningRate: 3e-3, seed: 1 });
    expect(reports[0].tasks?.cvr.auc).toBeGreaterThan(0); // evaluated per task
    dir = mkdtempSync(join(tmpdir(), `mt-${type}-${backbone}-`));
    await exportModel(model, contract, { dir, name: `${type}-parity`, metrics: {}, training: {} });
    session = await ort.InferenceSession.create(join(dir, 'model.onnx'), nodeSessionOptions());
  });

  it('declares the task outputs in the manifest', () => {
    const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
    expect(manifest.type).toBe(type);
    expect(manifest.outputs.map((o) => o.name)).toEqual(['score', 'attention', ...TASK_OUTPUTS]);
  });

  it('every task output matches tfjs to 1e-5; score = ctr; ctcvr = ctr·cvr', async () => {
    let maxDiff = 0;
    for (const r of requests(contract, 40)) {
      const C = r.candidates.length;
      const H = contract.maxHistory;
      const h = contract.encodeHistory(r.history, 'full');
      const c = contract.encodeCandidates(r.candidates);
      const tile = (a: Int32Array) => {
        const out = new Int32Array(C * a.length);
        for (let i = 0; i < C; i++) out.set(a, i * a.length);
        return out;
      };
      const batch = {
        historyItems: tf.tensor2d(tile(h.items), [C, H], 'int32'),
        historyCategories: tf.tensor2d(tile(h.categories), [C, H], 'int32'),
        candidateItems: tf.tensor1d(c.items, 'int32'),
        candidateCategories: tf.tensor1d(c.categories, 'int32'),
      };
      const probs = tf.tidy(() => model.forward(batch, false).taskLogits!.map((l) => tf.sigmoid(l)));
      const [ctr, cvr] = (await Promise.all(probs.map((p) => p.data()))) as Float32Array[];
      tf.dispose([...probs, ...Object.values(batch)]);
      const hc = contract.encodeHistory(r.history);
      const feeds = {
        hist_item: new ort.Tensor('int32', hc.items, [hc.items.length]),
        hist_cat: new ort.Tensor('int32', hc.categories, [hc.categories.length]),
        cand_item: new ort.Tensor('int32', c.items, [C]),
        cand_cat: new ort.Tensor('int32', c.categories, [C]),
      };
      const out = await session.run(feeds, ['score', ...TASK_OUTPUTS]);
      const got = Object.fromEntries(['score', ...TASK_OUTPUTS].map((n) => [n, out[n].data as Float32Array]));
      for (let i = 0; i < C; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(got.ctr[i] - ctr[i]), Math.abs(got.cvr[i] - cvr[i]), Math.abs(got.ctcvr[i] - ctr[i] * cvr[i]));
        expect(got.score[i]).toBe(got.ctr[i]);
      }
    }
    console.log(`${type}/${backbone}: max |tfjs − onnxruntime-node| over ctr, cvr, ctcvr = ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
  });

  it.skipIf(!ONNX_PYTHON)('passes onnx.checker (python3-onnx)', () => {
    expect(checkOnnx(join(dir, 'model.onnx'))).toBe('ok 8 17');
  });
});
