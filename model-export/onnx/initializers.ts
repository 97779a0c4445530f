/** Reading weights back out of an exported graph's initializers (derived graphs, fault injection, tests). */
import type { TensorProto } from 'onnx-buf';

/** A float initializer's values: raw little-endian bytes, or `float_data` (small tensors). */
export function initializerFloats(t: TensorProto): Float32Array {
  return t.rawData.length > 0 ? new Float32Array(new Uint8Array(t.rawData).buffer) : Float32Array.from(t.floatData);
}

/**
 * An embedding table `prefix` of an export as float32 [rows, D]: stored float (`<prefix>`), or int8
 * with one scale per row (`<prefix>.q`, `<prefix>.rowScale`: servingLayers.ts `embeddingTable`).
 */
export function embeddingTableOf(initializers: ReadonlyMap<string, TensorProto>, prefix: string): { shape: number[]; data: Float32Array } {
  const plain = initializers.get(prefix);
  if (plain) return { shape: plain.dims.map(Number), data: initializerFloats(plain) };
  const q = initializers.get(`${prefix}.q`);
  const scale = initializers.get(`${prefix}.rowScale`);
  if (!q || !scale) throw new Error(`the graph has no ${prefix} table`);
  const [rows, width] = q.dims.map(Number);
  const values = new Int8Array(new Uint8Array(q.rawData).buffer);
  const scales = initializerFloats(scale);
  const data = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) for (let d = 0; d < width; d++) data[r * width + d] = values[r * width + d] * scales[r];
  return { shape: [rows, width], data };
}
