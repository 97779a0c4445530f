/** Run one encoded request with onnxruntime-node: the reference the worker and tfjs are compared with. */
import * as ort from 'onnxruntime-node';
import type { EncodedCandidates, EncodedHistory, EncodedRequestFeatures } from '../../contract/featureContract.js';
import { SERVING_INPUTS, SERVING_OUTPUTS } from '../../contract/manifest.js';

function feeds(h: EncodedHistory, c: EncodedCandidates, r?: EncodedRequestFeatures): Record<string, ort.Tensor> {
  const features = [...h.features, ...c.features, ...(r?.features ?? [])];
  return {
    ...Object.fromEntries(features.map((f) => [f.input, new ort.Tensor(f.dtype, f.data, f.dims)])),
    [SERVING_INPUTS.historyItems]: new ort.Tensor('int32', h.items, [h.items.length]),
    [SERVING_INPUTS.historyCategories]: new ort.Tensor('int32', h.categories, [h.categories.length]),
    [SERVING_INPUTS.candidateItems]: new ort.Tensor('int32', c.items, [c.items.length]),
    [SERVING_INPUTS.candidateCategories]: new ort.Tensor('int32', c.categories, [c.categories.length]),
  };
}

/** Scores [C]. */
export async function scoreWithOrtNode(session: ort.InferenceSession, h: EncodedHistory, c: EncodedCandidates, r?: EncodedRequestFeatures): Promise<Float32Array> {
  const out = await session.run(feeds(h, c, r), [SERVING_OUTPUTS.scores]);
  return out[SERVING_OUTPUTS.scores].data as Float32Array;
}

/** The `attention` output [C, T] (row-major), T = the encoded history's length. */
export async function attentionWithOrtNode(session: ort.InferenceSession, h: EncodedHistory, c: EncodedCandidates, r?: EncodedRequestFeatures): Promise<Float32Array> {
  const out = await session.run(feeds(h, c, r), [SERVING_OUTPUTS.attention]);
  return out[SERVING_OUTPUTS.attention].data as Float32Array;
}

/** Named task outputs (multi-task models), each [C], as plain arrays. */
export async function tasksWithOrtNode(session: ort.InferenceSession, h: EncodedHistory, c: EncodedCandidates, r: EncodedRequestFeatures | undefined, names: readonly string[]): Promise<Record<string, number[]>> {
  const out = await session.run(feeds(h, c, r), [...names]);
  return Object.fromEntries(names.map((n) => [n, Array.from(out[n].data as Float32Array)]));
}

/** The worker's encoded feeds (core/encode) as onnxruntime-node tensors: behaviour inputs, feature and row inputs. */
export function servingFeedTensors(f: import('../../core/runtime/scoringSession.js').ServingFeeds): Record<string, ort.Tensor> {
  return {
    [SERVING_INPUTS.historyItems]: new ort.Tensor('int32', f.historyItems, [f.historyItems.length]),
    [SERVING_INPUTS.historyCategories]: new ort.Tensor('int32', f.historyCategories, [f.historyCategories.length]),
    [SERVING_INPUTS.candidateItems]: new ort.Tensor('int32', f.candidateItems, [f.candidateItems.length]),
    [SERVING_INPUTS.candidateCategories]: new ort.Tensor('int32', f.candidateCategories, [f.candidateCategories.length]),
    ...Object.fromEntries((f.features ?? []).map((x) => [x.input, new ort.Tensor(x.dtype, x.data, x.dims)])),
  };
}
