/** Percentiles and time-bounded repetition: the statistics every section shares. */

/** Nearest-rank percentile (p in [0, 1]) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

export interface Timing {
  runs: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

export function summarise(samplesMs: readonly number[]): Timing {
  return {
    runs: samplesMs.length,
    p50Ms: percentile(samplesMs, 0.5),
    p99Ms: percentile(samplesMs, 0.99),
    meanMs: samplesMs.reduce((a, b) => a + b, 0) / samplesMs.length,
  };
}

/** How long to repeat a measurement: `warmup` untimed runs, then timed runs until ≥ `minRuns` and ≥ `budgetMs` of them, or `maxRuns`. */
export interface RunBudget {
  warmup: number;
  minRuns: number;
  maxRuns: number;
  budgetMs: number;
}

/**
 * Times several functions alternately, in blocks of about `blockMs` each, so that a change of load
 * during the measurement hits all of them alike (the ratios between them are what the benchmark
 * reports). Each gets `budget.warmup` untimed runs, then blocks until it has ≥ `minRuns` runs and
 * ≥ `budgetMs` of timed runs, or `maxRuns`.
 */
export async function timeInterleaved(fns: Array<() => Promise<unknown>>, budget: RunBudget, blockMs = 100): Promise<Timing[]> {
  for (const fn of fns) for (let i = 0; i < budget.warmup; i++) await fn();
  const samples = fns.map(() => [] as number[]);
  const spent = fns.map(() => 0);
  const done = (i: number) => samples[i].length >= budget.maxRuns || (samples[i].length >= budget.minRuns && spent[i] >= budget.budgetMs);
  while (!fns.every((_, i) => done(i))) {
    for (let i = 0; i < fns.length; i++) {
      if (done(i)) continue;
      const blockStart = performance.now();
      do {
        const t0 = performance.now();
        await fns[i]();
        const ms = performance.now() - t0;
        samples[i].push(ms);
        spent[i] += ms;
      } while (performance.now() - blockStart < blockMs && !done(i));
    }
  }
  return samples.map(summarise);
}

/** Deterministic uniform [0, 1) generator (mulberry32), so runs draw the same requests. */
export function mulberry32(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
