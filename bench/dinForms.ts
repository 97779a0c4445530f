/**
 * DIN factored vs tiled attention export (model-export/onnx/exportDin.ts), H = 50, C = 100, both
 * runtimes. Weights: a freshly initialised DIN with the default config and the shipped model's
 * vocabulary sizes — timing does not depend on their values. The two forms are timed alternately
 * (stats.ts timeInterleaved), per runtime. Their scores are compared
 * on the same request as a sanity check (test/parity/tiledParity.test.ts is the real guard).
 */
import { DinModel } from '../model-export/models/din.js';
import { defaultConfig } from '../model-export/models/index.js';
import { buildDinGraph } from '../model-export/onnx/exportDin.js';
import { SERVING_OUTPUTS } from '../contract/manifest.js';
import { dinMacs, dinSizes } from './dinMacs.js';
import { createSession, RUNTIMES, type Runtime } from './lib/ortRuntimes.js';
import { randomServingFeeds, vocabularySizes, type ShippedModel } from './lib/servingModels.js';
import { mulberry32, timeInterleaved, type RunBudget, type Timing } from './lib/stats.js';

export const DIN_FORMS = ['factored', 'tiled'] as const;
export type DinForm = (typeof DIN_FORMS)[number];

export interface DinFormsResult {
  T: number;
  C: number;
  nodes: Record<DinForm, number>;
  macs: Record<DinForm, number>;
  /** Per runtime: timing of each form and tiled p50 / factored p50. */
  runtimes: Record<Runtime, Record<DinForm, Timing> & { tiledOverFactored: number }>;
  maxScoreDiff: number;
}

export async function measureDinForms(shipped: ShippedModel, T: number, C: number, budget: RunBudget): Promise<DinFormsResult> {
  const { itemCount, categoryCount } = vocabularySizes(shipped.manifest);
  const config = defaultConfig('din', itemCount, categoryCount);
  const model = new DinModel(config, 1);
  const weights = await model.params.snapshot();
  const graphs = { factored: buildDinGraph(model, weights), tiled: buildDinGraph(model, weights, { attention: 'tiled' }) };
  const feeds = randomServingFeeds(shipped.manifest, mulberry32(7), T, C);
  const runtimes = {} as DinFormsResult['runtimes'];
  const scores: Float32Array[] = [];
  for (const runtime of RUNTIMES) {
    const sessions = await Promise.all(DIN_FORMS.map((form) => createSession(runtime, graphs[form].toBytes())));
    const runs = sessions.map((s) => s.runner(feeds, [SERVING_OUTPUTS.scores]));
    for (const run of runs) scores.push((await run())[SERVING_OUTPUTS.scores].slice());
    const [factored, tiled] = await timeInterleaved(runs, budget);
    await Promise.all(sessions.map((s) => s.release()));
    runtimes[runtime] = { factored, tiled, tiledOverFactored: tiled.p50Ms / factored.p50Ms };
  }
  let maxScoreDiff = 0;
  for (const s of scores) for (let i = 0; i < s.length; i++) maxScoreDiff = Math.max(maxScoreDiff, Math.abs(s[i] - scores[0][i]));
  const sizes = dinSizes(config);
  return {
    T,
    C,
    nodes: { factored: graphs.factored.size, tiled: graphs.tiled.size },
    macs: { factored: dinMacs(sizes, T, C, 'factored'), tiled: dinMacs(sizes, T, C, 'tiled') },
    runtimes,
    maxScoreDiff,
  };
}
