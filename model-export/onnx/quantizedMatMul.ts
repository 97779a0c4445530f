/**
 * int8 matrix products for the serving graphs (issue 7's quantised variant): activations are
 * quantised per request with ONNX's DynamicQuantizeLinear (uint8, asymmetric, per tensor), weights
 * ahead of time (int8, symmetric, one scale per output column), and multiplied with MatMulInteger
 * into int32, then rescaled to float. onnxruntime runs these on its integer GEMM kernels, which in
 * wasm SIMD are 1.6–2.6× faster than its float32 ones (bench/quantizedMatMul.ts).
 */
import type { GraphBuilder } from './graphBuilder.js';

/** x [..., K] (float, dynamic) × constant W [K, N] → [..., N] float. */
export function int8MatMulConst(g: GraphBuilder, x: string, w: Float32Array, k: number, n: number, name: string): string {
  const scales = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    let max = 0;
    for (let i = 0; i < k; i++) max = Math.max(max, Math.abs(w[i * n + j]));
    scales[j] = max > 0 ? max / 127 : 1;
  }
  const wq = Int8Array.from(w, (v, idx) => Math.max(-127, Math.min(127, Math.round(v / scales[idx % n]))));
  const [xq, xScale, xZero] = g.opOutputs('DynamicQuantizeLinear', [x], 3, {}, `${name}_xq`);
  const acc = g.op('MatMulInteger', [xq, g.int8(`${name}.q`, wq, [k, n]), xZero, g.int8(`${name}.zero`, new Int8Array(n), [n])], {}, `${name}_acc`); // int32
  const scale = g.op('Mul', [xScale, g.float32(`${name}.scale`, scales, [n])], {}, `${name}_scale`); // [N]
  return g.op('Mul', [g.op('Cast', [acc], { to: 1 }), scale], {}, `${name}_y`);
}

/** a [M, K] × b [K, N], both float and dynamic → [M, N] float. */
export function int8MatMulDynamic(g: GraphBuilder, a: string, b: string, name: string): string {
  const [aq, aScale, aZero] = g.opOutputs('DynamicQuantizeLinear', [a], 3, {}, `${name}_aq`);
  const [bq, bScale, bZero] = g.opOutputs('DynamicQuantizeLinear', [b], 3, {}, `${name}_bq`);
  const acc = g.op('MatMulInteger', [aq, bq, aZero, bZero], {}, `${name}_acc`); // int32
  return g.op('Mul', [g.op('Cast', [acc], { to: 1 }), g.op('Mul', [aScale, bScale])], {}, `${name}_y`);
}
