import { describe, expect, it } from 'vitest';
import { int8PerLastAxis, int8PerRow } from '../../model-export/onnx/int8Weights.js';

describe('int8 weight storage', () => {
  it('per last axis: one scale per column, error at most half a step, the column max maps to ±127', () => {
    // [3, 2]: column 0 spans ±4, column 1 spans ±0.01
    const w = Float32Array.from([4, 0.01, -1.3, -0.004, 0.5, 0.007]);
    const { values, scales } = int8PerLastAxis(w, [3, 2]);
    expect(Array.from(scales)).toEqual([Math.fround(4 / 127), Math.fround(0.01 / 127)]);
    expect(values[0]).toBe(127);
    expect(values[1]).toBe(127);
    w.forEach((v, i) => expect(Math.abs(values[i] * scales[i % 2] - v)).toBeLessThanOrEqual(scales[i % 2] / 2 + 1e-9));
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
