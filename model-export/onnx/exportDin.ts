/**
 * DIN → ONNX (serving shape: one history [T], C candidates).
 *
 * The local activation unit's first layer is split as in layers/targetAttention.ts:
 *   W·[q, k, q−k, q⊙k] = (W_q + W_d)·q + (W_k − W_d)·k + W_p·(q⊙k)
 * k-term once per behaviour [T, h1], q-term once per candidate [C, h1]. The product term is one
 * GEMM: W_p·(q⊙k) over all (c, t) = q · K' with K'[d, t·h1] = k[t, d]·W_p[d, ·], built once per
 * request — no [C, T, 2D] tensor is materialised.
 *
 * `{ attention: 'tiled' }` builds the same model the textbook way, for benchmarks (bench/compute.ts)
 * and the parity test that guards the factored form (test/parity/tiledParity.test.ts): q and k are
 * broadcast to [C, T, 2D], concatenated as [q, k, q−k, q⊙k] ([C, T, 8D], D = embedding dim) and
 * multiplied by the unsplit first layer W = [W_q; W_k; W_d; W_p] ([8D, h1]). Both forms share
 * everything after the first layer's pre-activation.
 */
import type { DinModel } from '../models/din.js';
import { GraphBuilder, type ItemRowPlacement } from './graphBuilder.js';
import { embed, embeddingTables, historyMask, mlpHead } from './servingLayers.js';
import { attentionOutput, servingInputs, servingOutput, taskOutputs } from './servingSignature.js';
import { multiTaskHead } from './multiTaskHead.js';
import { int8MatMulConst, int8MatMulDynamic } from './quantizedMatMul.js';
import { combine, weightOf, type WeightMap } from './weights.js';
import { attributeParts, requestPart, servingFeatures } from './servingFeatures.js';
import { behaviourWidth } from '../layers/featureEmbedding.js';
import { ATTENTION_ACTIVATION_HINTS } from './attentionTanh.js';

export interface DinExportOptions {
  /** Item rows in the graph (default) or as inputs (contract/itemRows.ts). */
  itemRows?: ItemRowPlacement;
  /** 'factored' (served, default): history-only work once per request; 'tiled': history repeated per candidate. */
  attention?: 'factored' | 'tiled';
  /**
   * 'int8': the activation unit's two big products (the factored product term and the second
   * layer, ≈ 90 % of the multiply-adds) run as int8 MatMulInteger (onnx/quantizedMatMul.ts), and
   * every other large weight is stored int8 (GraphBuilder weight storage, onnx/int8Weights.ts);
   * factored form only. Default: float32 everywhere.
   */
  quantize?: 'int8';
}

export function buildDinGraph(model: DinModel, w: WeightMap, options: DinExportOptions = {}): GraphBuilder {
  if (options.quantize && options.attention === 'tiled') throw new Error('quantize: int8 is implemented for the factored form only');
  const int8 = options.quantize === 'int8';
  const g = new GraphBuilder('din', undefined, { weights: int8 ? 'int8' : 'float32', itemRows: options.itemRows });
  const D = behaviourWidth(model.config);
  const h1 = model.attention.hidden[0];
  const h2 = model.attention.hidden[1];
  const att = model.attention.name;
  const x = servingInputs(g);
  const sf = servingFeatures(g, w, model.config.features);
  const tables = embeddingTables(g, w);
  const k = embed(g, tables, x.historyItems, x.historyCategories, attributeParts(g, sf, 'hist')); // [T, D]
  const q = embed(g, tables, x.candidateItems, x.candidateCategories, attributeParts(g, sf, 'cand')); // [C, D]
  const mask = historyMask(g, x.historyItems); // [T]

  // DIN eq. (3), first layer of a(e_j, v_A): pre-activation [C, T, h1].
  const z1 = options.attention === 'tiled' ? tiledFirstLayer(g, w, att, q, k, D, h1) : factoredFirstLayer(g, w, att, q, k, D, h1, int8);
  // The two sigmoids become tanh in the served bytes (onnx/attentionTanh.ts finds them by these hints).
  const [hint1, hint2] = ATTENTION_ACTIVATION_HINTS;
  const a1 = g.op('Sigmoid', [z1], {}, hint1); // [C, T, h1]
  const w2 = weightOf(w, `${att}.1.kernel`);
  const b2 = weightOf(w, `${att}.1.bias`);
  const z2 = int8 ? int8MatMulConst(g, a1, w2.data, h1, h2, `${att}.1.kernel`) : g.op('MatMul', [a1, g.weight(`${att}.1.kernel`, w2.data, [h1, h2])]); // [C, T, h2]
  const a2 = g.op('Sigmoid', [g.op('Add', [z2, g.weight(`${att}.1.bias`, b2.data, b2.shape)])], {}, hint2); // [C, T, h2]
  const w3 = weightOf(w, `${att}.out.kernel`);
  const b3 = weightOf(w, `${att}.out.bias`);
  const logits = g.op('Add', [g.op('MatMul', [a2, g.weight(`${att}.out.kernel`, w3.data, [h2, 1])]), g.weight(`${att}.out.bias`, b3.data, b3.shape)]); // [C, T, 1]
  // No softmax (DIN §4.3): raw activations, padding masked to 0.
  const weights = g.op('Mul', [g.op('Squeeze', [logits, g.int64('axis2b', [2])]), mask], {}, 'att_weights'); // [C, T]
  const pooled = g.op('MatMul', [weights, k], {}, 'att_pool'); // [C, 2D]
  const request = requestPart(g, sf); // user + context [1, U], once per request
  const parts = [{ tensor: pooled, width: D }, { tensor: q, width: D }, ...(request ? [request] : [])];
  if (model.multiTask) taskOutputs(g, multiTaskHead(g, w, model.multiTask, parts));
  else servingOutput(g, mlpHead(g, w, model.mlp!, parts));
  attentionOutput(g, weights);
  return g;
}

/** (W_q + W_d)·q + b per candidate, (W_k − W_d)·k per behaviour, W_p·(q⊙k) as one GEMM: [C, T, h1]. */
function factoredFirstLayer(g: GraphBuilder, w: WeightMap, att: string, q: string, k: string, D: number, h1: number, int8 = false): string {
  const wq = combine(w, `${att}.0.q`, `${att}.0.d`, (a, b) => a + b);
  const wk = combine(w, `${att}.0.k`, `${att}.0.d`, (a, b) => a - b);
  const b1 = weightOf(w, `${att}.0.bias`);
  const qTerm = g.op('Add', [g.op('MatMul', [q, g.weight(`${att}.0.qd`, wq.data, wq.dims)]), g.weight(`${att}.0.bias`, b1.data, b1.shape)], {}, 'q_term'); // [C, h1]
  const kTerm = g.op('MatMul', [k, g.weight(`${att}.0.kd`, wk.data, wk.dims)], {}, 'k_term'); // [T, h1]
  const wp = weightOf(w, `${att}.0.p`);
  const kT = g.op('Unsqueeze', [g.op('Transpose', [k], { perm: [1, 0] }), g.int64('axis2', [2])], {}, 'k_t'); // [2D, T, 1]
  const kp = g.op('Mul', [kT, g.weight(`${att}.0.p3`, wp.data, [D, 1, h1])], {}, 'k_wp'); // [2D, T, h1]
  const kpFlat = g.op('Reshape', [kp, g.int64('shape_d_flat', [D, -1])], {}, 'k_wp_flat'); // [2D, T·h1]
  const product = int8 ? int8MatMulDynamic(g, q, kpFlat, 'p_term_q') : g.op('MatMul', [q, kpFlat]); // [C, T·h1]
  const pTerm = g.op('Reshape', [product, g.int64('shape_c_t_h1', [0, -1, h1])], {}, 'p_term'); // [C, T, h1]
  const qTerm3 = g.op('Unsqueeze', [qTerm, g.int64('axis1', [1])]); // [C, 1, h1]
  return g.op('Add', [g.op('Add', [pTerm, qTerm3]), kTerm]); // [C, T, h1]
}

/** W·[q, k, q−k, q⊙k] + b over the broadcast [C, T, 8D] concat, W = [W_q; W_k; W_d; W_p]: [C, T, h1]. */
function tiledFirstLayer(g: GraphBuilder, w: WeightMap, att: string, q: string, k: string, D: number, h1: number): string {
  const parts = ['q', 'k', 'd', 'p'].map((p) => weightOf(w, `${att}.0.${p}`));
  const W = new Float32Array(4 * D * h1);
  parts.forEach((p, i) => W.set(p.data, i * D * h1)); // rows stacked in concat order
  const b1 = weightOf(w, `${att}.0.bias`);
  // [C, T, 2D] = Concat(Shape(q)[0], Shape(k)[0], 2D)
  const shape = g.op('Concat', [g.op('Shape', [q], { end: 1 }), g.op('Shape', [k], { end: 1 }), g.int64('width_2d', [D])], { axis: 0 }, 'tile_shape');
  const qB = g.op('Expand', [g.op('Unsqueeze', [q, g.int64('tile_axis1', [1])]), shape], {}, 'q_tiled'); // [C, T, 2D]
  const kB = g.op('Expand', [g.op('Unsqueeze', [k, g.int64('tile_axis0', [0])]), shape], {}, 'k_tiled'); // [C, T, 2D]
  const concat = g.op('Concat', [qB, kB, g.op('Sub', [qB, kB], {}, 'q_minus_k'), g.op('Mul', [qB, kB], {}, 'q_times_k')], { axis: 2 }, 'att_in'); // [C, T, 8D]
  return g.op('Add', [g.op('MatMul', [concat, g.weight(`${att}.0.kernel`, W, [4 * D, h1])]), g.weight(`${att}.0.bias`, b1.data, b1.shape)], {}, 'att1_z'); // [C, T, h1]
}
