/**
 * `npm run model-cost [-- models/<name> ...]`: measures each model's CPU per request in the
 * worker's runtime (onnxruntime-web's wasm, one thread, in Node: the same V8 and wasm as workerd)
 * at steady state, fits
 *
 *   µs = fixed + perCandidate·C + perHistory·T + perPair·C·T
 *
 * by relative least squares over a grid of (C, T), and stores it as the manifest's `cost` (the ONNX file and
 * the version are unchanged). The worker's per-request budget estimates with it
 * (worker/scoring/requestCost.ts). Also prints the grid with the fit's error per cell.
 *
 * `--relative-to models/<name>`: re-measure some models on a machine faster or slower than the one
 * that measured the others. The reference model (unchanged, its stored cost from the other run) is
 * measured too, and every cell of the measured models is scaled by the factor s that best maps the
 * reference's measurement onto its stored fit (relative least squares: s = Σr / Σr², r = measured /
 * stored): the costs stay comparable, which the budget needs (one route's cascade weighs two models).
 * Pick a reference with the same kernels (for DIN: din-movielens-features).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import seedrandom from 'seedrandom';
import { table } from './lib/markdown.js';
import { contractOf, modelManifestSchema, type CostModel } from '../contract/manifest.js';
import { encodeScoreRequest } from '../core/encode/requestEncoder.js';
import { estimateUs } from '../core/scoring/requestCost.js';
import { createSession, feedsFromServing, type Feeds } from './lib/ortRuntimes.js';
import { loadShippedModel, REPO_ROOT, shippedModelNames } from './lib/servingModels.js';
import { percentile } from './lib/stats.js';

const GRID_C = [1, 30, 100, 300, 1000];
const GRID_T = [1, 10, 30, 50];
/** V8 tiers ORT's wasm up lazily: these runs first, untimed, so the fit describes steady state. */
const WARMUP_RUNS = 300;

const { positionals, values } = parseArgs({ allowPositionals: true, options: { 'relative-to': { type: 'string' } } });
const dirs = positionals.length ? positionals : shippedModelNames().map((name) => join('models', name));
const reference = values['relative-to'];

/** Ordinary least squares for y ≈ X·β (normal equations; 4 unknowns). */
function leastSquares(X: number[][], y: number[]): number[] {
  const n = X[0].length;
  const A = Array.from({ length: n }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (j < n ? X.reduce((s, row) => s + row[i] * row[j], 0) : X.reduce((s, row, k) => s + row[i] * y[k], 0))));
  for (let c = 0; c < n; c++) {
    const p = A.slice(c).reduce((best, row, i) => (Math.abs(row[c]) > Math.abs(A[best][c]) ? c + i : best), c);
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      for (let k = c; k <= n; k++) A[r][k] -= f * A[c][k];
    }
  }
  return A.map((row, i) => row[n] / row[i]);
}

/** Steady-state µs per request of a shipped model over the grid (median per cell). */
async function measureGrid(name: string): Promise<Array<{ C: number; T: number; us: number }>> {
  const { manifest, onnx } = loadShippedModel(name);
  const session = await createSession('wasm', onnx);
  const random = seedrandom(`cost-${name}`);
  const contract = contractOf(manifest);
  const items = manifest.featureContract.items;
  // Requests of random vocabulary items, encoded by the worker's encoder (feature inputs included).
  const feeds = (T: number, C: number): Feeds => {
    const draw = (n: number) => Array.from({ length: n }, () => items[Math.floor(random() * items.length)]);
    return feedsFromServing(encodeScoreRequest(contract, { history: draw(T), candidates: draw(C) }, { time: 1_767_268_800, route: 'cost' }).feeds);
  };
  const warm = session.runner(feeds(50, 100), ['score']);
  for (let i = 0; i < WARMUP_RUNS; i++) await warm();
  const cells: Array<{ C: number; T: number; us: number }> = [];
  // Cells interleaved, one run each per round: the shape changes at every call, as it does from
  // request to request in the worker (same-shape repetition is ≈ 1.3–4× faster: ORT replans).
  const grid = GRID_C.flatMap((C) => GRID_T.map((T) => ({ C, T, run: session.runner(feeds(T, C), ['score']), times: [] as number[] })));
  for (let round = 0; round < 25; round++) {
    for (const cell of grid) {
      const t0 = performance.now();
      await cell.run();
      cell.times.push((performance.now() - t0) * 1000);
    }
  }
  for (const cell of grid) cells.push({ C: cell.C, T: cell.T, us: percentile(cell.times.slice(3), 0.5) });
  await session.release();
  return cells;
}

let scale = 1;
let scaleNote = '';
if (reference) {
  const refName = reference.split('/').pop()!;
  const stored = loadShippedModel(refName).manifest.cost;
  if (!stored) throw new Error(`--relative-to ${reference}: its manifest has no stored cost`);
  const r = (await measureGrid(refName)).map((c) => c.us / estimateUs(stored, c.C, c.T));
  scale = r.reduce((a, b) => a + b, 0) / r.reduce((a, b) => a + b * b, 0);
  scaleNote = `; scaled ×${scale.toFixed(3)} to ${refName}'s stored cost (measured ${stored.measured})`;
  console.error(`[model-cost] reference ${refName}: this run measures ${(1 / scale).toFixed(2)}× its stored cost; scaling by ${scale.toFixed(3)}`);
}

const sections: string[] = [];
const ortVersion = (JSON.parse(readFileSync('node_modules/onnxruntime-web/package.json', 'utf8')) as { version: string }).version;
for (const dir of dirs) {
  const name = dir.split('/').pop()!;
  const cells = (await measureGrid(name)).map((c) => ({ ...c, us: c.us * scale }));
  const X = cells.map((c) => [1, c.C, c.T, c.C * c.T]);
  const y = cells.map((c) => c.us);
  // Relative least squares (each cell weighted 1/measured): a budget cares about proportional error
  // at every size, not only at the largest cells.
  const [fixedUs, perCandidateUs, perHistoryUs, perPairUs] = leastSquares(X.map((row, i) => row.map((v) => v / y[i])), y.map(() => 1)).map((v) => Math.max(0, v));
  const cost: CostModel = {
    fixedUs: round(fixedUs),
    perCandidateUs: round(perCandidateUs),
    perHistoryUs: round(perHistoryUs),
    perPairUs: round(perPairUs, 4),
    runtime: `onnxruntime-web ${ortVersion} wasm, Node ${process.versions.node}, 1 thread, ${cpus()[0]?.model.trim() ?? 'unknown CPU'}${scaleNote}`,
    measured: new Date().toISOString().slice(0, 10),
  };
  const estimate = (C: number, T: number) => estimateUs(cost, C, T);
  const section = `## ${name}\n\n${table(['C', 'T', 'measured (µs)', 'fit (µs)', 'error'], cells.map((c) => [c.C, c.T, Math.round(c.us), Math.round(estimate(c.C, c.T)), `${(((estimate(c.C, c.T) - c.us) / c.us) * 100).toFixed(0)} %`]))}\n\ncost: \`${JSON.stringify(cost)}\``;
  console.log(`\n${section}`);
  sections.push(section);
  const path = join(dir, 'manifest.json');
  const raw = JSON.parse(readFileSync(path, 'utf8'));
  modelManifestSchema.parse({ ...raw, cost });
  writeFileSync(path, JSON.stringify({ ...raw, cost }, null, 1) + '\n');
}

const date = new Date().toISOString().slice(0, 10);
// A subset gets a file of its own: the whole-grid file stays whole.
const results = join(REPO_ROOT, 'bench/results', `${date}-model-cost${positionals.length ? `-${positionals.map((d) => d.split('/').pop()).join('+')}` : ''}.md`);
writeFileSync(
  results,
  `# Model cost models ${date}\n\n\`npm run model-cost\` (bench/modelCost.ts): µs per request in onnxruntime-web wasm (1 thread, Node, after ${WARMUP_RUNS} warm-up runs), the grid cells interleaved so the input shape changes at every run as it does between requests; relative least-squares fit of fixed + perCandidate·C + perHistory·T + perPair·C·T, stored in each manifest as \`cost\` (what the worker's CPU budget estimates with). CPU: ${cpus()[0]?.model.trim() ?? 'unknown'}, ${cpus().length} cores; compare within a table.${reference ? ` Scaled to the reference run: measured cells × ${scale.toFixed(3)} (\`--relative-to ${reference}\`).` : ''}\n\n${sections.join('\n\n')}\n`,
);
console.error(`wrote ${results}`);

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
