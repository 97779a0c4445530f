/**
 * The readout's statistics against values computed by hand or by reference formulas (issue 26):
 *
 *   # Python (scipy 1.11), the references pasted here:
 *   chi2.sf(3.841458820694124, 1) = 0.05        chi2.sf(10.827566170662733, 1) = 0.001
 *   chi2.sf(5.991464547107979, 2) = 0.05        chi2.sf(16.26623619623813, 3) = 0.001
 *   chi2.sf(0.5, 4) = 0.9735009788392561
 * and, for even df = 2k, the closed form P(χ² ≥ x) = e^(−x/2) · Σ_{i<k} (x/2)^i / i!:
 *   df = 10, x = 40: e^−20 · (1 + 20 + 200 + 4000/3 + 20000/3) = 8221 e^−20
 */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { chiSquareSurvival, lnGamma, meanEstimate, ratioEstimate, relativeLift, srmTest, Z95 } from '../../readout/stats.js';

describe('χ² survival function', () => {
  it('matches scipy at the critical values and elsewhere', () => {
    expect(chiSquareSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 12);
    expect(chiSquareSurvival(10.827566170662733, 1)).toBeCloseTo(0.001, 12);
    expect(chiSquareSurvival(5.991464547107979, 2)).toBeCloseTo(0.05, 12);
    expect(chiSquareSurvival(16.26623619623813, 3)).toBeCloseTo(0.001, 12);
    expect(chiSquareSurvival(0.5, 4)).toBeCloseTo(0.9735009788392561, 12);
    expect(chiSquareSurvival(40, 10) / (8221 * Math.exp(-20))).toBeCloseTo(1, 11);
    for (const x of [0.1, 1, 4, 9]) expect(chiSquareSurvival(x, 2)).toBeCloseTo(Math.exp(-x / 2), 13); // df = 2: e^(−x/2)
    expect(lnGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(lnGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
  });
});

describe('SRM', () => {
  it('flags 52/48 over 10,000 units on a 50/50 split, not 50.3/49.7', () => {
    // by hand: χ² = (5200−5000)²/5000 · 2 = 16, p = chi2.sf(16, 1) ≈ 6.3e-5
    const bad = srmTest([5200, 4800], [50, 50]);
    expect(bad.chi2).toBeCloseTo(16, 12);
    expect(bad.pValue).toBeCloseTo(6.334248366623996e-5, 15);
    expect(bad.ok).toBe(false);
    expect(srmTest([5030, 4970], [50, 50]).ok).toBe(true);
    expect(srmTest([2000, 3000, 5000], [20, 30, 50])).toMatchObject({ chi2: 0, df: 2, pValue: 1, ok: true });
    // units in a variant weighted 0 are a mismatch whatever χ² says
    expect(srmTest([100, 5], [100, 0]).ok).toBe(false);
  });
});

describe('estimates', () => {
  it('mean per unit: x̄ and s²/n, by hand', () => {
    // units 1, 2, 3, 6: mean 3, s² = (4 + 1 + 0 + 9) / 3 = 14/3, Var(mean) = 14/12
    const e = meanEstimate({ n: 4, x: 12, xx: 1 + 4 + 9 + 36 });
    expect(e.value).toBe(3);
    expect(e.variance).toBeCloseTo(14 / 12, 12);
  });

  it('ratio of means by the delta method, by hand', () => {
    // units (clicks, exposures): (1, 2), (0, 3), (2, 4): x̄ = 1, ȳ = 3, R = 1/3;
    // s_x² = 1, s_y² = 1, s_xy = ((1·2 + 0 + 2·4) − 3·1·3) / 2 = 0.5;
    // Var(R) = (1 − 2·(1/3)·0.5 + (1/9)·1) / (3 · 9) = (7/9) / 27
    const e = ratioEstimate({ n: 3, x: 3, y: 9, xx: 5, yy: 29, xy: 10 });
    expect(e.value).toBeCloseTo(1 / 3, 15);
    expect(e.variance).toBeCloseTo(7 / 9 / 27, 15);
  });

  it('relative lift and its interval, by hand', () => {
    // t = 0.11 (Var 1e-6), c = 0.10 (Var 1e-6): Δ = 0.1, Var = 1e-6/0.01 + 0.0121·1e-6/1e-4 = 2.21e-4
    const l = relativeLift({ value: 0.11, variance: 1e-6 }, { value: 0.1, variance: 1e-6 });
    expect(l.relative).toBeCloseTo(0.1, 12);
    expect(l.se).toBeCloseTo(Math.sqrt(2.21e-4), 12);
    expect(l.ci95[0]).toBeCloseTo(0.1 - Z95 * Math.sqrt(2.21e-4), 12);
  });

  it('the ratio metric\'s 95 % interval covers a planted lift in ≈ 95 % of simulated experiments', () => {
    // 400 experiments × 2 arms × 1,500 units; exposures per unit 1–5, clicks Binomial(exposures, p).
    const random = seedrandom('readout-coverage');
    const arm = (p: number) => {
      const s = { n: 1500, x: 0, y: 0, xx: 0, yy: 0, xy: 0 };
      for (let u = 0; u < s.n; u++) {
        const e = 1 + Math.floor(random() * 5);
        let c = 0;
        for (let i = 0; i < e; i++) if (random() < p) c++;
        s.x += c; s.y += e; s.xx += c * c; s.yy += e * e; s.xy += c * e;
      }
      return ratioEstimate(s);
    };
    let covered = 0;
    const runs = 400;
    for (let r = 0; r < runs; r++) {
      const l = relativeLift(arm(0.1 * 1.1), arm(0.1));
      if (l.ci95[0] <= 0.1 && 0.1 <= l.ci95[1]) covered++;
    }
    expect(covered / runs).toBeGreaterThan(0.92);
    expect(covered / runs).toBeLessThan(0.98);
  });
});
