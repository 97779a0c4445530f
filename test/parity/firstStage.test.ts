/**
 * The cascade's first stage (models/din-movielens-dot, model-export/onnx/exportDot.ts): the shipped
 * graph passes onnx.checker, and computes exactly σ(e_c · mean e_history / √d) with DIN's own
 * (int8-dequantised) behaviour embeddings, recomputed here in plain JS from DIN's initializers.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { join } from 'node:path';
import { ModelProtoSchema } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { contractOf } from '../../contract/manifest.js';
import { loadShippedModel, MODELS_DIR } from '../../bench/lib/servingModels.js';
import { embeddingTableOf } from '../../model-export/onnx/initializers.js';
import { encodeScoreRequest } from '../../core/encode/requestEncoder.js';
import { checkOnnx, ONNX_PYTHON } from './onnxChecker.js';
import { nodeSessionOptions } from '../../model-export/onnx/nodeSessionOptions.js';

const din = loadShippedModel('din-movielens');
const dot = loadShippedModel('din-movielens-dot');

/** A [rows, D] table of DIN's graph, float (int8 tables: q × per-row scale). */
function table(prefix: string): { width: number; row: (i: number) => Float32Array } {
  const { shape, data } = embeddingTableOf(new Map(fromBinary(ModelProtoSchema, din.onnx).graph!.initializer.map((t) => [t.name, t])), prefix);
  const width = shape[1];
  return { width, row: (i) => data.slice(i * width, (i + 1) * width) };
}

describe('dot-product first stage', () => {
  it.skipIf(!ONNX_PYTHON)('passes onnx.checker (full check)', () => {
    expect(checkOnnx(join(MODELS_DIR, 'din-movielens-dot', dot.manifest.onnx.file))).toMatch(/^ok 8 17$/);
  });

  it('has DIN\'s feature contract and records where it came from', () => {
    expect(dot.manifest.type).toBe('dot');
    expect(dot.manifest.featureContract).toEqual(din.manifest.featureContract);
    expect(dot.manifest.training.derivedFrom).toEqual({ name: din.manifest.name, version: din.manifest.version });
  });

  it('scores σ(e_c · mean e_history / √d) with DIN\'s embeddings (≤ 1e-6)', async () => {
    const items = table('emb.item');
    const cats = table('emb.category');
    const contract = contractOf(din.manifest);
    const vocab = din.manifest.featureContract.items;
    const session = await ort.InferenceSession.create(dot.onnx, nodeSessionOptions());
    for (const [h, c] of [[30, 20], [1, 5], [0, 3]]) {
      const request = { history: vocab.slice(100, 100 + h), candidates: [...vocab.slice(400, 400 + c - 1), 'unknown-item'] };
      const { feeds } = encodeScoreRequest(contract, request);
      const out = await session.run({
        hist_item: new ort.Tensor('int32', feeds.historyItems, [feeds.historyItems.length]),
        hist_cat: new ort.Tensor('int32', feeds.historyCategories, [feeds.historyCategories.length]),
        cand_item: new ort.Tensor('int32', feeds.candidateItems, [feeds.candidateItems.length]),
        cand_cat: new ort.Tensor('int32', feeds.candidateCategories, [feeds.candidateCategories.length]),
      });
      const behaviour = (item: number, cat: number) => [...items.row(item), ...cats.row(cat)];
      const d = items.width + cats.width;
      const mean = new Float64Array(d);
      for (let t = 0; t < h; t++) behaviour(feeds.historyItems[t], feeds.historyCategories[t]).forEach((v, k) => (mean[k] += v / h));
      const expected = Array.from(feeds.candidateItems, (item, i) => {
        const e = behaviour(item, feeds.candidateCategories[i]);
        const z = e.reduce((s, v, k) => s + v * mean[k], 0) / Math.sqrt(d);
        return 1 / (1 + Math.exp(-z));
      });
      const got = out.score.data as Float32Array;
      for (let i = 0; i < expected.length; i++) expect(Math.abs(got[i] - expected[i]), `H = ${h}, candidate ${i}`).toBeLessThanOrEqual(1e-6);
    }
    await session.release();
  });
});
