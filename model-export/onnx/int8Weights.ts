/**
 * int8 storage of float weights (issue 7's upload budget): symmetric, zero point 0, one scale per
 * slice, scale = max|w| / 127. Weights stored this way are 4× smaller and gzip about as well as
 * random bytes, so the saving carries over to the compressed upload; the arithmetic stays float32
 * (DequantizeLinear at run time, or Gather-then-rescale for embedding rows), so only rounding of
 * the weights changes the scores. The accuracy cost is measured by bench/quantized.ts.
 */

/** Per-slice symmetric int8: `slices` groups of values, `stride` apart (see the two helpers). */
function quantize(w: Float32Array, scaleOf: (i: number) => number, scales: Float32Array): Int8Array {
  return Int8Array.from(w, (v, i) => Math.max(-127, Math.min(127, Math.round(v / scales[scaleOf(i)]))));
}

function scaleFor(max: number): number {
  return max > 0 ? max / 127 : 1;
}

/** One scale per index of the LAST axis (per output column of a [K, N] MatMul weight). */
export function int8PerLastAxis(w: Float32Array, dims: number[]): { values: Int8Array; scales: Float32Array } {
  const n = dims[dims.length - 1];
  const max = new Float32Array(n);
  w.forEach((v, i) => {
    max[i % n] = Math.max(max[i % n], Math.abs(v));
  });
  const scales = max.map(scaleFor);
  return { values: quantize(w, (i) => i % n, scales), scales };
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
