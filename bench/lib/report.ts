/** The markdown report of one run: one table per measurement, each figure beside its reference. */
import type { ComputeResults } from '../compute.js';
import type { EndToEndResults } from '../endToEnd.js';
import type { FootprintResults } from '../footprint.js';
import { kib, mib, ms, num, pct, ratio, table } from './markdown.js';
import { RUNTIME_LABEL, RUNTIMES } from './ortRuntimes.js';
import { NOISY_LOAD, type LoadSample, type SystemInfo } from './system.js';
import type { TargetCheck } from './targets.js';
import type { TrainingResults } from '../training.js';

export function renderHeader(o: { date: string; system: SystemInfo; loads: LoadSample[]; seconds: number; quick: boolean; sections: string[] }): string {
  // Samples taken during the run include the benchmark's own ≈ 1 core; the one before it is the machine's.
  const before = o.loads[0]?.loadAverage[0] ?? Number.NaN;
  const loads = o.loads.map((l) => `${l.label} ${l.loadAverage[0].toFixed(2)}`).join(', ');
  return [
    `# Benchmarks ${o.date}${o.quick ? ' (--quick: development run, too few runs to compare)' : ''}`,
    '',
    `Commit ${o.system.commit}${o.system.dirty ? ' + uncommitted changes' : ''}; ${o.system.cpu}, ${o.system.cores} cores; Node ${o.system.node}; ` +
      Object.entries(o.system.packages)
        .map(([p, v]) => `${p} ${v}`)
        .join(', ') +
      '.',
    `Sections: ${o.sections.join(', ')}; ${o.seconds.toFixed(0)} s in all.`,
    `1-minute load average: ${loads} (samples after the start include the benchmark's own load).` +
      (before > NOISY_LOAD
        ? ` **Noisy: the machine's load was ${before.toFixed(2)} (> ${NOISY_LOAD} on ${o.system.cores} cores) when the run started; read ratios, not absolute figures.**`
        : ''),
  ].join('\n');
}

export function renderCompute(c: ComputeResults): string {
  const grid = table(
    ['model', 'H', 'C', 'wasm p50 ms', 'wasm p99 ms', 'native p50 ms', 'native p99 ms', 'wasm / native (p50)', 'runs wasm / native'],
    c.grid.map((g) => [g.model, g.H, g.C, ms(g.wasm.p50Ms), ms(g.wasm.p99Ms), ms(g.native.p50Ms), ms(g.native.p99Ms), ratio(g.wasmOverNative), `${g.wasm.runs} / ${g.native.runs}`]),
  );
  const f = c.dinForms;
  const forms = table(
    ['DIN attention form', 'nodes', 'MACs / request', ...RUNTIMES.map((r) => `${RUNTIME_LABEL[r]} p50 ms`)],
    [
      ['factored (served)', f.nodes.factored, `${num(f.macs.factored / 1e6)} M`, ...RUNTIMES.map((r) => ms(f.runtimes[r].factored.p50Ms))],
      ['tiled', f.nodes.tiled, `${num(f.macs.tiled / 1e6)} M`, ...RUNTIMES.map((r) => ms(f.runtimes[r].tiled.p50Ms))],
      ['tiled / factored', '', ratio(f.macs.tiled / f.macs.factored), ...RUNTIMES.map((r) => ratio(f.runtimes[r].tiledOverFactored))],
    ],
  );
  const d = c.dienForms;
  const dien = table(
    ['DIEN AUGRU form', 'runtime', 'nodes', 'bytes', 'session create ms', 'run p50 ms', 'run p99 ms', 'p50 vs Scan'],
    d.rows.map((r) => [
      r.form === 'scan' ? 'Scan (served)' : `unrolled (T = ${d.T})`,
      RUNTIME_LABEL[r.runtime],
      r.nodes,
      r.bytes.toLocaleString('en-US'),
      ms(r.createMs),
      ms(r.p50Ms),
      ms(r.p99Ms),
      r.form === 'scan' ? '1.00× (reference)' : ratio(d.unrolledOverScan[r.runtime]),
    ]),
  );
  const p = c.peak;
  const peak = table(
    ['runtime', `MatMul ${p.matmul.wasm.n}³ p50 ms`, 'MatMul GFLOP/s (reference)', `DIN p50 ms (H=${p.T}, C=${p.C})`, 'DIN GFLOP/s', 'DIN share of the MatMul peak'],
    [
      ...RUNTIMES.map((r) => [RUNTIME_LABEL[r], ms(p.matmul[r].p50Ms), num(p.matmul[r].gflops), ms(p.din[r].p50Ms), num(p.din[r].gflops), pct(p.din[r].shareOfPeak)]),
      ['native / wasm', '', ratio(p.nativeOverWasm.matmul), '', ratio(p.nativeOverWasm.din), ''],
    ],
  );
  return [
    '## 1. Compute (session.run per request, 1 thread)',
    '',
    `Shipped models ${c.models.map((m) => `${m.name}@${m.version}`).join(', ')}; random vocabulary ids; only \`score\` fetched (as the worker does). ` +
      `Reference: onnxruntime-node (native) on the same request. Runs per cell: ≥ ${c.settings.cell.minRuns} and ≥ ${c.settings.cell.budgetMs / 1000} s (after ${c.settings.cell.warmup} warm-up runs).`,
    '',
    grid,
    '',
    `### DIN: factored vs tiled attention (fresh default-size DIN, H=${f.T}, C=${f.C}; max |Δscore| between forms/runtimes ${f.maxScoreDiff.toExponential(1)})`,
    '',
    forms,
    '',
    `### DIEN: Scan vs unrolled AUGRU (fresh default-size DIEN, H=${d.T}, C=${d.C}; max |Δscore| ${d.maxScoreDiff.toExponential(1)})`,
    '',
    dien,
    '',
    `### Share of the practical peak (${p.model}, H=${p.T}, C=${p.C}: ${num(p.macs / 1e6)} M multiply-adds per request, bench/dinMacs.ts)`,
    '',
    peak,
  ].join('\n');
}

/** `compute`: the same model's session.run p50 in Node at the same shape (section 1), as the reference for the isolate's ORT time. */
export function renderEndToEnd(e: EndToEndResults, compute?: { wasmP50Ms: number; nativeP50Ms: number }): string {
  const healthz = e.healthz.p50Ms;
  const runs = table(
    ['request', 'connections', 'responses', 'p50 ms', 'p99 ms', 'req/s', 'p50 − /healthz p50', 'errors / non-2xx'],
    [
      ['GET /healthz (reference: wrangler dev overhead)', 1, e.healthz.runs, ms(e.healthz.p50Ms), ms(e.healthz.p99Ms), num(e.healthz.requestsPerSecond, 0), '—', `${e.healthz.errors} / ${e.healthz.non2xx}`],
      ...e.load.map((l) => [
        `POST /v1/score`,
        l.connections,
        l.runs,
        ms(l.p50Ms),
        ms(l.p99Ms),
        num(l.requestsPerSecond, 0),
        ms(l.p50Ms - healthz),
        `${l.errors} / ${l.non2xx}`,
      ]),
    ],
  );
  const m = e.memory;
  const heap = typeof m.isolateHeap === 'object' ? m.isolateHeap : null;
  const memory = table(
    ['figure', 'value', 'reference'],
    [
      ['cold: first POST /v1/score, fresh wrangler dev, shipped ORT_START = first-request (median)', `${ms(e.coldMs)} ms`, `samples ${e.cold.firstRequest.map(ms).join(', ')} ms; the main instance's registry model load ${e.modelLoadMs === null ? 'n/a' : `${ms(e.modelLoadMs)} ms`}; warm p50 ${ms(e.load[0]?.p50Ms ?? NaN)} ms`],
      ['cold with ORT_START = isolate (ORT started at isolate start; costs start-up CPU, docs/worker.md) (median)', `${ms(e.coldOrtAtIsolateStartMs)} ms`, `samples ${e.cold.isolate.map(ms).join(', ')} ms; ${(e.coldOrtAtIsolateStartMs / e.coldMs).toFixed(2)}× the shipped setting's`],
      ['workerd RSS before the first request', mib(m.rssBeforeFirstBytes), '—'],
      ['workerd RSS after the first request', mib(m.rssAfterFirstBytes), `+${mib(m.rssAfterFirstBytes - m.rssBeforeFirstBytes)}`],
      ['workerd RSS after the load', mib(m.rssAfterLoadBytes), `+${mib(m.rssAddedBytes)} over before the first request`],
      ['isolate V8 heap used / total', heap ? `${mib(heap.usedBytes)} / ${mib(heap.totalBytes)}` : String(m.isolateHeap), '—'],
      ['ORT wasm linear memory', m.ortWasmBytes === null ? 'n/a' : mib(m.ortWasmBytes), 'after GET /v1/models (which also loads every routed model)'],
    ],
  );
  const profile =
    typeof e.profile === 'object'
      ? [
          `CPU time inside the isolate by kind of code (V8 sampling profiler every ${e.profile.samplingIntervalUs} µs, a separate ${e.settings.profileSeconds} s run at 1 connection: ` +
            `${e.profile.requests} requests, ${ms(e.profile.busyMsPerRequest)} ms busy per request while profiled` +
            (compute ? `; reference: the same graph's session.run p50 in Node, section 1: wasm ${ms(compute.wasmP50Ms)} ms, native ${ms(compute.nativeP50Ms)} ms` : '') +
            '):',
          '',
          table(
            ['code', 'share of profiled time', 'ms per request (profiled)'],
            e.profile.kinds.map((k) => [k.kind, pct(k.share), ms(k.msPerRequest)]),
          ),
          '',
          'The bundle\'s JS by source (dev bundle source map):',
          '',
          table(
            ['source', 'share of profiled time', 'ms per request (profiled)'],
            e.profile.bundleBySource.slice(0, 8).map((b) => [b.source, pct(b.share), ms(b.msPerRequest)]),
          ),
          '',
          `Heaviest functions (self time): ${e.profile.top
            .slice(0, 8)
            .map((f) => `${f.name} (${f.kind}) ${pct(f.share)}`)
            .join('; ')}.`,
        ].join('\n')
      : `CPU profile: ${e.profile}`;
  return [
    '## 2. End to end (wrangler dev on 127.0.0.1, autocannon)',
    '',
    `Route \`${e.route}\` → ${e.model}; ids-only bodies, H=${e.settings.H}, C=${e.settings.C} (${e.settings.bodies} distinct, ≈ ${kib(e.bodyBytes)} each); ` +
      `${e.settings.loadSeconds} s per load run after a ${e.settings.warmupSeconds} s warm-up; /healthz for ${e.settings.healthzSeconds} s.`,
    '',
    runs,
    '',
    memory,
    '',
    profile,
  ].join('\n');
}

export function renderFootprint(f: FootprintResults): string {
  const rows: Array<Array<string | number>> = [
    ...f.bundle.files.map((x) => [`bundle: ${x.file}`, kib(x.bytes), kib(x.gzipBytes), '']),
    ['bundle total', kib(f.bundle.bytes), kib(f.bundle.gzipBytes), `wrangler: ${f.bundle.wranglerTotalUpload}`],
    ...f.models.flatMap((m) => m.files.map((x) => [`asset: ${x.file}`, kib(x.bytes), kib(x.gzipBytes), ''])),
    ['model assets total', kib(f.modelsTotal.bytes), kib(f.modelsTotal.gzipBytes), ''],
    ['upload: bundle + model assets', kib(f.bundle.bytes + f.modelsTotal.bytes), kib(f.uploadGzipBytes), 'target ≤ 4 MiB gzip'],
  ];
  if (f.ortWasm.inBundle) rows.push(['ORT wasm in the bundle', kib(f.ortWasm.inBundle.bytes), kib(f.ortWasm.inBundle.gzipBytes), `${pct(f.ortWasm.inBundle.gzipBytes / f.bundle.gzipBytes)} of the bundle gzip`]);
  rows.push([`ORT wasm in node_modules (${f.ortWasm.nodeModules.file})`, kib(f.ortWasm.nodeModules.bytes), kib(f.ortWasm.nodeModules.gzipBytes), '']);
  return ['## 3. Footprint (wrangler deploy --dry-run; gzip -9 per file)', '', table(['item', 'raw', 'gzip', 'reference'], rows)].join('\n');
}

export function renderTraining(t: TrainingResults): string {
  return [
    '## 4. Training throughput',
    '',
    `tfjs backend \`${t.backend}\` (selectBackend's choice); ${t.data.source}, protocol \`${t.data.protocol}\`; ${t.settings.batches} mini-batches of ${t.settings.batchSize} after ${t.settings.warmupBatches} warm-up batch; reference: BaseModel in the same run.`,
    '',
    table(
      ['model', 'samples/s', 'vs BaseModel', 'shipped model’s full run (manifest)'],
      t.rows.map((r) => [r.model, num(r.samplesPerSecond, 0), ratio(r.relativeToBase), r.shipped ? `${num(r.shipped.samplesPerSecond, 0)} samples/s (${r.shipped.name}, ${r.shipped.backend})` : '—']),
    ),
  ].join('\n');
}

export function renderTargets(targets: TargetCheck[]): string {
  if (targets.length === 0) return '';
  const value = (t: TargetCheck) => (t.value === null ? '—' : `${t.value.toFixed(t.unit === '%' ? 1 : 2)} ${t.unit}`);
  return [
    '## Targets (issue 7)',
    '',
    table(
      ['target', 'measured as', 'value', 'target', 'status'],
      targets.map((t) => [t.target, t.measured, value(t), `${t.direction === '<=' ? '≤' : '≥'} ${t.limit} ${t.unit}`, t.status === 'met' ? '**met**' : t.status === 'missed' ? '**missed**' : t.status]),
    ),
  ].join('\n');
}
