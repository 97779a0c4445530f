/**
 * The readout as a self-contained HTML page in `npm run report`'s style (model-export/report): the
 * SRM verdict, per metric each variant's relative lift with its 95 % interval, and the click-through
 * rate per day and variant.
 */
import type { TopLevelSpec } from 'vega-lite';
import { reportHtml, type ReportSection } from '../model-export/report/html.js';
import { renderSvg } from '../model-export/report/renderSvg.js';
import type { Readout } from './readout.js';

export async function readoutHtml(r: Readout, daily: Array<{ variant: string; day: string; exposures: number; clicks: number }>): Promise<string> {
  const lifts = r.variants.flatMap((v) => Object.entries(v.metrics).flatMap(([metric, m]) => (m.lift ? [{ metric, variant: v.name, lift: 100 * m.lift.relative, lo: 100 * m.lift.ci95[0], hi: 100 * m.lift.ci95[1] }] : [])));
  const liftSpec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Relative lift against ${r.control}, with 95 % intervals`,
    width: 520,
    data: { values: lifts },
    encoding: { y: { field: 'metric', type: 'nominal', title: null }, yOffset: { field: 'variant' }, color: { field: 'variant', type: 'nominal' } },
    layer: [
      { mark: { type: 'rule', strokeWidth: 2 }, encoding: { x: { field: 'lo', type: 'quantitative', title: 'lift (%)' }, x2: { field: 'hi' } } },
      { mark: { type: 'point', filled: true, size: 80 }, encoding: { x: { field: 'lift', type: 'quantitative' } } },
      { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', strokeDash: [4, 4], color: '#888' }, encoding: { x: { field: 'zero', type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
  const timeSpec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Click-through rate per day',
    width: 520,
    height: 220,
    data: { values: daily.map((d) => ({ ...d, ctr: d.exposures ? d.clicks / d.exposures : 0 })) },
    mark: { type: 'line', point: true },
    encoding: { x: { field: 'day', type: 'temporal', title: null }, y: { field: 'ctr', type: 'quantitative', title: 'clicks / exposures' }, color: { field: 'variant', type: 'nominal' } },
  };
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)} %`;
  const sections: ReportSection[] = [
    {
      title: r.srm.ok ? 'Sample ratio: ok' : 'SAMPLE RATIO MISMATCH — do not trust these results',
      text: [...r.warnings, `χ² = ${r.srm.chi2.toFixed(2)}, p = ${r.srm.pValue.toPrecision(3)}; units ${Object.entries(r.srm.units).map(([v, n]) => `${v} ${n} (expected ${r.srm.expected[v].toFixed(0)})`).join(', ')}.`],
    },
    {
      title: 'Variants',
      table: {
        header: ['variant', 'weight', 'units', 'exposures', 'outcomes', 'p50 / p99 latency (ms)', 'fallbacks'],
        rows: r.variants.map((v) => [v.name, String(v.weight), String(v.units), String(v.exposures), Object.entries(v.outcomes).map(([e, n]) => `${e} ${n}`).join(', ') || '–', `${v.guardrails.latencyP50Ms ?? '–'} / ${v.guardrails.latencyP99Ms ?? '–'}`, String(v.guardrails.fallbacks)]),
      },
    },
    {
      title: 'Metrics',
      table: {
        header: ['metric', 'variant', 'value', `lift vs ${r.control}`, '95 % interval'],
        rows: r.variants.flatMap((v) => Object.entries(v.metrics).map(([m, x]) => [m, v.name, x.value.toPrecision(4), x.lift ? pct(x.lift.relative) : '(control)', x.lift ? `[${pct(x.lift.ci95[0])}, ${pct(x.lift.ci95[1])}]` : ''])),
      },
      figures: lifts.length ? [{ svg: await renderSvg(liftSpec), caption: 'Each point is a variant’s relative lift over the control; the bar its 95 % interval (delta method); dashed: no effect.' }] : [],
    },
    { title: 'Over time', figures: daily.length ? [{ svg: await renderSvg(timeSpec), caption: 'Clicks per exposure by day of exposure, per assigned variant.' }] : [] },
  ];
  return reportHtml(`A/B readout: route ${r.route}`, `Control "${r.control}". Units are the randomisation units (unit hashes), grouped by assigned variant; QA's forced requests are left out.`, sections);
}
