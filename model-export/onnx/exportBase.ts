/**
 * BaseModel → ONNX (serving shape). The sum-pooled history and its share of the first MLP layer
 * are computed once per request ([1, ·]) and broadcast over the C candidates.
 */
import type { BaseModel } from '../models/base.js';
import { GraphBuilder, type ItemRowPlacement } from './graphBuilder.js';
import { embed, embeddingTables, historyMask, mlpHead } from './servingLayers.js';
import { servingInputs, servingOutput } from './servingSignature.js';
import { attributeParts, requestPart, servingFeatures } from './servingFeatures.js';
import { behaviourWidth } from '../layers/featureEmbedding.js';
import type { WeightMap } from './weights.js';

/** `quantize: 'int8'`: large weights stored int8, arithmetic float32 (onnx/int8Weights.ts). */
export function buildBaseGraph(model: BaseModel, w: WeightMap, options: { quantize?: 'int8'; itemRows?: ItemRowPlacement } = {}): GraphBuilder {
  const g = new GraphBuilder('base', undefined, { weights: options.quantize === 'int8' ? 'int8' : 'float32', itemRows: options.itemRows });
  const D = behaviourWidth(model.config);
  const x = servingInputs(g);
  const sf = servingFeatures(g, w, model.config.features);
  const tables = embeddingTables(g, w);
  const k = embed(g, tables, x.historyItems, x.historyCategories, attributeParts(g, sf, 'hist')); // [T, D]
  const mask = g.op('Unsqueeze', [historyMask(g, x.historyItems), g.int64('axis0', [0])]); // [1, T]
  const pooled = g.op('MatMul', [mask, k], {}, 'sum_pool'); // [1, D]
  const q = embed(g, tables, x.candidateItems, x.candidateCategories, attributeParts(g, sf, 'cand')); // [C, D]
  const request = requestPart(g, sf); // user + context [1, U], once per request
  servingOutput(g, mlpHead(g, w, model.mlp, [{ tensor: pooled, width: D }, { tensor: q, width: D }, ...(request ? [request] : [])]));
  return g;
}
