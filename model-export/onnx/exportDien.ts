/**
 * DIEN → ONNX (serving shape: one history [T], C candidates).
 *
 * The interest extractor depends only on the history, so it runs once per request as ONNX's `GRU`
 * op (layers/gru.ts is its linear_before_reset = 1 form; ONNX's z gate is 1 − u, so the update
 * gate's weights and bias are negated here). Attention (DIEN eq. 12) and the AUGRU (eq. 13–14) run
 * per candidate: the AUGRU is a `Scan` over the T interests with state [C, H]; its input
 * projections are shared by all candidates and computed once, before the Scan.
 */
import type { DienModel } from '../models/dien/dien.js';
import { MASKED_SCORE } from '../models/dien/dien.js';
import type { GruSpec } from '../layers/gru.js';
import { GraphBuilder, type ItemRowPlacement } from './graphBuilder.js';
import { embed, embeddingTables, historyMask, mlpHead } from './servingLayers.js';
import { attentionOutput, servingInputs, servingOutput, taskOutputs } from './servingSignature.js';
import { multiTaskHead } from './multiTaskHead.js';
import { weightOf, type WeightMap } from './weights.js';
import { attributeParts, requestPart, servingFeatures } from './servingFeatures.js';
import { behaviourWidth } from '../layers/featureEmbedding.js';

/** [rows, cols] row-major → its transpose, optionally scaled. */
function transposed(data: Float32Array, rows: number, cols: number, scale = 1): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = scale * data[i * cols + j];
  return out;
}

/** The extractor as ONNX `GRU` weights: W [1, 3H, in], R [1, 3H, H], B [1, 6H], gates z, r, h. */
function onnxGruWeights(w: WeightMap, s: GruSpec): { W: Float32Array; R: Float32Array; B: Float32Array } {
  const H = s.hidden;
  const I = s.inputs;
  const sign = { u: -1, r: 1, h: 1 } as const; // z = 1 − u = σ(−(…)): negate the update gate
  const W = new Float32Array(3 * H * I);
  const R = new Float32Array(3 * H * H);
  const B = new Float32Array(6 * H);
  (['u', 'r', 'h'] as const).forEach((g, k) => {
    W.set(transposed(weightOf(w, `${s.name}.W_${g}`).data, I, H, sign[g]), k * H * I);
    R.set(transposed(weightOf(w, `${s.name}.U_${g}`).data, H, H, sign[g]), k * H * H);
    B.set(weightOf(w, `${s.name}.b_${g}`).data.map((v) => sign[g] * v), k * H); // Wb
  });
  B.set(weightOf(w, `${s.name}.b_hr`).data, 5 * H); // Rb_h (inside r ∘ (…), linear_before_reset)
  return { W, R, B };
}

export interface DienExportOptions {
  /** Item rows in the graph (default) or as inputs (contract/itemRows.ts). */
  itemRows?: ItemRowPlacement;
  /** `scan` (served) or an unrolled AUGRU for exactly `unrolledSteps` behaviours (benchmarks). */
  augru: 'scan' | { unrolledSteps: number };
  /** 'int8': large weights stored int8, arithmetic float32 (onnx/int8Weights.ts). */
  quantize?: 'int8';
}

interface AugruStepWeights {
  Uu: string;
  Ur: string;
  Uh: string;
  bhr: string;
  axis1: string;
}

/**
 * One AUGRU step (DIEN eq. 13–14) for all candidates: state h [C, H], shared input projections
 * xu, xr, xh [H] of interest h_t, attention a [C] → next state [C, H].
 */
function augruStep(b: GraphBuilder, w: AugruStepWeights, h: string, x: { xu: string; xr: string; xh: string; a: string }): string {
  const u0 = b.op('Sigmoid', [b.op('Add', [x.xu, b.op('MatMul', [h, w.Uu])])], {}, 'augru_u'); // [C, H]
  const r = b.op('Sigmoid', [b.op('Add', [x.xr, b.op('MatMul', [h, w.Ur])])], {}, 'augru_r'); // [C, H]
  const cand = b.op('Tanh', [b.op('Add', [x.xh, b.op('Mul', [r, b.op('Add', [b.op('MatMul', [h, w.Uh]), w.bhr])])])], {}, 'augru_cand'); // [C, H]
  const u = b.op('Mul', [u0, b.op('Unsqueeze', [x.a, w.axis1])], {}, 'augru_ut'); // ũ_t = a_t·u_t: [C, H]
  return b.op('Add', [h, b.op('Mul', [u, b.op('Sub', [cand, h])])], {}, 'augru_next'); // (1 − ũ)∘h' + ũ∘h̃'
}

export function buildDienGraph(model: DienModel, w: WeightMap, options: DienExportOptions = { augru: 'scan' }): GraphBuilder {
  const g = new GraphBuilder('dien', undefined, { weights: options.quantize === 'int8' ? 'int8' : 'float32', itemRows: options.itemRows });
  const D = behaviourWidth(model.config);
  const H = model.extractor.hidden;
  const x = servingInputs(g);
  const sf = servingFeatures(g, w, model.config.features);
  const tables = embeddingTables(g, w);
  const e = embed(g, tables, x.historyItems, x.historyCategories, attributeParts(g, sf, 'hist')); // [T, D]
  const q = embed(g, tables, x.candidateItems, x.candidateCategories, attributeParts(g, sf, 'cand')); // [C, D]
  const mask = historyMask(g, x.historyItems); // [T]

  // Interest extractor (eq. 1–4), once per request.
  const gw = onnxGruWeights(w, model.extractor);
  const seq = g.op('Unsqueeze', [e, g.int64('axis1', [1])], {}, 'gru_in'); // [T, 1, D]
  const y = g.op(
    'GRU',
    // int8 storage: one scale per gate unit (axis 1), the GRU's output channels.
    [seq, g.weight('gru.W', gw.W, [1, 3 * H, D], { int8Axis: 1 }), g.weight('gru.R', gw.R, [1, 3 * H, H], { int8Axis: 1 }), g.weight('gru.B', gw.B, [1, 6 * H])],
    { hidden_size: H, linear_before_reset: 1 },
    'gru_y',
  ); // [T, 1, 1, H]
  const interests = g.op('Reshape', [y, g.int64('shape_t_h', [-1, H])], {}, 'interests'); // [T, H]

  // Attention (eq. 12): a = softmax_t(h_t·W·e_a) over real behaviours.
  const attW = weightOf(w, 'att.W'); // [H, D]
  const wq = g.op('MatMul', [q, g.weight('att.W_t', transposed(attW.data, H, D), [D, H])], {}, 'att_wq'); // [C, H]
  const scores = g.op('MatMul', [wq, g.op('Transpose', [interests], { perm: [1, 0] })], {}, 'att_scores'); // [C, T]
  const penalty = g.op('Mul', [g.op('Sub', [g.float('one', [1], []), mask]), g.float('masked_score', [MASKED_SCORE], [])], {}, 'att_penalty'); // [T]
  const attention = g.op('Mul', [g.op('Softmax', [g.op('Add', [scores, penalty])], { axis: 1 }), mask], {}, 'attention'); // [C, T]

  // AUGRU (eq. 13–14): input projections once, then a Scan over t with state h' [C, H].
  const ev = model.evolution;
  const proj = (gate: 'u' | 'r' | 'h') => {
    const W = weightOf(w, `${ev.name}.W_${gate}`);
    const b = weightOf(w, `${ev.name}.b_${gate}`);
    return g.op('Add', [g.op('MatMul', [interests, g.weight(`${ev.name}.W_${gate}`, W.data, W.shape)]), g.weight(`${ev.name}.b_${gate}`, b.data, b.shape)], {}, `augru_x${gate}`); // [T, H]
  };
  const [xu, xr, xh] = [proj('u'), proj('r'), proj('h')];
  const U = (gate: 'u' | 'r' | 'h') => {
    const t = weightOf(w, `${ev.name}.U_${gate}`);
    return g.weight(`${ev.name}.U_${gate}`, t.data, t.shape); // [H, H], read by the Scan body
  };
  const [Uu, Ur, Uh] = [U('u'), U('r'), U('h')];
  const bhr = weightOf(w, `${ev.name}.b_hr`);
  const bhrName = g.weight(`${ev.name}.b_hr`, bhr.data, bhr.shape);

  const weights: AugruStepWeights = { Uu, Ur, Uh, bhr: bhrName, axis1: g.int64('axis1b', [1]) };
  const h0 = g.op('ConstantOfShape', [g.op('Shape', [wq])], {}, 'augru_h0'); // zeros [C, H]
  const attentionT = g.op('Transpose', [attention], { perm: [1, 0] }, 'attention_t'); // [T, C]
  let evolved: string;
  if (options.augru === 'scan') {
    const body = g.subgraph('augru_step');
    const h = body.input('augru_h', 'float32', ['C', H]);
    const step = augruStep(body, weights, h, {
      xu: body.input('augru_xu_t', 'float32', [H]),
      xr: body.input('augru_xr_t', 'float32', [H]),
      xh: body.input('augru_xh_t', 'float32', [H]),
      a: body.input('augru_a_t', 'float32', ['C']),
    });
    body.output(step, 'augru_h_out', 'float32', ['C', H]);
    evolved = g.op('Scan', [h0, xu, xr, xh, attentionT], { body: { graph: body }, num_scan_inputs: 4 }, 'evolved'); // [C, H]
  } else {
    // Unrolled for a fixed history length (benchmarks only: the serving signature has dynamic T).
    evolved = h0;
    const axis0 = g.int64('axis0_unrolled', [0]);
    for (let t = 0; t < options.augru.unrolledSteps; t++) {
      const at = g.int64(`step_${t}`, [t]);
      const pick = (x: string) => g.op('Squeeze', [g.op('Gather', [x, at], { axis: 0 }), axis0]); // row t
      evolved = augruStep(g, weights, evolved, { xu: pick(xu), xr: pick(xr), xh: pick(xh), a: pick(attentionT) });
    }
  }

  // Output MLP over [h'_T, e_a, Σ e_j, e_a ⊙ Σ e_j]; the pooled history is [1, D], computed once.
  const pooled = g.op('MatMul', [g.op('Unsqueeze', [mask, g.int64('axis0', [0])]), e], {}, 'sum_pool'); // [1, D]
  const product = g.op('Mul', [q, pooled], {}, 'cand_x_pool'); // [C, D]
  const request = requestPart(g, sf); // user + context [1, U], once per request
  const parts = [
    { tensor: evolved, width: H },
    { tensor: q, width: D },
    { tensor: pooled, width: D },
    { tensor: product, width: D },
    ...(request ? [request] : []),
  ];
  if (model.multiTask) taskOutputs(g, multiTaskHead(g, w, model.multiTask, parts));
  else servingOutput(g, mlpHead(g, w, model.mlp!, parts));
  attentionOutput(g, attention);
  return g;
}
