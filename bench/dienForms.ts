/**
 * DIEN export forms (issue 4): the served graph (extractor = ONNX GRU op, AUGRU = Scan) vs the
 * same model with the AUGRU unrolled for T steps. Nodes, bytes, session creation and per-request
 * run time in both runtimes (the two forms timed alternately, stats.ts timeInterleaved). Weights: a freshly initialised DIEN with the default sizes and the
 * shipped model's vocabulary — timing does not depend on their values; both forms are checked to
 * give the same scores.
 */
import { SERVING_OUTPUTS } from '../contract/manifest.js';
import { DienModel } from '../model-export/models/dien/dien.js';
import { defaultConfig } from '../model-export/models/index.js';
import { buildDienGraph } from '../model-export/onnx/exportDien.js';
import { createSession, RUNTIMES, type Runtime } from './lib/ortRuntimes.js';
import { randomServingFeeds, vocabularySizes, type ShippedModel } from './lib/servingModels.js';
import { mulberry32, timeInterleaved, type RunBudget, type Timing } from './lib/stats.js';

export const DIEN_FORMS = ['scan', 'unrolled'] as const;
export type DienForm = (typeof DIEN_FORMS)[number];

export interface DienFormRow extends Timing {
  form: DienForm;
  runtime: Runtime;
  nodes: number;
  bytes: number;
  createMs: number;
}

export interface DienFormsResult {
  T: number;
  C: number;
  rows: DienFormRow[];
  /** Per runtime: unrolled p50 / scan p50. */
  unrolledOverScan: Record<Runtime, number>;
  maxScoreDiff: number;
}

export async function measureDienForms(shipped: ShippedModel, T: number, C: number, budget: RunBudget): Promise<DienFormsResult> {
  const { itemCount, categoryCount } = vocabularySizes(shipped.manifest);
  const model = new DienModel(defaultConfig('dien', itemCount, categoryCount), 1);
  const weights = await model.params.snapshot();
  const graphs = { scan: buildDienGraph(model, weights, { augru: 'scan' }), unrolled: buildDienGraph(model, weights, { augru: { unrolledSteps: T } }) };
  const feeds = randomServingFeeds(shipped.manifest, mulberry32(11), T, C);
  // Start both runtimes first so session-creation figures do not include ORT's own start-up.
  for (const runtime of RUNTIMES) await (await createSession(runtime, graphs.scan.toBytes())).release();
  const rows: DienFormRow[] = [];
  const scores: Float32Array[] = [];
  for (const runtime of RUNTIMES) {
    const opened = [];
    for (const form of DIEN_FORMS) {
      const bytes = graphs[form].toBytes();
      const t0 = performance.now();
      const session = await createSession(runtime, bytes);
      opened.push({ form, bytes: bytes.length, createMs: performance.now() - t0, session, run: session.runner(feeds, [SERVING_OUTPUTS.scores]) });
    }
    for (const o of opened) scores.push((await o.run())[SERVING_OUTPUTS.scores].slice());
    const timings = await timeInterleaved(
      opened.map((o) => o.run),
      budget,
    );
    opened.forEach((o, i) => rows.push({ form: o.form, runtime, nodes: graphs[o.form].size, bytes: o.bytes, createMs: o.createMs, ...timings[i] }));
    await Promise.all(opened.map((o) => o.session.release()));
  }
  rows.sort((a, b) => DIEN_FORMS.indexOf(a.form) - DIEN_FORMS.indexOf(b.form));
  let maxScoreDiff = 0;
  for (const s of scores) for (let i = 0; i < s.length; i++) maxScoreDiff = Math.max(maxScoreDiff, Math.abs(s[i] - scores[0][i]));
  const p50 = (form: DienForm, runtime: Runtime) => rows.find((r) => r.form === form && r.runtime === runtime)!.p50Ms;
  const unrolledOverScan = Object.fromEntries(RUNTIMES.map((r) => [r, p50('unrolled', r) / p50('scan', r)])) as Record<Runtime, number>;
  return { T, C, rows, unrolledOverScan, maxScoreDiff };
}
