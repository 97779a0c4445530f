/**
 * Test-split metrics of an exported ONNX graph, scored the way the worker scores: one request per
 * sample (its history, cut at the first padding slot, and its one candidate) through
 * onnxruntime-node. This checks the artifact itself rather than the tfjs model it came from, so an
 * export bug or a lossy storage choice (int8 weights) shows up in the manifest's metrics.
 */
import type * as Ort from 'onnxruntime-node';
import { ITEM_ROW_INPUTS } from '../../contract/itemRows.js';
import { SERVING_INPUTS, SERVING_OUTPUTS } from '../../contract/manifest.js';
import type { BatchFeature, EncodedDataset } from './dataset.js';
import { auc, gauc } from './metrics.js';
import { nodeSessionOptions } from '../onnx/nodeSessionOptions.js';

/** Item rows of a graph that takes them as inputs (contract/itemRows.ts): the served table [V, D] by training index. */
export interface ServedItemRows {
  table: Float32Array;
  dim: number;
}

function rowFeed(ort: typeof Ort, rows: ServedItemRows, indices: Int32Array): Ort.Tensor {
  const out = new Float32Array(indices.length * rows.dim);
  indices.forEach((ix, i) => out.set(rows.table.subarray(ix * rows.dim, (ix + 1) * rows.dim), i * rows.dim));
  return new ort.Tensor('float32', out, [indices.length, rows.dim]);
}

/** Probabilities of every sample of `data` from the ONNX graph `session`. */
export async function onnxPredictions(ort: typeof Ort, session: Ort.InferenceSession, data: EncodedDataset, itemRows?: ServedItemRows): Promise<Float32Array> {
  const out = new Float32Array(data.size);
  const H = data.maxHistory;
  for (let start = 0; start < data.size; start += 1024) {
    const idx = Int32Array.from({ length: Math.min(1024, data.size - start) }, (_, i) => start + i);
    const b = data.batch(idx);
    for (let i = 0; i < b.size; i++) {
      const row = b.historyItems.subarray(i * H, (i + 1) * H);
      const firstPad = row.indexOf(0);
      const T = Math.max(1, firstPad === -1 ? H : firstPad); // an empty history is one padding slot, as in the worker
      const res = await session.run(
        {
          [SERVING_INPUTS.historyItems]: new ort.Tensor('int32', row.slice(0, T), [T]),
          [SERVING_INPUTS.historyCategories]: new ort.Tensor('int32', b.historyCategories.slice(i * H, i * H + T), [T]),
          [SERVING_INPUTS.candidateItems]: new ort.Tensor('int32', b.candidateItems.slice(i, i + 1), [1]),
          [SERVING_INPUTS.candidateCategories]: new ort.Tensor('int32', b.candidateCategories.slice(i, i + 1), [1]),
          ...featureFeeds(ort, b.features, i, H, T),
          ...(itemRows
            ? { [ITEM_ROW_INPUTS.history]: rowFeed(ort, itemRows, row.slice(0, T)), [ITEM_ROW_INPUTS.candidates]: rowFeed(ort, itemRows, b.candidateItems.slice(i, i + 1)) }
            : {}),
        },
        [SERVING_OUTPUTS.scores],
      );
      out[start + i] = (res[SERVING_OUTPUTS.scores].data as Float32Array)[0];
    }
  }
  return out;
}

/**
 * Sample i's feature inputs in the serving shape: `hist_*` its first T rows [T(, M)], the others
 * (`cand_*`, `user_*`, `ctx_*`) its one row [1(, M)]; `neg_*` are training-only.
 */
function featureFeeds(ort: typeof Ort, features: Record<string, BatchFeature>, i: number, H: number, T: number): Record<string, Ort.Tensor> {
  const out: Record<string, Ort.Tensor> = {};
  for (const [name, f] of Object.entries(features)) {
    if (name.startsWith('neg_')) continue;
    const history = name.startsWith('hist_');
    const width = f.dims.length > (history ? 2 : 1) ? f.dims[f.dims.length - 1] : 1; // M for multi
    const rows = history ? T : 1;
    const start = (history ? i * H : i) * width;
    const data = f.data.slice(start, start + rows * width);
    const dims = width > 1 || f.dims.length > (history ? 2 : 1) ? [rows, width] : [rows];
    out[name] = data instanceof Float32Array ? new ort.Tensor('float32', data, dims) : new ort.Tensor('int32', data as Int32Array, dims);
  }
  return out;
}

/** AUC and user-weighted GAUC of the graph `onnx` on `data` (onnxruntime-node, 1 thread). */
export async function onnxTestMetrics(onnx: Uint8Array, data: EncodedDataset, itemRows?: ServedItemRows): Promise<{ auc: number; gauc: number }> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(onnx, nodeSessionOptions());
  try {
    const p = await onnxPredictions(ort, session, data, itemRows);
    const labels = data.labels.subarray(0, data.size);
    return { auc: auc(p, labels), gauc: gauc(p, labels, data.sampleUser.subarray(0, data.size)) };
  } finally {
    await session.release();
  }
}
