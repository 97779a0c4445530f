/**
 * Train every model of an experiment config over its seeds and write a DIN-paper-style table
 * (AUC / GAUC mean ± std, RelaImpr against the baseline) to experiments/results/<name>.md.
 *
 *   npm run experiment -- experiments/movielens-next.json [--only <model id>] [--force]
 *
 * Each (model, seed) run is stored in experiments/results/<name>/<id>-seed<N>.json and reused
 * while its configuration is unchanged, so long experiments resume where they stopped and models
 * can be trained by separate processes (one per core: `--only din`, `--only dien`, …).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { MODEL_TYPES } from '../contract/manifest.js';
import { readMovieLens } from '../model-export/data/movielens.js';
import { PROTOCOLS } from '../model-export/samples/protocols.js';
import { selectBackend } from '../model-export/train/backend.js';
import { meanStd, relaImpr } from '../model-export/train/metrics.js';
import { prepareData } from '../model-export/train/pipeline.js';
import { popularityBaseline } from '../model-export/train/popularity.js';
import { DEFAULT_RUN, trainRun, type RunConfig, type RunResult } from '../model-export/train/run.js';

const experimentSchema = z.object({
  name: z.string().regex(/^[a-z0-9-]+$/),
  description: z.string().optional(),
  protocol: z.enum(PROTOCOLS),
  seeds: z.array(z.number().int()).min(1),
  epochs: z.number().int().positive(),
  baseline: z.string(),
  models: z
    .array(
      z.object({
        id: z.string().regex(/^[a-z0-9-]+$/),
        model: z.enum(MODEL_TYPES),
        activation: z.enum(['dice', 'prelu']).optional(),
        auxWeight: z.number().nonnegative().optional(),
        /** λ of mini-batch aware L2 (DIN eq. 6). */
        l2: z.number().positive().optional(),
        /** Row label in the table (default: the id). */
        label: z.string().optional(),
      }),
    )
    .min(1),
});

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { only: { type: 'string' }, force: { type: 'boolean', default: false }, out: { type: 'string', default: 'experiments/results' } },
});
if (positionals.length !== 1) {
  console.error('usage: npm run experiment -- <config.json> [--only <model id>] [--force] [--out dir]');
  process.exit(2);
}
const exp = experimentSchema.parse(JSON.parse(readFileSync(positionals[0], 'utf8')));
const runDir = join(values.out!, exp.name);
mkdirSync(runDir, { recursive: true });

const runConfig = (m: (typeof exp.models)[number], seed: number): RunConfig => ({
  ...DEFAULT_RUN,
  model: m.model,
  protocol: exp.protocol,
  seed,
  epochs: exp.epochs,
  ...(m.activation ? { activation: m.activation } : {}),
  ...(m.auxWeight !== undefined ? { auxWeight: m.auxWeight } : {}),
  ...(m.l2 !== undefined ? { l2: m.l2 } : {}),
});
/** Provenance of a stored run: the commit it was trained at (results are reused by config only). */
function codeVersion(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'model-export', 'contract']).toString().trim() !== '';
    return dirty ? `${commit}+uncommitted` : commit;
  } catch {
    return 'unknown';
  }
}
const CODE_VERSION = codeVersion(); // read at start: the code this process runs
const runFile = (id: string, seed: number) => join(runDir, `${id}-seed${seed}.json`);
function storedRun(id: string, config: RunConfig): RunResult | undefined {
  const file = runFile(id, config.seed);
  if (!existsSync(file)) return undefined;
  const stored = JSON.parse(readFileSync(file, 'utf8')) as RunResult;
  return isDeepStrictEqual(stored.config, config) ? stored : undefined;
}

let backend: string | undefined;
const log = readMovieLens();
for (const m of exp.models.filter((m) => !values.only || m.id === values.only)) {
  for (const seed of exp.seeds) {
    const config = runConfig(m, seed);
    if (!values.force && storedRun(m.id, config)) {
      console.error(`${m.id} seed ${seed}: stored result reused (${runFile(m.id, seed)})`);
      continue;
    }
    backend ??= await selectBackend();
    const { result, model } = await trainRun(log, config, backend);
    model.params.dispose();
    writeFileSync(runFile(m.id, seed), JSON.stringify({ ...result, code: CODE_VERSION }, null, 1) + '\n');
  }
}

// The table covers every model with all its seeds stored.
const rows = exp.models.flatMap((m) => {
  const runs = exp.seeds.map((seed) => storedRun(m.id, runConfig(m, seed)));
  if (runs.some((r) => r === undefined)) return [];
  const last = (runs as RunResult[]).map((r) => r.epochs[r.epochs.length - 1]);
  return [
    {
      id: m.id,
      label: m.label ?? m.id,
      auc: meanStd(last.map((e) => e.auc)),
      gauc: meanStd(last.map((e) => e.gauc)),
      samplesPerSecond: meanStd(last.map((e) => e.samplesPerSecond)).mean,
      backend: (runs as RunResult[])[0].backend,
    },
  ];
});
// The popularity baseline needs no training: evaluated on each seed's test samples.
const popularity = exp.seeds.map((seed) => popularityBaseline(prepareData(log, { ...DEFAULT_RUN, protocol: exp.protocol, seed }).test));
rows.unshift({
  id: 'popularity',
  label: 'popularity (no training)',
  auc: meanStd(popularity.map((p) => p.auc)),
  gauc: meanStd(popularity.map((p) => p.gauc)),
  samplesPerSecond: Number.NaN,
  backend: '-',
});
const missing = exp.models.filter((m) => !rows.some((r) => r.id === m.id)).map((m) => m.id);
const base = rows.find((r) => r.id === exp.baseline);
const fmt = (m: { mean: number; std: number }) => `${m.mean.toFixed(4)} ± ${m.std.toFixed(4)}`;
const pct = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)} %`;
const table = [
  `| model | AUC | GAUC | RelaImpr (AUC) | RelaImpr (GAUC) | train samples/s |`,
  `| --- | --- | --- | --- | --- | --- |`,
  ...rows.map(
    (r) =>
      `| ${r.label} | ${fmt(r.auc)} | ${fmt(r.gauc)} | ${base ? pct(relaImpr(r.auc.mean, base.auc.mean)) : '-'} | ${base ? pct(relaImpr(r.gauc.mean, base.gauc.mean)) : '-'} | ${Number.isNaN(r.samplesPerSecond) ? '-' : `${r.samplesPerSecond.toFixed(0)} (${r.backend})`} |`,
  ),
].join('\n');
const report =
  `## ${exp.name}\n\n${exp.description ?? ''}\n\n` +
  `Protocol \`${exp.protocol}\`, ${exp.epochs} epochs, seeds ${exp.seeds.join(', ')}; test-split metrics after the last epoch, ` +
  `mean ± sample std over seeds; RelaImpr (DIN eq. 10) against \`${exp.baseline}\`. Throughput is per process and ` +
  `depends on what else ran on the machine. Re-run: \`npm run experiment -- ${positionals[0]}\`.\n\n` +
  table +
  (missing.length ? `\n\nNot yet run for every seed: ${missing.join(', ')}.` : '') +
  '\n';
console.log(report);
writeFileSync(join(values.out!, `${exp.name}.md`), report);
