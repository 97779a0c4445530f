/**
 * The practical peak of a runtime: one N×N×N float32 MatMul as a one-node ONNX graph (B a constant
 * initializer, as a dense layer's weights are, so the runtime may pre-pack it), 1 thread.
 * GFLOP/s = 2·N³ / time. bench/compute.ts times it alternately with the DIN graph.
 */
import { GraphBuilder } from '../model-export/onnx/graphBuilder.js';
import { createSession, type Runtime } from './lib/ortRuntimes.js';
import { mulberry32, type Timing } from './lib/stats.js';

export interface MatmulPeak extends Timing {
  n: number;
  gflops: number;
}

export function matmulGraph(n: number): Uint8Array {
  const random = mulberry32(3);
  const g = new GraphBuilder('matmul');
  const a = g.input('a', 'float32', [n, n]);
  const b = g.weight('b', Float32Array.from({ length: n * n }, () => random() - 0.5), [n, n]);
  g.output(g.op('MatMul', [a, b]), 'y', 'float32', [n, n]);
  return g.toBytes();
}

/** A session of the MatMul graph and a closure running it on a random A. */
export async function matmulRunner(runtime: Runtime, n: number): Promise<{ run: () => Promise<unknown>; release: () => Promise<void> }> {
  const random = mulberry32(5);
  const session = await createSession(runtime, matmulGraph(n));
  const run = session.runner({ a: { type: 'float32', data: Float32Array.from({ length: n * n }, () => random() - 0.5), dims: [n, n] } }, ['y']);
  return { run, release: () => session.release() };
}

/** 2 × multiply-adds / time. */
export function gflops(macs: number, ms: number): number {
  return (2 * macs) / (ms * 1e6);
}
