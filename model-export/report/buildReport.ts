/**
 * The experiment report: for each experiment config, the Table-3-style table and learning curves
 * (train loss, test AUC and GAUC per epoch, mean over seeds with a band); then attention heat maps
 * of held-out users from an exported attention model.
 */
import { join } from 'node:path';
import type { BehaviourLog } from '../data/behaviourLog.js';
import type { DatasetConfig } from '../sources/datasetConfig.js';
import { experimentDataset, experimentRows, TABLE_HEADER, tableCells, type Experiment } from '../train/experiments.js';
import { attentionExamples, type AttentionOptions } from './attentionExamples.js';
import { attentionHeatmapSpec, learningCurvesSpec, type CurvePoint } from './charts.js';
import { reportHtml, type ReportSection } from './html.js';
import { renderSvg } from './renderSvg.js';

export interface ReportInputs {
  /** `dataset`: the data the runs were trained on (default: the experiment's own, experimentDataset). */
  experiments: Array<{ exp: Experiment; runDir: string; dataset?: DatasetConfig }>;
  /** Behaviour log and titles for the heat maps; omitted: no heat maps. */
  attention?: { log: BehaviourLog; titles: ReadonlyMap<string, string>; options: AttentionOptions };
}

export async function buildReport(inputs: ReportInputs): Promise<string> {
  const sections: ReportSection[] = [];
  for (const { exp, runDir, dataset } of inputs.experiments) {
    const { rows, missing } = experimentRows(exp, runDir, dataset);
    if (rows.length === 0) continue;
    const base = rows.find((r) => r.id === exp.baseline);
    const points: CurvePoint[] = rows.flatMap((r) =>
      r.runs.flatMap((run) =>
        run.epochs.flatMap((e) => [
          { model: r.label, epoch: e.epoch, seed: run.config.seed, metric: 'train loss', value: e.trainLoss },
          { model: r.label, epoch: e.epoch, seed: run.config.seed, metric: 'test AUC', value: e.auc },
          { model: r.label, epoch: e.epoch, seed: run.config.seed, metric: 'test GAUC', value: e.gauc },
        ]),
      ),
    );
    sections.push({
      title: `${exp.name}: protocol "${(dataset ?? experimentDataset(exp)).protocol}", ${exp.epochs} epochs, seeds ${exp.seeds.join(', ')}`,
      text: [
        exp.description ?? '',
        `Test-split metrics after the last epoch, mean ± std over seeds; RelaImpr (DIN eq. 10) against ${base?.label ?? exp.baseline}.`,
        ...(missing.length ? [`Not yet run for every seed: ${missing.join(', ')}.`] : []),
      ],
      table: { header: TABLE_HEADER, rows: tableCells(rows, exp.baseline) },
      figures: [{ svg: await renderSvg(learningCurvesSpec(`Learning curves: ${exp.name}`, points)), caption: `Per epoch, mean over seeds ${exp.seeds.join(', ')} (band: 95 % CI over seeds). Loss is the target log loss on the training samples.` }],
    });
  }
  if (inputs.attention) {
    const examples = await attentionExamples(inputs.attention.log, inputs.attention.titles, inputs.attention.options);
    sections.push({
      title: 'Which past clicks drove which scores',
      text: [
        `Held-out users (test split). The model (${examples[0]?.model ?? '?'}) scores each user's real next item (★) among ${inputs.attention.options.candidates - 1} items the user never touched, given the last ${'≤'} H behaviours before it (H = the model's history length). ` +
          `Cells are the attention weights the model pooled the history with, for the ${inputs.attention.options.columns} behaviours with the largest weight; the number after each candidate is its click probability.`,
      ],
      figures: await Promise.all(
        examples.map(async (e) => ({
          svg: await renderSvg(attentionHeatmapSpec(`User ${e.user}: real next item ranked ${e.nextRank} of ${e.candidates}`, e.cells)),
          caption: `User ${e.user}, ${e.model}.`,
        })),
      ),
    });
  }
  return reportHtml(
    'interest-edge: experiment report',
    `Generated ${new Date().toISOString().slice(0, 10)} from ${inputs.experiments.map((e) => join(e.runDir)).join(', ')} by npm run report.`,
    sections,
  );
}
