/**
 * Every benchmark suite, by name: what it measures, the script that runs it and the result files it
 * writes (bench/results/<date>-<tag>.md; the core suite writes <date>.md). `npm run bench -- --list`
 * prints this table with each suite's latest result; docs/benchmarks.md has the same table.
 * The core suite's parts live beside it: compute.ts (with dinForms, dienForms, matmulPeak, dinMacs),
 * endToEnd.ts (with cpuProfile), footprint.ts, training.ts; shared helpers are in bench/lib/.
 */
export interface Suite {
  name: string;
  script: string;
  what: string;
  /** Result file tag: bench/results/<date>-<tag>.md (`''`: <date>.md). Undefined: prints only. */
  tag?: string;
}

export const SUITES: Suite[] = [
  { name: 'core', script: 'bench/core.ts', tag: '', what: 'compute (tfjs vs onnxruntime node/web), the worker end to end, footprint, training: the default' },
  { name: 'direct', script: 'bench/direct.ts', tag: 'direct', what: 'steady state through wrangler dev and workerd directly; the worker’s own cost inside workerd' },
  { name: 'cold', script: 'bench/coldCurve.ts', tag: 'cold', what: 'latency by request index in fresh isolates (ORT’s wasm tiering up)' },
  { name: 'startup', script: 'bench/startupCpu.ts', tag: 'startup', what: 'start-up CPU per ORT start setting (wrangler check startup)' },
  { name: 'browser', script: 'bench/browser.ts', tag: 'browser', what: 'the browser library in Chromium: first visit per model and execution provider' },
  { name: 'cascade', script: 'bench/cascade.ts', tag: 'cascade', what: 'cascade (dot first stage + DIN) against full DIN at C = 1000: recall, AUC, CPU' },
  { name: 'catalogue', script: 'bench/catalogue.ts', tag: 'catalogue', what: 'catalogues of 10⁴–10⁷ items: item rows in the graph, in a row store, or hashed; export, deploy check, worker load, memory, warm/cold-cache latency, page bytes, training samples/s' },
  { name: 'data', script: 'bench/data.ts', tag: 'data', what: 'the data pipeline at 10⁵–10⁷ generated interactions (CSV, in memory) and, with --parquet 1e6,1e7,1e8, as Parquet out of core (DuckDB): time and memory to the first batch, samples/s' },
  { name: 'crawler', script: 'bench/crawler.ts', tag: 'crawler', what: 'one crawler (3·10⁶ events) in a shop’s Parquet log, streamed out of core: memory and training share with the default maxUserBehaviours cap and without' },
  { name: 'trainers', script: 'bench/trainers.ts', tag: 'trainers', what: 'training paths on the same data: tfjs against the PyTorch DDP reference trainer (torchrun, 1 and 2 processes): samples/s, test AUC/GAUC' },
  { name: 'features', script: 'bench/featureRequestCost.ts', tag: 'features', what: 'request cost of feature columns (profile, attributes, context)' },
  { name: 'multitask', script: 'bench/multiTaskCost.ts', tag: 'multitask', what: 'cost of the multi-task heads (shared-bottom, MMoE, CGC, PLE) against DIN' },
  { name: 'tanh', script: 'bench/attentionTanh.ts', tag: 'attention-tanh', what: 'sigmoid vs tanh activation unit, both runtimes, and the kernels alone' },
  { name: 'attention-width', script: 'bench/attentionWidth.ts', tag: 'attention-width', what: 'DIN activation-unit widths: test GAUC over seeds beside int8 wasm time' },
  { name: 'model-cost', script: 'bench/modelCost.ts', tag: 'model-cost', what: 'fits each manifest’s CPU cost model (writes `cost` into the manifests)' },
  { name: 'ab', script: 'bench/ab/coverage.ts', tag: 'ab', what: 'A/B readout coverage: 20 seeded simulated experiments through wrangler dev and the D1 store (planted lift, none, 52/48 SRM)' },
  { name: 'replay', script: 'bench/ab/replay.ts', tag: 'replay', what: 'offline replay of held-out MovieLens users: hit rate @ K per variant of home and the lift a live test would see' },
  { name: 'soak', script: 'bench/soak/run.ts', tag: 'soak', what: 'reliability: load, fuzz, transport faults, attacks and model faults against wrangler dev' },
  { name: 'quantized', script: 'bench/quantized.ts', tag: 'quantized-din', what: 'int8 against float32 exports: size, time, metric loss' },
  { name: 'quantized-matmul', script: 'bench/quantizedMatMul.ts', tag: 'quantized-matmul', what: 'int8 attention products (MatMulInteger) against float32' },
  { name: 'dien-export-forms', script: 'bench/dienExportForms.ts', tag: 'dien-export-forms', what: 'DIEN export forms compared' },
];
