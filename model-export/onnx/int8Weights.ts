/**
 * int8 storage of float weights (issue 7's upload budget): symmetric, zero point 0, one scale per
 * index of one axis (an output channel), scale = max|w| / 127. Weights stored this way are 4×
 * smaller and gzip about as well as random bytes, so the saving carries over to the compressed
 * upload; the graph multiplies them back to float32 (folded by onnxruntime at session creation, or
 * Gather-then-rescale for embedding rows), so only the weights' rounding changes the scores. The
 * accuracy cost is recorded in each int8 export's manifest and measured by bench/quantized.ts.
 */

/** Symmetric int8 with `scales[scaleOf(i)]` for the flat index i. */
function quantize(w: Float32Array, scaleOf: (i: number) => number, scales: Float32Array): Int8Array {
  // A loop, not Int8Array.from(w, fn): V8 materialises the mapped values as a JS array first, which
  // fails past ~1.3·10⁸ values (a 10⁷-item table at D = 16).
  const out = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) out[i] = Math.max(-127, Math.min(127, Math.round(w[i] / scales[scaleOf(i)])));
  return out;
}

function scaleFor(max: number): number {
  return max > 0 ? max / 127 : 1;
}

/**
 * One scale per index of `axis` (row-major `dims`): the last axis for a [K, N] MatMul weight (one
 * per output column), axis 1 for an ONNX GRU weight [1, 3H, in] (one per gate unit).
 */
export function int8PerAxis(w: Float32Array, dims: number[], axis = dims.length - 1): { values: Int8Array; scales: Float32Array } {
  const n = dims[axis];
  const stride = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const scaleOf = (i: number) => Math.floor(i / stride) % n;
  const max = new Float32Array(n);
  w.forEach((v, i) => {
    const j = scaleOf(i);
    max[j] = Math.max(max[j], Math.abs(v));
  });
  const scales = max.map(scaleFor);
  return { values: quantize(w, scaleOf, scales), scales };
}

/** One scale per ROW of a [rows, width] table (embedding rows differ in norm by orders of magnitude). */
export function int8PerRow(w: Float32Array, rows: number, width: number): { values: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let j = 0; j < width; j++) max = Math.max(max, Math.abs(w[r * width + j]));
    scales[r] = scaleFor(max);
  }
  return { values: quantize(w, (i) => Math.floor(i / width), scales), scales };
}
