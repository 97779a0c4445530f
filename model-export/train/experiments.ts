/**
 * Experiment configs (experiments/*.json) and their stored runs: shared by the experiment runner
 * (scripts/experiment.ts), which trains and writes them, and the report (scripts/report.ts),
 * which reads them. A stored run counts only while its configuration equals the config's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { MODEL_TYPES } from '../../contract/manifest.js';
import { FEATURE_GROUPS } from '../../contract/features.js';
import { dirname, isAbsolute } from 'node:path';
import { PROTOCOLS, type Protocol } from '../samples/protocols.js';
import { datasetConfigSchema, readDatasetConfig, type DatasetConfig } from '../sources/datasetConfig.js';
import { datasetIdentity, resolveDatasetConfig, SOURCES, type DatasetFlags } from '../sources/registry.js';
import { BASELINE_KINDS } from './baselines.js';
import { keptEpoch } from './fit.js';
import { meanStd, relaImpr } from './metrics.js';
import { DEFAULT_RUN, type RunConfig, type RunResult } from './run.js';

export const experimentSchema = z.object({
  name: z.string().regex(/^[a-z0-9-]+$/),
  description: z.string().optional(),
  /** The data (docs/data-sources.md): a dataset config inline, or its file relative to this one; default the vendored MovieLens. */
  dataset: z.union([datasetConfigSchema, z.string()]).optional(),
  /** Default: the dataset's protocol, else its source's default. */
  protocol: z.enum(PROTOCOLS).optional(),
  seeds: z.array(z.number().int()).min(1),
  /** Epochs of every run; with `validationFraction`, the maximum. */
  epochs: z.number().int().positive(),
  /**
   * Early stopping (RunConfig.validationFraction): hold out this share of the training users and
   * keep each run's best epoch by their GAUC. Default off: the committed experiments train fixed epochs.
   */
  validationFraction: z.number().gt(0).lt(1).optional(),
  /** Early stopping: epochs without a better validation GAUC before a run stops (default DEFAULT_PATIENCE, 3). */
  patience: z.number().int().positive().optional(),
  /** Rows without a model, evaluated on each seed's test split (train/baselines.ts); default ["popularity"]. */
  baselines: z.array(z.enum(BASELINE_KINDS)).optional(),
  /** Model id RelaImpr is measured against. */
  baseline: z.string(),
  /** Multi-task tables: the model RelaImpr of the conversion tasks (cvr, ctcvr) is measured against (default `baseline`). */
  conversionBaseline: z.string().optional(),
  models: z
    .array(
      z.object({
        id: z.string().regex(/^[a-z0-9-]+$/),
        model: z.enum(MODEL_TYPES),
        /** Row label in the table (default: the id). */
        label: z.string().optional(),
        activation: z.enum(['dice', 'prelu']).optional(),
        auxWeight: z.number().nonnegative().optional(),
        /** Adam learning rate for this model (default DEFAULT_RUN's). */
        learningRate: z.number().positive().optional(),
        /** λ of mini-batch aware L2 (DIN eq. 6). */
        l2: z.number().positive().optional(),
        /** Feature groups of the dataset's `features` this model uses (default all; [] = item + category only). */
        featureGroups: z.array(z.enum(FEATURE_GROUPS)).optional(),
        /** Single-task models: train on click ∧ conversion instead of the click. */
        trainLabel: z.enum(['click', 'conversion']).optional(),
        /** Multi-task kinds: loss weights [w_ctr, w_ctcvr]. */
        taskWeights: z.tuple([z.number().nonnegative(), z.number().nonnegative()]).optional(),
        /** Multi-task kinds: the interest model under the head. */
        backbone: z.enum(['din', 'dien']).optional(),
        /** Attention models: the activation unit's two hidden layers (default the DIN paper's [80, 40]). */
        attentionHidden: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
      }),
    )
    .min(1),
});

export type Experiment = z.infer<typeof experimentSchema>;
export type ExperimentModel = Experiment['models'][number];

export function readExperiment(file: string): Experiment {
  const exp = experimentSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  if (typeof exp.dataset === 'string') exp.dataset = readDatasetConfig(isAbsolute(exp.dataset) ? exp.dataset : join(dirname(file), exp.dataset));
  else if (exp.dataset?.data !== undefined && !isAbsolute(exp.dataset.data)) exp.dataset.data = join(dirname(file), exp.dataset.data);
  return exp;
}

/** The experiment's dataset config under the command's flags (--source, --data, --config), with the experiment's protocol. */
export function experimentDataset(exp: Experiment, flags: DatasetFlags = {}): DatasetConfig {
  const fromExp = typeof exp.dataset === 'object' ? exp.dataset : {};
  const fromFlags = flags.config !== undefined || flags.data !== undefined || flags.source !== undefined ? resolveDatasetConfig(flags) : {};
  const config: DatasetConfig = { ...fromExp, ...fromFlags };
  const protocol = exp.protocol ?? config.protocol ?? SOURCES[config.source ?? (config.data !== undefined ? 'personalize' : 'movielens')].defaultProtocol;
  return { ...config, protocol };
}

/** The protocol an experiment's runs use. */
export function experimentProtocol(exp: Experiment, dataset: DatasetConfig): Protocol {
  return dataset.protocol ?? exp.protocol ?? 'next';
}

export function runConfigOf(exp: Experiment, m: ExperimentModel, seed: number, dataset: DatasetConfig = experimentDataset(exp)): RunConfig {
  // The vendored MovieLens with its default protocol stays identified as before (committed runs match).
  const { protocol: _protocol, ...identityConfig } = dataset;
  const datasetId = datasetIdentity(identityConfig);
  return {
    ...DEFAULT_RUN,
    model: m.model,
    protocol: experimentProtocol(exp, dataset),
    seed,
    epochs: exp.epochs,
    ...(datasetId !== undefined ? { dataset: datasetId } : {}),
    ...(exp.validationFraction !== undefined ? { validationFraction: exp.validationFraction, ...(exp.patience !== undefined ? { patience: exp.patience } : {}) } : {}),
    ...(m.activation ? { activation: m.activation } : {}),
    ...(m.auxWeight !== undefined ? { auxWeight: m.auxWeight } : {}),
    ...(m.l2 !== undefined ? { l2: m.l2 } : {}),
    ...(m.learningRate !== undefined ? { learningRate: m.learningRate } : {}),
    ...(m.featureGroups !== undefined ? { featureGroups: m.featureGroups } : {}),
    ...(m.trainLabel !== undefined ? { label: m.trainLabel } : {}),
    ...(m.taskWeights !== undefined ? { taskWeights: m.taskWeights } : {}),
    ...(m.backbone !== undefined ? { backbone: m.backbone } : {}),
    ...(m.attentionHidden !== undefined ? { attentionHidden: m.attentionHidden } : {}),
  };
}

/** The epoch whose weights a run ended with: its last, or with early stopping the kept one. */
export function finalEpoch(run: RunResult): RunResult['epochs'][number] {
  return run.keptEpoch !== undefined ? run.epochs[run.keptEpoch - 1] : keptEpoch(run.epochs);
}

export const runFile = (runDir: string, id: string, seed: number) => join(runDir, `${id}-seed${seed}.json`);

/** The stored run of (model, seed) if its configuration is the current one. */
export function storedRun(runDir: string, id: string, config: RunConfig): RunResult | undefined {
  const file = runFile(runDir, id, config.seed);
  if (!existsSync(file)) return undefined;
  const stored = JSON.parse(readFileSync(file, 'utf8')) as RunResult;
  return isDeepStrictEqual(stored.config, config) ? stored : undefined;
}

export interface TableRow {
  id: string;
  label: string;
  auc: { mean: number; std: number };
  gauc: { mean: number; std: number };
  samplesPerSecond: number;
  backend: string;
  /** Per seed, in config order. */
  runs: RunResult[];
}

/** One row per model with every seed stored (others are listed as missing). */
export function experimentRows(exp: Experiment, runDir: string, dataset: DatasetConfig = experimentDataset(exp)): { rows: TableRow[]; missing: string[] } {
  const rows: TableRow[] = [];
  const missing: string[] = [];
  for (const m of exp.models) {
    const runs = exp.seeds.map((seed) => storedRun(runDir, m.id, runConfigOf(exp, m, seed, dataset)));
    if (runs.some((r) => r === undefined)) {
      missing.push(m.id);
      continue;
    }
    const complete = runs as RunResult[];
    const last = complete.map(finalEpoch);
    rows.push({
      id: m.id,
      label: m.label ?? m.id,
      auc: meanStd(last.map((e) => e.auc)),
      gauc: meanStd(last.map((e) => e.gauc)),
      samplesPerSecond: meanStd(last.map((e) => e.samplesPerSecond)).mean,
      backend: complete[0].backend,
      runs: complete,
    });
  }
  return { rows, missing };
}

/** The DIN paper's Table 3 columns as text cells: model, AUC, GAUC (mean ± std), RelaImpr of each against the baseline. */
export function tableCells(rows: ReadonlyArray<Omit<TableRow, 'runs'>>, baselineId: string): string[][] {
  const base = rows.find((r) => r.id === baselineId);
  const fmt = (m: { mean: number; std: number }) => `${m.mean.toFixed(4)} ± ${m.std.toFixed(4)}`;
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)} %`;
  return rows.map((r) => [
    r.label,
    fmt(r.auc),
    fmt(r.gauc),
    base ? pct(relaImpr(r.auc.mean, base.auc.mean)) : '-',
    base ? pct(relaImpr(r.gauc.mean, base.gauc.mean)) : '-',
  ]);
}

export const TABLE_HEADER = ['model', 'AUC', 'GAUC', 'RelaImpr (AUC)', 'RelaImpr (GAUC)'];

/** The same table as markdown, with training throughput. */
export function markdownTable(rows: ReadonlyArray<Omit<TableRow, 'runs'>>, baselineId: string): string {
  const cells = tableCells(rows, baselineId);
  return [
    `| ${[...TABLE_HEADER, 'train samples/s'].join(' | ')} |`,
    `| --- | --- | --- | --- | --- | --- |`,
    ...rows.map((r, i) => `| ${[...cells[i], Number.isNaN(r.samplesPerSecond) ? '-' : `${r.samplesPerSecond.toFixed(0)} (${r.backend})`].join(' | ')} |`),
  ].join('\n');
}

/**
 * Multi-task table: AUC and GAUC per task (ctr on all samples, cvr on the clicked ones, ctcvr on
 * all), mean ± std over seeds, RelaImpr of ctr against `baseline` and of cvr/ctcvr against
 * `conversionBaseline`. Undefined when the runs carry no per-task metrics.
 */
export function taskTable(rows: readonly TableRow[], baselineId: string, conversionBaselineId: string): string | undefined {
  const tasks = ['ctr', 'cvr', 'ctcvr'] as const;
  const withTasks = rows.filter((r) => r.runs.every((run) => finalEpoch(run).tasks));
  if (withTasks.length === 0) return undefined;
  const stat = (r: TableRow, t: (typeof tasks)[number], m: 'auc' | 'gauc') => meanStd(r.runs.map((run) => finalEpoch(run).tasks![t][m]));
  const fmt = (x: { mean: number; std: number }) => `${x.mean.toFixed(4)} ± ${x.std.toFixed(4)}`;
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)} %`;
  const base = { ctr: withTasks.find((r) => r.id === baselineId), conv: withTasks.find((r) => r.id === conversionBaselineId) };
  const rel = (r: TableRow, t: (typeof tasks)[number]) => {
    const b = t === 'ctr' ? base.ctr : base.conv;
    return b ? pct(relaImpr(stat(r, t, 'gauc').mean, stat(b, t, 'gauc').mean)) : '-';
  };
  return [
    '| model | ctr AUC | ctr GAUC | cvr AUC (clicked) | cvr GAUC | ctcvr AUC | ctcvr GAUC | RelaImpr GAUC ctr | cvr | ctcvr |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...withTasks.map((r) => `| ${[r.label, ...tasks.flatMap((t) => [fmt(stat(r, t, 'auc')), fmt(stat(r, t, 'gauc'))]), ...tasks.map((t) => rel(r, t))].join(' | ')} |`),
  ]
    .join('\n')
    .concat(withTasks.length < rows.length ? `\n\nNot in this table: ${rows.filter((r) => !withTasks.includes(r)).map((r) => r.label).join(', ')} (stored runs from before per-task metrics; \`--force\` re-trains them).` : '');
}
