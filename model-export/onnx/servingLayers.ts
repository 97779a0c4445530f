/**
 * Graph pieces shared by the exporters, in the serving shape: ONE history [T] and C candidates.
 * Every piece mirrors a tfjs layer in model-export/layers/ and reads that layer's weights by name.
 */
import { DICE_EPSILON, type Activation } from '../layers/activations.js';
import type { MlpSpec } from '../layers/mlp.js';
import { INT8_STORAGE_MIN_VALUES, ONNX_FLOAT, type GraphBuilder } from './graphBuilder.js';
import { int8PerRow } from './int8Weights.js';
import { rowsOf, weightOf, type WeightMap } from './weights.js';
import { ITEM_ROW_INPUTS } from '../../contract/itemRows.js';
import { SERVING_INPUTS } from '../../contract/manifest.js';
import { isQrItemTable, qrItemTable, qrLookup, type QrItemTable } from './qrEmbedding.js';

/** An embedding table in the graph: float32 rows, or int8 rows with one float scale per row; or rows fed as inputs. */
export interface EmbeddingTable {
  values: string;
  /** [rows, 1] float scales when `values` is int8. */
  rowScales?: string;
  /** The rows come as graph inputs (contract/itemRows.ts): `width` values each. */
  external?: { width: number };
}

/**
 * Add the two embedding tables as initializers (once per graph). Under int8 weight storage a large
 * table is stored int8 per row and only the gathered rows are rescaled (see `lookup`), so a
 * request dequantises H + C rows, not the whole vocabulary.
 */
export function embeddingTables(g: GraphBuilder, w: WeightMap): { item: EmbeddingTable | QrItemTable; category: EmbeddingTable } {
  // Hashed item ids: the quotient-remainder pair (onnx/qrEmbedding.ts) stands for `emb.item`.
  return { item: qrItemTable(g, w) ?? embeddingTable(g, w, 'emb.item'), category: embeddingTable(g, w, 'emb.category') };
}

/** One embedding table as an initializer (int8 per row when the storage says so and it is large). */
export function embeddingTable(g: GraphBuilder, w: WeightMap, name: string): EmbeddingTable {
  const t = weightOf(w, name);
  const [rows, width] = t.shape;
  if (name === 'emb.item' && g.itemRows === 'inputs') return { values: '', external: { width } };
  if (g.weightStorage !== 'int8' || t.data.length < INT8_STORAGE_MIN_VALUES) return { values: g.float32(name, t.data, t.shape) };
  const q = int8PerRow(t.data, rows, width);
  return { values: g.int8(`${name}.q`, q.values, t.shape), rowScales: g.float32(`${name}.rowScale`, q.scales, [rows, 1]) };
}

/** Rows `ids` [N] (or [N, M]) of a table → [N, D] (or [N, M, D]) float. */
export function lookup(g: GraphBuilder, table: EmbeddingTable, ids: string, hint: string): string {
  if (table.external) return rowInput(g, ids, table.external.width);
  const rows = g.op('Gather', [table.values, ids], { axis: 0 }, hint);
  if (!table.rowScales) return rows;
  const scales = g.op('Gather', [table.rowScales, ids], { axis: 0 }, `${hint}_scale`); // [N, 1]
  return g.op('Mul', [g.op('Cast', [rows], { to: ONNX_FLOAT }), scales], {}, `${hint}_f`);
}

/** The graph input that carries the rows of `ids` (the history's or the candidates'), declared once. */
function rowInput(g: GraphBuilder, ids: string, width: number): string {
  const name = ids === SERVING_INPUTS.historyItems ? ITEM_ROW_INPUTS.history : ids === SERVING_INPUTS.candidateItems ? ITEM_ROW_INPUTS.candidates : undefined;
  if (!name) throw new Error(`item rows outside the graph: no row input for ids "${ids}" (only the history and the candidates have one)`);
  if (!g.inputList().some((i) => i.name === name)) g.input(name, 'float32', [name === ITEM_ROW_INPUTS.history ? 'T' : 'C', width]);
  return name;
}

/** items, categories [N] (+ candidate-attribute vectors [N, w]) → [N, 2D + Σw] (layers/behaviourEmbedding.ts). */
export function embed(g: GraphBuilder, tables: { item: EmbeddingTable | QrItemTable; category: EmbeddingTable }, items: string, categories: string, attributes: readonly string[] = []): string {
  const e = isQrItemTable(tables.item) ? qrLookup(g, tables.item, items, 'item_emb') : lookup(g, tables.item, items, 'item_emb'); // [N, D]
  const c = lookup(g, tables.category, categories, 'cat_emb'); // [N, D]
  return g.op('Concat', [e, c, ...attributes], { axis: 1 }, 'behaviour'); // [N, 2D (+ Σw)]
}

/** 1.0 where the history holds a behaviour, 0.0 on padding (index 0): [T]. */
export function historyMask(g: GraphBuilder, historyItems: string): string {
  const isPad = g.op('Equal', [historyItems, g.int32('pad_index', [0], [])], {}, 'is_pad'); // [T] bool
  return g.op('Cast', [g.op('Not', [isPad], {}, 'is_real')], { to: ONNX_FLOAT }, 'mask'); // [T]
}

/**
 * The MLP head (layers/mlp.ts) → probabilities [C].
 * `parts` are the pieces of the tfjs input concat, in order, each [C, width] or [1, width]:
 * the first layer is split by rows into one MatMul per part, so a history-only part computed as
 * [1, width] is multiplied once and broadcast over the candidates instead of tiled.
 */
export function mlpHead(g: GraphBuilder, w: WeightMap, spec: MlpSpec, parts: Array<{ tensor: string; width: number }>): string {
  return g.op('Sigmoid', [mlpLogit(g, w, spec, parts)], {}, 'prob'); // [C]
}

/** mlpHead without the final sigmoid: logits [C]. */
export function mlpLogit(g: GraphBuilder, w: WeightMap, spec: MlpSpec, parts: Array<{ tensor: string; width: number }>): string {
  let h = '';
  spec.hidden.forEach((units, i) => {
    const prefix = `${spec.name}.${i}`;
    let z: string;
    if (i === 0) {
      let row = 0;
      const terms = parts.map((p, j) => {
        const slice = rowsOf(w, `${prefix}.kernel`, row, row + p.width);
        row += p.width;
        return g.op('MatMul', [p.tensor, g.weight(`${prefix}.kernel.part${j}`, slice.data, slice.dims)], {}, `${spec.name}${i}_part`);
      });
      if (row !== spec.inputs) throw new Error(`MLP parts cover ${row} inputs, the layer has ${spec.inputs}`);
      z = terms.reduce((acc, t) => g.op('Add', [acc, t], {}, `${spec.name}${i}_sum`));
    } else {
      const k = weightOf(w, `${prefix}.kernel`);
      z = g.op('MatMul', [h, g.weight(`${prefix}.kernel`, k.data, k.shape)], {}, `${spec.name}${i}_mm`);
    }
    const b = weightOf(w, `${prefix}.bias`);
    z = g.op('Add', [z, g.weight(`${prefix}.bias`, b.data, b.shape)], {}, `${spec.name}${i}_z`); // [C, units]
    h = activation(g, w, `${prefix}.act`, spec.activation, z, units);
  });
  const k = weightOf(w, `${spec.name}.out.kernel`);
  const b = weightOf(w, `${spec.name}.out.bias`);
  const logit = g.op('Add', [g.op('MatMul', [h, g.weight(`${spec.name}.out.kernel`, k.data, k.shape)]), g.weight(`${spec.name}.out.bias`, b.data, b.shape)], {}, 'logit'); // [C, 1]
  return g.op('Reshape', [logit, g.int64('flat_shape', [-1])], {}, 'logit_flat'); // [C]
}

/** layers/activations.ts at inference. */
function activation(g: GraphBuilder, w: WeightMap, name: string, kind: Activation, z: string, units: number): string {
  switch (kind) {
    case 'relu':
      return g.op('Relu', [z]);
    case 'sigmoid':
      return g.op('Sigmoid', [z]);
    case 'prelu': {
      const alpha = weightOf(w, `${name}.alpha`);
      return g.op('PRelu', [z, g.weight(`${name}.alpha`, alpha.data, [units])]);
    }
    case 'dice': {
      // DIN eq. (9) with the moving moments: p = sigmoid((z − m) / sqrt(v + ε)) = sigmoid(z·inv + shift),
      // out = z·(α + p·(1 − α)). inv and shift are folded here in float64.
      const mean = weightOf(w, `${name}.movingMean`).data;
      const variance = weightOf(w, `${name}.movingVariance`).data;
      const alpha = weightOf(w, `${name}.alpha`).data;
      const inv = variance.map((v) => 1 / Math.sqrt(v + DICE_EPSILON));
      const shift = mean.map((m, i) => -m * inv[i]);
      const p = g.op('Sigmoid', [g.op('Add', [g.op('Mul', [z, g.weight(`${name}.inv`, inv, [units])]), g.weight(`${name}.shift`, shift, [units])])], {}, 'dice_p');
      const gate = g.op('Add', [g.weight(`${name}.alpha`, alpha, [units]), g.op('Mul', [p, g.weight(`${name}.oneMinusAlpha`, alpha.map((a) => 1 - a), [units])])], {}, 'dice_gate');
      return g.op('Mul', [z, gate], {}, 'dice');
    }
  }
}
