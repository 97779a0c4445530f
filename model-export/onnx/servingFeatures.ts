/**
 * Feature columns in the serving graph (layers/featureEmbedding.ts is the tfjs twin; names from
 * contract/features.ts). Candidate attributes arrive per behaviour `hist_*` [T(, M)] and per
 * candidate `cand_*` [C(, M)] and widen the behaviour vectors; user and context features arrive
 * once per request, `user_*` / `ctx_*` [1(, M)], and become one [1, U] part of the MLP input,
 * multiplied once and broadcast over the candidates (mlpHead's parts): the graph stays factored.
 */
import type { ModelFeature } from '../layers/featureEmbedding.js';
import { featureTable, featureWidth } from '../layers/featureEmbedding.js';
import { ONNX_FLOAT, type GraphBuilder } from './graphBuilder.js';
import { embeddingTable, lookup, type EmbeddingTable } from './servingLayers.js';
import type { WeightMap } from './weights.js';

export interface ServingFeatures {
  features: readonly ModelFeature[];
  /** Graph input name → tensor name (the same). */
  inputs: Record<string, string>;
  tables: Record<string, EmbeddingTable>;
}

/** Declare the feature inputs (in contract order) and add the feature tables. */
export function servingFeatures(g: GraphBuilder, w: WeightMap, features: readonly ModelFeature[] = []): ServingFeatures {
  const inputs: Record<string, string> = {};
  const tables: Record<string, EmbeddingTable> = {};
  for (const f of features) {
    const dtype = f.kind === 'dense' ? 'float32' : 'int32';
    const shape = (n: string | number) => (f.kind === 'multi' ? [n, f.maxValues!] : [n]);
    const names = f.group === 'candidate' ? [[`hist_${f.name}`, 'T'], [`cand_${f.name}`, 'C']] : [[`${f.group === 'user' ? 'user' : 'ctx'}_${f.name}`, 1]];
    for (const [name, n] of names) inputs[name as string] = g.input(name as string, dtype, shape(n));
    if (f.kind !== 'dense') tables[f.name] = embeddingTable(g, w, featureTable(f));
  }
  return { features, inputs, tables };
}

/** One feature's vectors: [N] → [N, d]; multi [N, M] → mean of the non-padding rows [N, d]; dense [N] → [N, 1]. */
function embedFeature(g: GraphBuilder, sf: ServingFeatures, f: ModelFeature, input: string): string {
  // Constants are named after the input (hist_x and cand_x each get their own).
  if (f.kind === 'dense') return g.op('Unsqueeze', [input, g.int64(`${input}.axis1`, [1])], {}, `${input}_dense`);
  const rows = lookup(g, sf.tables[f.name], input, `${input}_emb`);
  if (f.kind === 'sparse') return rows;
  const mask = g.op('Cast', [g.op('Not', [g.op('Equal', [input, g.int32(`${input}.pad`, [0], [])])])], { to: ONNX_FLOAT }, `${input}_mask`); // [N, M]
  const masked = g.op('Mul', [rows, g.op('Unsqueeze', [mask, g.int64(`${input}.axis2`, [2])])]); // [N, M, d]
  const sum = g.op('ReduceSum', [masked, g.int64(`${input}.axes1`, [1])], { keepdims: 0 }, `${input}_sum`); // [N, d]
  const count = g.op('ReduceSum', [mask, g.int64(`${input}.axes1k`, [1])], { keepdims: 1 }, `${input}_count`); // [N, 1]
  return g.op('Div', [sum, g.op('Max', [count, g.float(`${input}.one`, [1], [])])], {}, `${input}_mean`); // [N, d]
}

/** Candidate-attribute vectors of `hist` or `cand`, in feature order (each [N, w]). */
export function attributeParts(g: GraphBuilder, sf: ServingFeatures, prefix: 'hist' | 'cand'): string[] {
  return sf.features.filter((f) => f.group === 'candidate').map((f) => embedFeature(g, sf, f, sf.inputs[`${prefix}_${f.name}`]));
}

/** User and context vectors concatenated, as an mlpHead part [1, U]; undefined without such features. */
export function requestPart(g: GraphBuilder, sf: ServingFeatures): { tensor: string; width: number } | undefined {
  const fs = sf.features.filter((f) => f.group !== 'candidate');
  if (fs.length === 0) return undefined;
  const parts = fs.map((f) => embedFeature(g, sf, f, sf.inputs[`${f.group === 'user' ? 'user' : 'ctx'}_${f.name}`]));
  const tensor = parts.length === 1 ? parts[0] : g.op('Concat', parts, { axis: 1 }, 'request_features'); // [1, U]
  return { tensor, width: fs.reduce((w, f) => w + featureWidth(f), 0) };
}
