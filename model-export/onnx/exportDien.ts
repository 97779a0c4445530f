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
import { GraphBuilder } from './graphBuilder.js';
import { embed, embeddingTables, historyMask, mlpHead } from './servingLayers.js';
import { servingInputs, servingOutput } from './servingSignature.js';
import { weightOf, type WeightMap } from './weights.js';

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

export function buildDienGraph(model: DienModel, w: WeightMap): GraphBuilder {
  const g = new GraphBuilder('dien');
  const D = 2 * model.config.embeddingDim;
  const H = model.extractor.hidden;
  const x = servingInputs(g);
  const tables = embeddingTables(g, w);
  const e = embed(g, tables, x.historyItems, x.historyCategories); // [T, D]
  const q = embed(g, tables, x.candidateItems, x.candidateCategories); // [C, D]
  const mask = historyMask(g, x.historyItems); // [T]

  // Interest extractor (eq. 1–4), once per request.
  const gw = onnxGruWeights(w, model.extractor);
  const seq = g.op('Unsqueeze', [e, g.int64('axis1', [1])], {}, 'gru_in'); // [T, 1, D]
  const y = g.op(
    'GRU',
    [seq, g.weight('gru.W', gw.W, [1, 3 * H, D]), g.weight('gru.R', gw.R, [1, 3 * H, H]), g.weight('gru.B', gw.B, [1, 6 * H])],
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

  const body = g.subgraph('augru_step');
  const h = body.input('augru_h', 'float32', ['C', H]);
  const bxu = body.input('augru_xu_t', 'float32', [H]);
  const bxr = body.input('augru_xr_t', 'float32', [H]);
  const bxh = body.input('augru_xh_t', 'float32', [H]);
  const at = body.input('augru_a_t', 'float32', ['C']);
  const u0 = body.op('Sigmoid', [body.op('Add', [bxu, body.op('MatMul', [h, Uu])])], {}, 'augru_u'); // [C, H]
  const r = body.op('Sigmoid', [body.op('Add', [bxr, body.op('MatMul', [h, Ur])])], {}, 'augru_r'); // [C, H]
  const cand = body.op('Tanh', [body.op('Add', [bxh, body.op('Mul', [r, body.op('Add', [body.op('MatMul', [h, Uh]), bhrName])])])], {}, 'augru_cand'); // [C, H]
  const u = body.op('Mul', [u0, body.op('Unsqueeze', [at, g.int64('axis1b', [1])])], {}, 'augru_ut'); // ũ_t = a_t·u_t: [C, H]
  const next = body.op('Add', [h, body.op('Mul', [u, body.op('Sub', [cand, h])])], {}, 'augru_next'); // (1 − ũ)∘h' + ũ∘h̃'
  body.output(next, 'augru_h_out', 'float32', ['C', H]);

  const h0 = g.op('ConstantOfShape', [g.op('Shape', [wq])], {}, 'augru_h0'); // zeros [C, H]
  const attentionT = g.op('Transpose', [attention], { perm: [1, 0] }, 'attention_t'); // [T, C]
  const evolved = g.op('Scan', [h0, xu, xr, xh, attentionT], { body: { graph: body }, num_scan_inputs: 4 }, 'evolved'); // [C, H]

  // Output MLP over [h'_T, e_a, Σ e_j, e_a ⊙ Σ e_j]; the pooled history is [1, D], computed once.
  const pooled = g.op('MatMul', [g.op('Unsqueeze', [mask, g.int64('axis0', [0])]), e], {}, 'sum_pool'); // [1, D]
  const product = g.op('Mul', [q, pooled], {}, 'cand_x_pool'); // [C, D]
  servingOutput(
    g,
    mlpHead(g, w, model.mlp, [
      { tensor: evolved, width: H },
      { tensor: q, width: D },
      { tensor: pooled, width: D },
      { tensor: product, width: D },
    ]),
  );
  return g;
}
