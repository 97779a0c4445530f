/** The Analytics Engine readout path's own arithmetic (readout/analyticsEngine.ts), by hand. */
import { describe, expect, it } from 'vitest';
import { analyticsEngineQueries, unitSummaries } from '../../readout/analyticsEngine.js';

describe('Analytics Engine summaries', () => {
  const units = [
    { unit: 'a', variant: 'control', exposures: 2, fallbacks: 0, weight: 1 },
    { unit: 'b', variant: 'control', exposures: 3, fallbacks: 1, weight: 1 },
    { unit: 'c', variant: 'dien', exposures: 4, fallbacks: 0, weight: 1 },
  ];
  const outcomes = [
    { unit: 'a', event: 'click', count: 1, value: 0 },
    { unit: 'c', event: 'click', count: 2, value: 0 },
    { unit: 'c', event: 'conversion', count: 1, value: 9.5 },
  ];

  it('per-variant sums from per-unit rows, by hand', () => {
    const [control, dien] = unitSummaries(units, outcomes);
    // control: units a (2 exposures, 1 click), b (3, 0): Σy = 5, Σy² = 13; Σx = 1, Σx² = 1, Σxy = 2
    expect(control).toMatchObject({ variant: 'control', units: 2, exposures: 5, exposuresSq: 13, fallbacks: 1, events: { click: { count: 1, countSq: 1, countTimesExposures: 2, value: 0 } } });
    expect(dien).toMatchObject({ variant: 'dien', units: 1, exposures: 4, exposuresSq: 16, events: { click: { count: 2, countSq: 4, countTimesExposures: 8 }, conversion: { count: 1, value: 9.5 } } });
  });

  it('a unit sampled with interval w counts as w units with its per-unit counts', () => {
    const sampled = unitSummaries([{ unit: 'a', variant: 'control', exposures: 6, fallbacks: 0, weight: 3 }], [{ unit: 'a', event: 'click', count: 3, value: 0 }]);
    const copies = unitSummaries(['a1', 'a2', 'a3'].map((unit) => ({ unit, variant: 'control', exposures: 2, fallbacks: 0, weight: 1 })), ['a1', 'a2', 'a3'].map((unit) => ({ unit, event: 'click', count: 1, value: 0 })));
    expect(sampled).toEqual(copies);
  });

  it('queries the layout the worker writes, one route, from a time, weighted by _sample_interval, without joins', () => {
    const q = analyticsEngineQueries('home', 1_764_892_800_000);
    expect(q.exposures).toMatch(/FROM interest_edge_exposures WHERE blob1 = 'exposure' AND blob2 = 'home' AND blob8 = 'false' AND timestamp >= toDateTime\(1764892800\) GROUP BY unit, variant/);
    expect(q.outcomes).toMatch(/blob1 = 'outcome' .* blob9 = 'false'/);
    for (const text of Object.values(q)) {
      expect(text).toMatch(/_sample_interval/);
      expect(text).not.toMatch(/\bJOIN\b|\bWITH\b/i);
    }
    expect(() => analyticsEngineQueries("home'; DROP", 0)).toThrow();
  });
});
