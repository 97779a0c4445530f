/**
 * The quotient-remainder item embedding in the serving graph (mirror of layers/qrEmbedding.ts;
 * Shi et al., KDD 2020, element-wise product — the paper's best combination):
 *
 *   q = Div(i, m), r = i − q·m  (int32; i ≥ 0, so integer Div's truncation is the floor)
 *   e = Gather(Q, q) ⊙ Gather(R, r)
 *
 * `i mod m` is written as Sub/Mul rather than ONNX `Mod`: the result is the same for i ≥ 0, and
 * int32 Div, Mul and Sub are elementwise kernels every onnxruntime execution provider has (the
 * WASM CPU one has int32 Mod too; WebGPU falling back to CPU for one node would cost a copy).
 */
import { QR_TABLES } from '../layers/qrEmbedding.js';
import type { GraphBuilder } from './graphBuilder.js';
import { embeddingTable, lookup, type EmbeddingTable } from './servingLayers.js';
import type { WeightMap } from './weights.js';

export interface QrItemTable {
  kind: 'quotient-remainder';
  quotient: EmbeddingTable;
  remainder: EmbeddingTable;
  /** The int32 scalar initializer holding m. */
  m: string;
}

/** The two tables (float32, or int8 per row under int8 storage like any table) and m, or undefined when `w` has a plain `emb.item`. */
export function qrItemTable(g: GraphBuilder, w: WeightMap): QrItemTable | undefined {
  const remainder = w.get(QR_TABLES.remainder);
  if (!w.has(QR_TABLES.quotient) || !remainder) return undefined;
  return {
    kind: 'quotient-remainder',
    quotient: embeddingTable(g, w, QR_TABLES.quotient),
    remainder: embeddingTable(g, w, QR_TABLES.remainder),
    m: g.int32('qr_m', [remainder.shape[0]], []),
  };
}

export function isQrItemTable(t: EmbeddingTable | QrItemTable): t is QrItemTable {
  return (t as QrItemTable).kind === 'quotient-remainder';
}

/** Item indices `ids` [N] → Q[⌊i/m⌋] ⊙ R[i mod m], [N, D] float. */
export function qrLookup(g: GraphBuilder, t: QrItemTable, ids: string, hint: string): string {
  const q = g.op('Div', [ids, t.m], {}, `${hint}_q_index`); // [N] int32
  const r = g.op('Sub', [ids, g.op('Mul', [q, t.m], {}, `${hint}_qm`)], {}, `${hint}_r_index`); // [N] int32
  return g.op('Mul', [lookup(g, t.quotient, q, `${hint}_q`), lookup(g, t.remainder, r, `${hint}_r`)], {}, hint); // [N, D]
}
