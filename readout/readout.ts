/**
 * The readout of one route's A/B test from its summary rows: SRM first, then per variant units,
 * exposures, outcomes, metrics with relative lift against the control (the route's first variant)
 * and guardrails. `--json` prints exactly this object.
 */
import { meanEstimate, ratioEstimate, relativeLift, srmTest, SRM_ALPHA, type Estimate } from './stats.js';
import type { VariantSummary } from './summary.js';

export interface MetricReadout {
  value: number;
  /** Absent on the control. */
  lift?: { relative: number; ci95: [number, number] };
}

export interface Readout {
  route: string;
  control: string;
  srm: { pValue: number; ok: boolean; chi2: number; units: Record<string, number>; expected: Record<string, number> };
  /** Why the result must not be trusted (SRM), or what is missing; empty when all is well. */
  warnings: string[];
  variants: Array<{
    name: string;
    weight: number;
    units: number;
    exposures: number;
    outcomes: Record<string, number>;
    metrics: Record<string, MetricReadout>;
    guardrails: { latencyP50Ms: number | null; latencyP99Ms: number | null; fallbacks: number; executionProviders: Record<string, number> };
  }>;
}

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/**
 * Metrics: `ctr` = clicks / exposures (a ratio of per-unit means, delta method), and per unit the
 * count of every other event (`conversion_per_unit`, `<event>_per_unit`).
 */
export function buildReadout(route: string, config: ReadonlyArray<{ name: string; weight: number }>, summaries: readonly VariantSummary[]): Readout {
  const by = new Map(summaries.map((s) => [s.variant, s]));
  const empty = (name: string): VariantSummary => ({ variant: name, units: 0, exposures: 0, exposuresSq: 0, fallbacks: 0, events: {}, latenciesMs: [], executionProviders: {} });
  const rows = config.map((v) => by.get(v.name) ?? empty(v.name));
  const events = [...new Set(rows.flatMap((r) => Object.keys(r.events)))].sort();
  const estimates = (s: VariantSummary): Record<string, Estimate> => {
    const out: Record<string, Estimate> = {};
    const click = s.events.click ?? { count: 0, countSq: 0, countTimesExposures: 0, value: 0 };
    out.ctr = ratioEstimate({ n: s.units, x: click.count, xx: click.countSq, y: s.exposures, yy: s.exposuresSq, xy: click.countTimesExposures });
    for (const e of events.filter((e) => e !== 'click')) {
      const ev = s.events[e] ?? { count: 0, countSq: 0, countTimesExposures: 0, value: 0 };
      out[`${e}_per_unit`] = meanEstimate({ n: s.units, x: ev.count, xx: ev.countSq });
    }
    return out;
  };
  const control = rows[0];
  const controlEstimates = estimates(control);
  const srm = srmTest(rows.map((r) => r.units), config.map((v) => v.weight));
  const warnings: string[] = [];
  if (!srm.ok) {
    warnings.push(
      `SAMPLE RATIO MISMATCH: units ${rows.map((r, i) => `${r.variant} ${r.units} (expected ${srm.expected[i].toFixed(0)})`).join(', ')}; χ² = ${srm.chi2.toFixed(2)}, p = ${srm.pValue.toExponential(2)} < ${SRM_ALPHA}. ` +
        'The split is not the configured one, so units differ between variants in ways the experiment did not randomise (lost exposures, bots, redirects, a changed config): do not trust these results until the cause is found.',
    );
  }
  if (rows.some((r) => r.units < 2)) warnings.push('a variant has fewer than 2 units: no intervals yet');
  return {
    route,
    control: control.variant,
    srm: { pValue: srm.pValue, ok: srm.ok, chi2: srm.chi2, units: Object.fromEntries(rows.map((r) => [r.variant, r.units])), expected: Object.fromEntries(rows.map((r, i) => [r.variant, srm.expected[i]])) },
    warnings,
    variants: rows.map((r, i) => {
      const est = estimates(r);
      return {
        name: r.variant,
        weight: config[i].weight,
        units: r.units,
        exposures: r.exposures,
        outcomes: Object.fromEntries(Object.entries(r.events).map(([e, v]) => [e, v.count])),
        metrics: Object.fromEntries(
          Object.entries(est).map(([m, e]) => {
            if (i === 0) return [m, { value: e.value }];
            const l = relativeLift(e, controlEstimates[m]);
            return [m, { value: e.value, lift: { relative: l.relative, ci95: l.ci95 } }];
          }),
        ),
        guardrails: { latencyP50Ms: percentile(r.latenciesMs, 0.5), latencyP99Ms: percentile(r.latenciesMs, 0.99), fallbacks: r.fallbacks, executionProviders: r.executionProviders },
      };
    }),
  };
}

/** The readout as text: the SRM verdict first, then one table per metric. */
export function renderReadout(r: Readout): string {
  const pct = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)} %` : '–');
  const lines = [`route ${r.route}: control "${r.control}"`];
  lines.push(r.srm.ok ? `SRM check: ok (χ² = ${r.srm.chi2.toFixed(2)}, p = ${r.srm.pValue.toFixed(3)})` : '');
  for (const w of r.warnings) lines.push(`WARNING: ${w}`);
  lines.push('', '| variant | weight | units | exposures | outcomes | p50 / p99 latency (ms) | fallbacks |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const v of r.variants) {
    lines.push(`| ${v.name} | ${v.weight} | ${v.units} | ${v.exposures} | ${Object.entries(v.outcomes).map(([e, n]) => `${e} ${n}`).join(', ') || '–'} | ${v.guardrails.latencyP50Ms ?? '–'} / ${v.guardrails.latencyP99Ms ?? '–'} | ${v.guardrails.fallbacks} |`);
  }
  const metrics = [...new Set(r.variants.flatMap((v) => Object.keys(v.metrics)))];
  for (const m of metrics) {
    lines.push('', `| ${m} | value | lift vs ${r.control} | 95 % interval |`, '| --- | --- | --- | --- |');
    for (const v of r.variants) {
      const x = v.metrics[m];
      lines.push(`| ${v.name} | ${x && Number.isFinite(x.value) ? x.value.toPrecision(4) : '–'} | ${x?.lift ? pct(x.lift.relative) : '(control)'} | ${x?.lift ? `[${pct(x.lift.ci95[0])}, ${pct(x.lift.ci95[1])}]` : ''} |`);
    }
  }
  return lines.filter((l, i) => l !== '' || i > 1).join('\n');
}
