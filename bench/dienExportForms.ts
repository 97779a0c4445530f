/**
 * DIEN export forms compared (issue 4) on their own: the served graph (AUGRU = Scan) vs the AUGRU
 * unrolled for T = 50, at H = 50, C = 100, 1 thread, onnxruntime-node and onnxruntime-web (wasm).
 * The measurement lives in bench/dienForms.ts and is part of `npm run bench` (compute section);
 * this script runs only it.
 *
 *   npx tsx bench/dienExportForms.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FOCUS, SHIPPED } from './compute.js';
import { measureDienForms } from './dienForms.js';
import { ms, ratio, table } from './lib/markdown.js';
import { RUNTIME_LABEL } from './lib/ortRuntimes.js';
import { loadShippedModel, REPO_ROOT } from './lib/servingModels.js';

const result = await measureDienForms(loadShippedModel(SHIPPED.dien), FOCUS.T, FOCUS.C, { warmup: 10, minRuns: 200, maxRuns: 200, budgetMs: 0 });
console.log(
  [
    `DIEN export forms, T = ${result.T}, C = ${result.C}, 1 thread, 200 runs (max |Δscore| between all forms/runtimes: ${result.maxScoreDiff.toExponential(1)})`,
    '',
    table(
      ['form', 'runtime', 'nodes', 'bytes', 'session create ms', 'run p50 ms', 'run p99 ms', 'p50 vs Scan'],
      result.rows.map((r) => [r.form, RUNTIME_LABEL[r.runtime], r.nodes, r.bytes, ms(r.createMs), ms(r.p50Ms), ms(r.p99Ms), r.form === 'scan' ? '1.00×' : ratio(result.unrolledOverScan[r.runtime])]),
    ),
  ].join('\n'),
);
const dir = join(REPO_ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${new Date().toISOString().slice(0, 10)}-dien-export-forms.json`);
writeFileSync(file, JSON.stringify(result, null, 1) + '\n');
console.log(`\nwritten to ${file}`);
