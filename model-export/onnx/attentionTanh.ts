/**
 * Serving pass over an exported DIN graph (DIN, DIN + features, PLE over DIN): the local activation
 * unit's two sigmoids become tanh, with the constant factors folded into the weights, so the graph
 * computes the same function with a cheaper kernel.
 *
 *   σ(z) = ½ + ½·tanh(z / 2)
 *
 * Layer 1 (DIN eq. 3's first Linear): every term of z1 is linear in its weights, so halving them
 * (W_q, W_k, W_p or the tiled W, and b1) makes the graph's pre-activation z1/2; a1 = tanh(z1/2).
 * Layer 2 reads σ(z1) = ½ + ½·t1:  W2·σ(z1) + b2 = ½W2·t1 + (b2 + ½·Σ_i W2[i, ·]); halved again for
 * its own tanh: W2' = ¼W2, b2' = ½b2 + ¼·colsum(W2).  Output: w3' = ½w3, b3' = b3 + ½·Σw3.
 * Scaling by powers of two is exact in float32 and leaves int8 weights' integers unchanged (only
 * their per-column scales move); the dynamic int8 quantisation of a1 keeps its step too (tanh's
 * range is twice σ's and a1σ = ½ + ½t1). Outputs agree with the sigmoid graph to float rounding
 * (test/parity/attentionTanh.test.ts).
 *
 * Why: onnxruntime-web's wasm Sigmoid over DIN's [C, T, 80] and [C, T, 40] activations was the
 * largest single cost of a request (≈ 40 % profiled at H = 50, C = 100); its Tanh kernel is ≈ 0.6×
 * as expensive (bench/results: 2026-12-02-attention-tanh.md), ≈ 15 % of the whole run.
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProto_DataType, type ModelProto, type NodeProto, type TensorProto } from 'onnx-buf';
import { initializerFloats } from './initializers.js';

/** Name recorded in `training.graphPasses` of a manifest whose graph went through this pass. */
export const ATTENTION_TANH_PASS = 'attention-tanh';

/** Output-name hints of the activation unit's two sigmoids (onnx/exportDin.ts). */
export const ATTENTION_ACTIVATION_HINTS = ['att1', 'att2'] as const;

/**
 * Applies the pass to ONNX bytes. Returns the rewritten bytes, or `undefined` when the graph has
 * no sigmoid activation unit (not a DIN export, or already rewritten).
 */
export function attentionTanh(onnx: Uint8Array, prefix = 'att'): Uint8Array | undefined {
  const model = fromBinary(ModelProtoSchema, onnx);
  return rewrite(model, prefix) ? toBinary(ModelProtoSchema, model) : undefined;
}

function rewrite(model: ModelProto, prefix: string): boolean {
  const graph = model.graph;
  if (!graph) return false;
  const sigmoids = ATTENTION_ACTIVATION_HINTS.map((hint) => graph.node.filter((n) => n.opType === 'Sigmoid' && n.output.length === 1 && new RegExp(`^${hint}_\\d+$`).test(n.output[0])));
  if (sigmoids.every((found) => found.length === 0)) return false;
  if (sigmoids.some((found) => found.length !== 1)) throw new Error(`attention-tanh: expected one sigmoid per activation layer (${ATTENTION_ACTIVATION_HINTS.join(', ')}), found ${sigmoids.map((s) => s.length).join(', ')}`);
  const inits = new Map(graph.initializer.map((t) => [t.name, t]));
  const weight = (name: string) => new LinearWeight(inits, name);

  // Layer 1: halve every weight of the pre-activation (factored or tiled export).
  const factored = [`${prefix}.0.qd`, `${prefix}.0.kd`, `${prefix}.0.p3`];
  const layer1 = weight(`${prefix}.0.qd`).exists() ? factored : [`${prefix}.0.kernel`];
  for (const name of [...layer1, `${prefix}.0.bias`]) weight(name).scale(0.5);

  // Layer 2: W2' = ¼W2, b2' = ½b2 + ¼·colsum(W2) (colsum of the weights as the graph holds them).
  const w2 = weight(`${prefix}.1.kernel`);
  const colsum2 = w2.columnSums();
  weight(`${prefix}.1.bias`).update((b, j) => 0.5 * b + 0.25 * colsum2[j]);
  w2.scale(0.25);

  // Output: w3' = ½w3, b3' = b3 + ½·Σw3.
  const w3 = weight(`${prefix}.out.kernel`);
  const colsum3 = w3.columnSums();
  weight(`${prefix}.out.bias`).update((b, j) => b + 0.5 * colsum3[j]);
  w3.scale(0.5);

  for (const [node] of sigmoids) (node as NodeProto).opType = 'Tanh';
  return true;
}

/**
 * A [K, N] (or [N]) weight of the graph as the exporter stores it: a float32 initializer `name`, or
 * int8 values `name.q` with float scales `name.scale` (GraphBuilder int8 storage, int8MatMulConst),
 * in which case scaling the weight scales its scales.
 */
class LinearWeight {
  private readonly plain: TensorProto | undefined;
  private readonly q: TensorProto | undefined;
  private readonly qScale: TensorProto | undefined;

  constructor(inits: ReadonlyMap<string, TensorProto>, private readonly name: string) {
    this.plain = inits.get(name);
    this.q = inits.get(`${name}.q`);
    this.qScale = inits.get(`${name}.scale`);
    if (this.plain && this.plain.dataType !== TensorProto_DataType.FLOAT) throw new Error(`attention-tanh: ${name} is not float32`);
  }

  exists(): boolean {
    return this.plain !== undefined || this.qScale !== undefined;
  }

  scale(f: number): void {
    const t = this.plain ?? this.qScale;
    if (!t) throw new Error(`attention-tanh: the graph has no weight ${this.name}`);
    setFloats(t, initializerFloats(t).map((v) => v * f));
  }

  /** f(value, index) over a float32 vector weight (biases). */
  update(f: (value: number, index: number) => number): void {
    if (!this.plain) throw new Error(`attention-tanh: ${this.name} is not a float32 initializer`);
    setFloats(this.plain, initializerFloats(this.plain).map(f));
  }

  /** Σ over rows per column, in float64, of the values the graph multiplies by. */
  columnSums(): Float64Array {
    const t = this.plain ?? this.q;
    if (!t) throw new Error(`attention-tanh: the graph has no weight ${this.name}`);
    const dims = t.dims.map(Number);
    const cols = dims[dims.length - 1];
    const values = this.plain ? initializerFloats(this.plain) : dequantised(this.q!, this.qScale!, cols);
    const sums = new Float64Array(cols);
    values.forEach((v, i) => (sums[i % cols] += v));
    return sums;
  }
}

function dequantised(q: TensorProto, scale: TensorProto, cols: number): Float32Array {
  const ints = new Int8Array(new Uint8Array(q.rawData).buffer);
  const scales = initializerFloats(scale);
  if (scales.length !== cols && scales.length !== 1) throw new Error(`attention-tanh: ${q.name} has ${scales.length} scales for ${cols} columns`);
  return Float32Array.from(ints, (v, i) => v * scales[scales.length === 1 ? 0 : i % cols]);
}

function setFloats(t: TensorProto, values: Float32Array): void {
  t.rawData = new Uint8Array(Float32Array.from(values).buffer);
  t.floatData = [];
}
