/**
 * Session options for every onnxruntime-node session that produces reference numbers (golden
 * requests, test-split metrics, parity tests). One thread, and `session.x64quantprecision`: on x86
 * CPUs without VNNI (AVX2-only, e.g. AMD Zen 2/3), onnxruntime's u8×s8 MatMulInteger kernel adds
 * pairs of products in 16-bit lanes (`vpmaddubsw`) and saturates, so int8 graphs give different
 * scores there (6e-4 on the shipped DIN) than on VNNI/AVX-512 machines and than onnxruntime-web's
 * wasm, which serves. The option makes onnxruntime widen to u8×u8 with 16-bit products on such CPUs
 * (microsoft/onnxruntime#12088): exact integer results everywhere, slower on those CPUs only.
 * Benchmarks time onnxruntime-node as shipped, without it.
 */
import type { InferenceSession } from 'onnxruntime-node';

export function nodeSessionOptions(extra: InferenceSession.SessionOptions = {}): InferenceSession.SessionOptions {
  return { intraOpNumThreads: 1, ...extra, extra: { session: { x64quantprecision: '1' } } };
}
