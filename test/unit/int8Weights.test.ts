import { describe, expect, it } from 'vitest';
import { GraphBuilder, INT8_STORAGE_MIN_VALUES } from '../../model-export/onnx/graphBuilder.js';
import { int8PerAxis, int8PerRow } from '../../model-export/onnx/int8Weights.js';

describe('int8 weight storage', () => {
  it('per last axis: one scale per column, error at most half a step, the column max maps to ±127', () => {
    // [3, 2]: column 0 spans ±4, column 1 spans ±0.01
    const w = Float32Array.from([4, 0.01, -1.3, -0.004, 0.5, 0.007]);
    const { values, scales } = int8PerAxis(w, [3, 2]);
    expect(Array.from(scales)).toEqual([Math.fround(4 / 127), Math.fround(0.01 / 127)]);
    expect(values[0]).toBe(127);
    expect(values[1]).toBe(127);
    w.forEach((v, i) => expect(Math.abs(values[i] * scales[i % 2] - v)).toBeLessThanOrEqual(scales[i % 2] / 2 + 1e-9));
  });

  it('per a middle axis: one scale per gate unit of a GRU weight [1, 3H, in]', () => {
    // [1, 2, 3]: unit 0 spans ±6, unit 1 spans ±0.3
    const w = Float32Array.from([6, -2.9, 1, 0.3, -0.1, 0.2]);
    const { values, scales } = int8PerAxis(w, [1, 2, 3], 1);
    expect(Array.from(scales)).toEqual([Math.fround(6 / 127), Math.fround(0.3 / 127)]);
    expect(Array.from(values)).toEqual([127, Math.round((-2.9 / 6) * 127), Math.round((1 / 6) * 127), 127, Math.round((-0.1 / 0.3) * 127), Math.round((0.2 / 0.3) * 127)]);
  });

  it('GraphBuilder stores large matrices as int8 but keeps vectors float32 (one scale per value would grow them)', () => {
    const g = new GraphBuilder('t', undefined, { weights: 'int8' });
    const n = INT8_STORAGE_MIN_VALUES * 2;
    g.output(g.weight('matrix', new Float32Array(n).fill(0.5), [64, n / 64]), 'a', 'float32', [64, n / 64]);
    g.output(g.weight('gate', new Float32Array(n).fill(0.5), [1, 64, n / 64], { int8Axis: 1 }), 'b', 'float32', [1, 64, n / 64]);
    g.output(g.weight('vector', new Float32Array(n).fill(0.5), [1, n]), 'c', 'float32', [1, n]);
    const types = new Map(g.toGraph().initializer.map((t) => [t.name, { type: t.dataType, dims: t.dims.map(Number) }]));
    expect(types.get('matrix.q')?.dims).toEqual([64, n / 64]);
    expect(types.get('matrix.scale')?.dims).toEqual([n / 64]);
    expect(types.get('gate.scale')?.dims).toEqual([1, 64, 1]);
    expect(types.has('vector')).toBe(true);
    expect(types.has('vector.q')).toBe(false);
  });

  it('per row: rows of very different norms keep their relative precision; an all-zero row stays zero', () => {
    const w = Float32Array.from([1e-3, -5e-4, 0, 0, 30, -12]);
    const { values, scales } = int8PerRow(w, 3, 2);
    expect(scales[1]).toBe(1); // no division by zero
    expect(Array.from(values.subarray(2, 4))).toEqual([0, 0]);
    for (let r = 0; r < 3; r++) {
      for (let j = 0; j < 2; j++) {
        const v = w[r * 2 + j];
        expect(Math.abs(values[r * 2 + j] * scales[r] - v)).toBeLessThanOrEqual(Math.abs(scales[r]) / 2 + 1e-9);
      }
    }
    expect(values[0]).toBe(127);
    expect(values[5]).toBe(Math.round((-12 / 30) * 127));
  });
});
