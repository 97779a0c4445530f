/**
 * A first-stage ("pre-ranking") graph for cascades (docs/worker.md, "CPU budget and cascades"):
 * the interest model's own behaviour embeddings, no attention, no MLP —
 *
 *   score_c = σ( e_c · mean_{t real} e_t / √d ),  e = [item embedding ‖ category embedding]
 *
 * over the same serving signature, so the worker runs it like any model. Its cost is one gather
 * per behaviour and one [C, 2D] × [2D] product: ≈ C·2D multiply-adds against DIN's ≈ C·T·(4·2D·h₁)
 * — the dot-product pre-ranking Alibaba's COLD paper compares against. The σ keeps scores in
 * (0, 1), so the worker's output checks and golden replay apply unchanged; it does not change the
 * order.
 */
import { GraphBuilder } from './graphBuilder.js';
import { embed, embeddingTables, historyMask } from './servingLayers.js';
import { servingInputs, servingOutput } from './servingSignature.js';
import type { WeightMap } from './weights.js';

/** `w`: `emb.item` [items, D] and `emb.category` [categories, D] (float32; stored int8 per row with `quantize`). */
export function buildDotGraph(w: WeightMap, options: { quantize?: 'int8' } = {}): GraphBuilder {
  if (!w.has('emb.item')) throw new Error('dot: the first stage needs an item table emb.item; hashed item ids (quotient-remainder tables) are not supported');
  const g = new GraphBuilder('dot', undefined, { weights: options.quantize === 'int8' ? 'int8' : 'float32' });
  const x = servingInputs(g);
  const tables = embeddingTables(g, w);
  const width = w.get('emb.item')!.shape[1] + w.get('emb.category')!.shape[1];
  const k = embed(g, tables, x.historyItems, x.historyCategories); // [T, 2D]
  const mask = g.op('Unsqueeze', [historyMask(g, x.historyItems), g.int64('axis0', [0])]); // [1, T]
  const sum = g.op('MatMul', [mask, k], {}, 'hist_sum'); // [1, 2D]
  const count = g.op('Max', [g.op('ReduceSum', [mask], { keepdims: 1 }, 'hist_count'), g.float('one', [1], [])], {}, 'hist_count_1'); // [1, 1], ≥ 1
  const user = g.op('Div', [sum, g.op('Mul', [count, g.float('sqrt_d', [Math.sqrt(width)], [])])], {}, 'user_vec'); // [1, 2D]
  const q = embed(g, tables, x.candidateItems, x.candidateCategories); // [C, 2D]
  const logits = g.op('MatMul', [q, g.op('Transpose', [user], { perm: [1, 0] })], {}, 'dot'); // [C, 1]
  const flat = g.op('Reshape', [logits, g.int64('flat_shape', [-1])], {}, 'dot_flat'); // [C]
  servingOutput(g, g.op('Sigmoid', [flat], {}, 'prob'));
  return g;
}
