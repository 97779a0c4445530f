/**
 * DIEN export forms compared (issue 4): the served graph (extractor = ONNX GRU op, AUGRU = Scan)
 * vs the same model with the AUGRU unrolled for T = 50. Session creation and per-request run time
 * at H = T = 50, C = 100, 1 thread, in onnxruntime-node (native) and onnxruntime-web (wasm, in
 * Node). Weights are a freshly initialised DIEN with the default sizes: timing does not depend on
 * their values; both forms are checked to give the same scores.
 *
 *   npx tsx bench/dienExportForms.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { SERVING_INPUTS, SERVING_OUTPUTS } from '../contract/manifest.js';
import { DienModel } from '../model-export/models/dien/dien.js';
import { defaultConfig } from '../model-export/models/index.js';
import { buildDienGraph } from '../model-export/onnx/exportDien.js';

const T = 50;
const C = 100;
const RUNS = 200;
ortWeb.env.wasm.numThreads = 1;

const model = new DienModel(defaultConfig('dien', 6000, 22), 1);
const weights = await model.params.snapshot();
const forms = {
  scan: buildDienGraph(model, weights, { augru: 'scan' }),
  unrolled: buildDienGraph(model, weights, { augru: { unrolledSteps: T } }),
};

const feeds = <Tensor>(make: (data: Int32Array, dims: number[]) => Tensor) => {
  const ids = (n: number, mod: number) => Int32Array.from({ length: n }, (_, i) => 2 + ((i * 7919) % mod));
  return {
    [SERVING_INPUTS.historyItems]: make(ids(T, 5990), [T]),
    [SERVING_INPUTS.historyCategories]: make(ids(T, 19), [T]),
    [SERVING_INPUTS.candidateItems]: make(ids(C, 5997), [C]),
    [SERVING_INPUTS.candidateCategories]: make(ids(C, 17), [C]),
  };
};

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

type Row = { form: string; runtime: string; nodes: number; bytes: number; createMs: number; p50Ms: number; p99Ms: number };
const rows: Row[] = [];
// Start both runtimes first so session-creation figures do not include ORT's own start-up.
await ortNode.InferenceSession.create(forms.scan.toBytes(), { intraOpNumThreads: 1 });
await ortWeb.InferenceSession.create(forms.scan.toBytes(), { executionProviders: ['wasm'] });
const outputs = new Map<string, Float32Array>();
for (const [form, graph] of Object.entries(forms)) {
  const bytes = graph.toBytes();
  for (const runtime of ['onnxruntime-node', 'onnxruntime-web (wasm)'] as const) {
    const t0 = performance.now();
    const session =
      runtime === 'onnxruntime-node'
        ? await ortNode.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 })
        : await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    const createMs = performance.now() - t0;
    const input = runtime === 'onnxruntime-node' ? feeds((d, s) => new ortNode.Tensor('int32', d, s)) : feeds((d, s) => new ortWeb.Tensor('int32', d, s));
    const times: number[] = [];
    let scores: Float32Array | undefined;
    for (let i = 0; i < RUNS + 10; i++) {
      const s = performance.now();
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const out = await (session as any).run(input);
      if (i >= 10) times.push(performance.now() - s);
      scores = out[SERVING_OUTPUTS.scores].data as Float32Array;
    }
    outputs.set(`${form}/${runtime}`, scores!);
    rows.push({ form, runtime, nodes: graph.size, bytes: bytes.length, createMs, p50Ms: pct(times, 0.5), p99Ms: pct(times, 0.99) });
  }
}
const ref = outputs.get('scan/onnxruntime-node')!;
let maxDiff = 0;
for (const s of outputs.values()) for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(s[i] - ref[i]));

const table = [
  `DIEN export forms, T = ${T}, C = ${C}, 1 thread, ${RUNS} runs (max |Δscore| between all forms/runtimes: ${maxDiff.toExponential(1)})`,
  '',
  '| form | runtime | nodes | bytes | session create ms | run p50 ms | run p99 ms |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.form} | ${r.runtime} | ${r.nodes} | ${r.bytes} | ${r.createMs.toFixed(1)} | ${r.p50Ms.toFixed(3)} | ${r.p99Ms.toFixed(3)} |`),
].join('\n');
console.log(table);
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/${new Date().toISOString().slice(0, 10)}-dien-export-forms.json`;
writeFileSync(file, JSON.stringify({ T, C, runs: RUNS, maxDiff, rows }, null, 1) + '\n');
console.log(`\nwritten to ${file}`);
