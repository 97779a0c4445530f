/**
 * The short form of `npm run soak` (issue 16): real wrangler dev instances on 127.0.0.1, valid load
 * on every route, hostile bodies, transport faults (over-limit chunked bodies, a stalled body) and
 * model faults (a finite weight change and a NaN embedding row under re-signed manifests). The full
 * run's figures are in bench/results/*-soak.md.
 */
import { describe, expect, it } from 'vitest';
import { QUICK_SOAK, runSoak } from '../../bench/soak/soak.js';

describe('soak (short form)', () => {
  it('no 5xx, only JSON errors, every probe served, scores unchanged, every model fault falls back', async () => {
    const r = await runSoak(QUICK_SOAK);
    if (!r.passed) console.log(`soak failed; the main deployment's wrangler dev log ended with:\n${r.devLogTail}`);
    expect(r.stoppedAtTimeLimit).toBe(false);
    expect(r.load.byStatus).toEqual({ 200: QUICK_SOAK.validRequests });
    expect(r.load).toMatchObject({ sent: QUICK_SOAK.validRequests, serverErrors: 0, nonJsonErrors: 0, noAnswer: 0, problems: [] });
    expect(r.fuzz).toMatchObject({ sent: QUICK_SOAK.fuzzRequests, serverErrors: 0, nonJsonErrors: 0, noAnswer: 0, probeFailures: 0, problems: [] });
    expect(r.fuzz.probes).toBeGreaterThan(0);
    expect(Object.keys(r.fuzz.byStatus).sort()).toEqual(expect.arrayContaining(['400', '413', '415']));
    expect(r.transport.filter((t) => !t.passed)).toEqual([]);
    expect(r.memory).toMatchObject({ reloadRequests: QUICK_SOAK.reloadRequests, reloadFailures: 0, reloadProblems: [] });
    expect(r.after.maxScoreDelta).toBe(0);
    expect(r.workerdRestarts).toBe(0);
    expect(r.faults.map((f) => [f.fault, f.passed])).toEqual(QUICK_SOAK.faults.map((f) => [f, true]));
    expect(r.passed).toBe(true);
  }, 600_000);
});
