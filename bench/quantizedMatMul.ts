/**
 * Does int8 pay in onnxruntime-web's wasm? The DIN graph's time is in its MatMuls, so a quantised
 * variant can only be ≥ 1.5× faster if int8 MatMuls are well over 1.5× faster than float32 ones in
 * the same runtime. Measured on DIN's own GEMM shapes at H = 50, C = 100 (the activation unit's
 * second layer [C·T, 80] × [80, 40] and the factored product term [C, 2D] × [2D, T·80]) and a
 * large square one, each as a one-node float32 graph vs ONNX's dynamic quantisation
 * (DynamicQuantizeLinear → MatMulInteger with int8 weights → Cast → Mul by the scales), which ORT
 * fuses into its DynamicQuantizeMatMul kernel. 1 thread, both runtimes, timed alternately.
 *
 *   npx tsx bench/quantizedMatMul.ts   → bench/results/<date>-quantized-matmul.json
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder } from '../model-export/onnx/graphBuilder.js';
import { createSession, RUNTIMES } from './lib/ortRuntimes.js';
import { REPO_ROOT } from './lib/servingModels.js';
import { mulberry32, round, timeInterleaved } from './lib/stats.js';

const SHAPES = [
  { label: 'DIN attention layer 2 (C·T × 80 × 40)', m: 5000, k: 80, n: 40 },
  { label: 'DIN product term (C × 2D × T·80)', m: 100, k: 32, n: 4000 },
  { label: 'square 512³', m: 512, k: 512, n: 512 },
];

function weights(k: number, n: number): Float32Array {
  const random = mulberry32(11);
  return Float32Array.from({ length: k * n }, () => random() - 0.5);
}

function floatGraph(k: number, n: number): Uint8Array {
  const g = new GraphBuilder('fp32');
  const a = g.input('a', 'float32', ['M', k]);
  g.output(g.op('MatMul', [a, g.weight('w', weights(k, n), [k, n])]), 'y', 'float32', ['M', n]);
  return g.toBytes();
}

/** Symmetric per-tensor int8 weights; activations quantised per request (uint8, asymmetric). */
function int8Graph(k: number, n: number): Uint8Array {
  const w = weights(k, n);
  const scale = w.reduce((m, x) => Math.max(m, Math.abs(x)), 0) / 127;
  const g = new GraphBuilder('int8');
  const a = g.input('a', 'float32', ['M', k]);
  const [aq, aScale, aZero] = g.opOutputs('DynamicQuantizeLinear', [a], 3, {}, 'a_q'); // uint8 [M, k], scale, zero point
  const wq = g.int8('w_q', Int8Array.from(w, (x) => Math.round(x / scale)), [k, n]);
  const acc = g.op('MatMulInteger', [aq, wq, aZero, g.int8('w_zero', new Int8Array(1), [])]); // int32
  const y = g.op('Mul', [g.op('Cast', [acc], { to: 1 }), g.op('Mul', [aScale, g.float('w_scale', [scale], [])])]);
  g.output(y, 'y', 'float32', ['M', n]);
  return g.toBytes();
}

const rows = [];
for (const shape of SHAPES) {
  const random = mulberry32(5);
  const a = Float32Array.from({ length: shape.m * shape.k }, () => random() - 0.5);
  for (const runtime of RUNTIMES) {
    const sessions = await Promise.all([createSession(runtime, floatGraph(shape.k, shape.n)), createSession(runtime, int8Graph(shape.k, shape.n))]);
    const runners = sessions.map((s) => s.runner({ a: { type: 'float32', data: a, dims: [shape.m, shape.k] } }, ['y']));
    const [fp32, int8] = await timeInterleaved(runners, { warmup: 5, minRuns: 30, maxRuns: 2000, budgetMs: 1500 });
    const macs = shape.m * shape.k * shape.n;
    const row = {
      shape: shape.label,
      runtime,
      fp32P50Ms: round(fp32.p50Ms, 3),
      int8P50Ms: round(int8.p50Ms, 3),
      speedup: round(fp32.p50Ms / int8.p50Ms, 2),
      fp32Gflops: round((2 * macs) / (fp32.p50Ms * 1e6), 1),
      int8Gops: round((2 * macs) / (int8.p50Ms * 1e6), 1),
    };
    rows.push(row);
    console.log(JSON.stringify(row));
    await Promise.all(sessions.map((s) => s.release()));
  }
}
const out = join(REPO_ROOT, 'bench/results', `${new Date().toISOString().slice(0, 10)}-quantized-matmul.json`);
mkdirSync(join(REPO_ROOT, 'bench/results'), { recursive: true });
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), rows }, null, 1) + '\n');
console.log(`wrote ${out}`);
