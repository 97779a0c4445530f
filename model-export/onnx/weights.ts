/** Read-only access to a trained model's weights by name, as exported graphs need them. */
export type WeightMap = Map<string, { shape: number[]; data: Float32Array }>;

export function weightOf(w: WeightMap, name: string): { shape: number[]; data: Float32Array } {
  const t = w.get(name);
  if (!t) throw new Error(`exported graph needs weight "${name}", which the model does not have`);
  return t;
}

/** Rows [start, end) of a [rows, cols] matrix. */
export function rowsOf(w: WeightMap, name: string, start: number, end: number): { data: Float32Array; dims: number[] } {
  const { shape, data } = weightOf(w, name);
  const cols = shape[1];
  return { data: data.slice(start * cols, end * cols), dims: [end - start, cols] };
}

/** Elementwise a ∘ b of two same-shaped weights, computed in float64 and rounded once. */
export function combine(w: WeightMap, a: string, b: string, f: (x: number, y: number) => number): { data: Float32Array; dims: number[] } {
  const ta = weightOf(w, a);
  const tb = weightOf(w, b);
  if (ta.data.length !== tb.data.length) throw new Error(`cannot combine ${a} and ${b}: shapes differ`);
  return { data: ta.data.map((x, i) => f(x, tb.data[i])), dims: ta.shape };
}
