/**
 * The graphs the worker runs once at isolate start (worker/runtime/ort.ts `startOrtRuntime`): DIN
 * and DIEN exactly as the exporters build the shipped models (int8 export included), but tiny and
 * with placeholder weights (a short repeating positive pattern: the values do not matter, and it
 * compresses to almost nothing in the bundle). They carry no model; running them makes V8 compile, before any
 * request, the ORT code that loading and running a real model of these types needs (graph
 * transformers, kernels). The item table and the MLP's first layer are just large enough
 * (INT8_STORAGE_MIN_VALUES) for the int8 storage paths to be taken, so the same code runs.
 *
 *   npm run start-graphs   → worker/runtime/startGraphs.ts
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelType } from '../../contract/manifest.js';
import { createModel, defaultConfig } from '../models/index.js';
import { MODEL_KINDS } from '../models/kinds.js';
import { servingBytes } from './exportModel.js';
import type { ModelFeature } from '../layers/featureEmbedding.js';

/**
 * Feature columns every start graph carries (one of each kind and group), so the kernels that
 * feature models use (multi-valued mean pooling: ReduceSum, Max, Div; dense Unsqueeze) compile at
 * start as well. The worker feeds them from START_GRAPH_FEEDS (generated beside the graphs).
 */
export const START_GRAPH_FEATURES: ModelFeature[] = [
  { name: 'tags', group: 'candidate', kind: 'multi', rows: 8, embeddingDim: 4, maxValues: 2 },
  { name: 'price', group: 'candidate', kind: 'dense' },
  { name: 'slot', group: 'context', kind: 'sparse', rows: 6, embeddingDim: 4 },
  { name: 'age', group: 'user', kind: 'dense' },
];

/** How the worker feeds one feature input of a start graph: rows per history behaviour (T), per candidate (C) or once (1). */
export interface StartGraphFeed {
  input: string;
  dtype: 'int32' | 'float32';
  rows: 'T' | 'C' | 1;
  /** Values per row (multi: maxValues); > 1 means a [rows, width] input. */
  width: number;
}

export const START_GRAPH_FEEDS: StartGraphFeed[] = START_GRAPH_FEATURES.flatMap((f): StartGraphFeed[] => {
  const dtype = f.kind === 'dense' ? ('float32' as const) : ('int32' as const);
  const width = f.kind === 'multi' ? f.maxValues! : 1;
  if (f.group === 'candidate') return [{ input: `hist_${f.name}`, dtype, rows: 'T' as const, width }, { input: `cand_${f.name}`, dtype, rows: 'C' as const, width }];
  return [{ input: `${f.group === 'user' ? 'user' : 'ctx'}_${f.name}`, dtype, rows: 1 as const, width }];
});

/** The kinds that register a start graph (models/kinds.ts). */
export const START_GRAPH_TYPES = (Object.keys(MODEL_KINDS) as ModelType[]).filter((t) => MODEL_KINDS[t].startGraph !== undefined);
export type StartGraphType = ModelType;

/** 128 items × 8 dims = 1,024 embedding values: the int8 storage threshold. */
export const START_GRAPH_ITEMS = 128;
export const START_GRAPH_CATEGORIES = 4;

export async function buildStartGraph(type: StartGraphType): Promise<Uint8Array> {
  const small = MODEL_KINDS[type].startGraph;
  if (!small) throw new Error(`model kind ${type} registers no start graph`);
  // e.g. DIN: embeddings 8, MLP first layer [2·8, 64] per part = 1,024 values (the int8 threshold).
  const config = { ...defaultConfig(type, START_GRAPH_ITEMS, START_GRAPH_CATEGORIES), ...small, features: START_GRAPH_FEATURES };
  const model = createModel(config, 1);
  for (const name of model.params.names()) {
    const v = model.params.get(name);
    v.assign(tf.tensor(Float32Array.from({ length: v.size }, (_, i) => (1 + (i % 5)) / 64), v.shape));
  }
  return (await servingBytes(model, 'int8', `${type} start graph (untrained, no model): model-export/onnx/startGraphs.ts`)).bytes;
}
