/** The report's charts as Vega-Lite specs (rendered by renderSvg.ts). */
import type { TopLevelSpec } from 'vega-lite';

export interface CurvePoint {
  model: string;
  epoch: number;
  seed: number;
  /** e.g. "train loss", "test AUC", "test GAUC". */
  metric: string;
  value: number;
}

/** One panel per metric, epoch on x, one line per model (mean over seeds) with a band for min–max. */
export function learningCurvesSpec(title: string, points: CurvePoint[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values: points },
    facet: { column: { field: 'metric', type: 'nominal', title: null } },
    spec: {
      width: 260,
      height: 200,
      layer: [
        {
          mark: { type: 'errorband', extent: 'ci', opacity: 0.15 },
          encoding: {
            x: { field: 'epoch', type: 'ordinal', title: 'epoch' },
            y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: null },
            color: { field: 'model', type: 'nominal', title: 'model' },
          },
        },
        {
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'epoch', type: 'ordinal' },
            y: { field: 'value', type: 'quantitative', aggregate: 'mean', scale: { zero: false } },
            color: { field: 'model', type: 'nominal' },
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
    config: { legend: { labelLimit: 320 } },
  };
}

export interface AttentionCell {
  /** Candidate label (title, score, whether it was the real next click). */
  candidate: string;
  /** History behaviour label, with its position so equal titles stay apart. */
  behaviour: string;
  /** Column order: chronological. */
  order: number;
  weight: number;
}

/** Behaviours × candidates heat map of attention weights. */
export function attentionHeatmapSpec(title: string, cells: AttentionCell[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values: cells },
    width: { step: 26 },
    height: { step: 22 },
    mark: 'rect',
    encoding: {
      x: { field: 'behaviour', type: 'nominal', sort: { field: 'order' }, title: 'past clicks (oldest → newest)', axis: { labelAngle: -50, labelLimit: 180 } },
      y: { field: 'candidate', type: 'nominal', sort: null, title: 'candidates (by score)', axis: { labelLimit: 260 } },
      color: { field: 'weight', type: 'quantitative', title: 'attention', scale: { scheme: 'blues' } },
      tooltip: [{ field: 'candidate' }, { field: 'behaviour' }, { field: 'weight', format: '.3f' }],
    },
  };
}
