/**
 * Train every model of an experiment config over its seeds and write a DIN-paper-style table
 * (AUC / GAUC mean ± std, RelaImpr against the baseline) to experiments/results/<name>.{json,md}.
 *
 *   npm run experiment -- experiments/movielens-next.json
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { MODEL_TYPES } from '../contract/manifest.js';
import { readMovieLens } from '../model-export/data/movielens.js';
import { PROTOCOLS } from '../model-export/samples/protocols.js';
import { selectBackend } from '../model-export/train/backend.js';
import { meanStd, relaImpr } from '../model-export/train/metrics.js';
import { DEFAULT_RUN, trainRun, type RunResult } from '../model-export/train/run.js';

const experimentSchema = z.object({
  name: z.string(),
  description: z.string().optional(),
  protocol: z.enum(PROTOCOLS),
  seeds: z.array(z.number().int()).min(1),
  epochs: z.number().int().positive(),
  baseline: z.string(),
  models: z.array(z.object({ id: z.string(), model: z.enum(MODEL_TYPES), activation: z.enum(['dice', 'prelu']).optional() })).min(1),
});

const { positionals, values } = parseArgs({ allowPositionals: true, options: { only: { type: 'string' }, out: { type: 'string', default: 'experiments/results' } } });
if (positionals.length !== 1) {
  console.error('usage: npm run experiment -- <config.json> [--only <model id>] [--out dir]');
  process.exit(2);
}
const exp = experimentSchema.parse(JSON.parse(readFileSync(positionals[0], 'utf8')));
const backend = await selectBackend();
const log = readMovieLens();
const runs: Array<{ id: string; result: RunResult }> = [];
for (const m of exp.models.filter((m) => !values.only || m.id === values.only)) {
  for (const seed of exp.seeds) {
    const { result, model } = await trainRun(log, { ...DEFAULT_RUN, model: m.model, protocol: exp.protocol, seed, epochs: exp.epochs, ...(m.activation ? { activation: m.activation } : {}) }, backend);
    model.params.dispose();
    runs.push({ id: m.id, result });
  }
}

const rows = [...new Set(runs.map((r) => r.id))].map((id) => {
  const mine = runs.filter((r) => r.id === id).map((r) => r.result.epochs[r.result.epochs.length - 1]);
  return {
    id,
    auc: meanStd(mine.map((e) => e.auc)),
    gauc: meanStd(mine.map((e) => e.gauc)),
    samplesPerSecond: meanStd(mine.map((e) => e.samplesPerSecond)).mean,
  };
});
const base = rows.find((r) => r.id === exp.baseline);
const fmt = (m: { mean: number; std: number }) => `${m.mean.toFixed(4)} ± ${m.std.toFixed(4)}`;
const table = [
  `| model | AUC | GAUC | RelaImpr (AUC) | RelaImpr (GAUC) | train samples/s |`,
  `| --- | --- | --- | --- | --- | --- |`,
  ...rows.map(
    (r) =>
      `| ${r.id} | ${fmt(r.auc)} | ${fmt(r.gauc)} | ${base ? relaImpr(r.auc.mean, base.auc.mean).toFixed(2) + ' %' : '-'} | ${base ? relaImpr(r.gauc.mean, base.gauc.mean).toFixed(2) + ' %' : '-'} | ${r.samplesPerSecond.toFixed(0)} |`,
  ),
].join('\n');
const header = `## ${exp.name}\n\n${exp.description ?? ''}\n\nProtocol \`${exp.protocol}\`, ${exp.epochs} epochs, seeds ${exp.seeds.join(', ')}, backend ${backend}, metrics on the test split after the last epoch (mean ± sample std over seeds).\n\n`;
console.log(header + table);
mkdirSync(values.out!, { recursive: true });
const suffix = values.only ? `-${values.only}` : '';
writeFileSync(`${values.out}/${exp.name}${suffix}.md`, header + table + '\n');
writeFileSync(`${values.out}/${exp.name}${suffix}.json`, JSON.stringify({ experiment: exp, backend, rows, runs }, null, 2) + '\n');
