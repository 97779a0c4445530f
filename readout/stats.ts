/**
 * The readout's statistics, as pure functions of summary rows (per-variant counts and sums over
 * units), in the manner of GrowthBook's stats engine: a metric's estimate and the variance of that
 * estimate, relative lift with a delta-method 95 % interval, and the sample-ratio-mismatch χ² test.
 * Units are the independent observations; a ratio metric (clicks / exposures) is a ratio of two
 * per-unit means, whose variance comes from the delta method (Deng et al., KDD 2018, "Applying the
 * Delta Method in Metric Analytics", eq. 4).
 */

/** A metric's value and the variance of that value (not of the per-unit observations). */
export interface Estimate {
  value: number;
  variance: number;
}

/** Per-unit sums of one quantity x over n units: Σx and Σx². */
export interface MeanSums {
  n: number;
  x: number;
  xx: number;
}

/** Per-unit sums of a numerator x and a denominator y over n units. */
export interface RatioSums extends MeanSums {
  y: number;
  yy: number;
  xy: number;
}

/** Mean per unit: x̄, Var(x̄) = s² / n with the unbiased sample variance s². */
export function meanEstimate({ n, x, xx }: MeanSums): Estimate {
  if (n < 2) return { value: n === 1 ? x : Number.NaN, variance: Number.NaN };
  const mean = x / n;
  const s2 = Math.max(0, (xx - n * mean * mean) / (n - 1));
  return { value: mean, variance: s2 / n };
}

/**
 * Ratio of per-unit means R = x̄ / ȳ (e.g. clicks per exposure), delta method:
 * Var(R) ≈ (s_x² − 2R·s_xy + R²·s_y²) / (n·ȳ²).
 */
export function ratioEstimate({ n, x, y, xx, yy, xy }: RatioSums): Estimate {
  if (n < 2 || y <= 0) return { value: y > 0 ? x / y : Number.NaN, variance: Number.NaN };
  const mx = x / n;
  const my = y / n;
  const sxx = (xx - n * mx * mx) / (n - 1);
  const syy = (yy - n * my * my) / (n - 1);
  const sxy = (xy - n * mx * my) / (n - 1);
  const r = x / y;
  return { value: r, variance: Math.max(0, (sxx - 2 * r * sxy + r * r * syy) / (n * my * my)) };
}

/** z of a two-sided 95 % interval. */
export const Z95 = 1.959963984540054;

/**
 * Relative lift of treatment over control, Δ = t / c − 1, with the delta-method variance
 * Var(Δ) ≈ Var(t)/c² + t²·Var(c)/c⁴ (independent arms) and its 95 % interval.
 */
export function relativeLift(treatment: Estimate, control: Estimate): { relative: number; ci95: [number, number]; se: number } {
  const c = control.value;
  const t = treatment.value;
  const relative = t / c - 1;
  const se = Math.sqrt(treatment.variance / (c * c) + (t * t * control.variance) / (c * c * c * c));
  return { relative, ci95: [relative - Z95 * se, relative + Z95 * se], se };
}

/** ln Γ(a), Lanczos approximation (g = 7, 9 terms; |error| < 1e-13 for a > 0). */
export function lnGamma(a: number): number {
  const g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (a < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * a)) - lnGamma(1 - a);
  const z = a - 1;
  let s = g[0];
  for (let i = 1; i < 9; i++) s += g[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Regularised upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a): series below a + 1, continued fraction above. */
export function upperGammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const front = Math.exp(-x + a * Math.log(x) - lnGamma(a));
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let k = 1; k < 1000 && Math.abs(term) > Math.abs(sum) * 1e-15; k++) {
      term *= x / (a + k);
      sum += term;
    }
    return Math.max(0, 1 - front * sum);
  }
  // Lentz's continued fraction for Γ(a, x)
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return front * h;
}

/** P(χ²_df ≥ x). */
export function chiSquareSurvival(x: number, df: number): number {
  return upperGammaQ(df / 2, x / 2);
}

/** GrowthBook's default SRM threshold (Eppo and Statsig use the same α). */
export const SRM_ALPHA = 0.001;

/** Sample-ratio mismatch: χ² goodness of fit of the units per variant against the configured weights. */
export function srmTest(units: readonly number[], weights: readonly number[]): { chi2: number; df: number; pValue: number; ok: boolean; expected: number[] } {
  const total = units.reduce((a, b) => a + b, 0);
  const w = weights.reduce((a, b) => a + b, 0);
  const expected = weights.map((x) => (total * x) / w);
  let chi2 = 0;
  units.forEach((o, i) => {
    if (expected[i] > 0) chi2 += ((o - expected[i]) ** 2) / expected[i];
  });
  const df = weights.filter((x) => x > 0).length - 1;
  // A unit in a variant that should get none is a mismatch whatever χ² says.
  const strayUnits = units.some((o, i) => o > 0 && !(weights[i] > 0));
  const pValue = strayUnits ? 0 : df > 0 && total > 0 ? chiSquareSurvival(chi2, df) : 1;
  return { chi2, df, pValue, ok: pValue >= SRM_ALPHA, expected };
}
