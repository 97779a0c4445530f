/**
 * The short form of `npm run soak` (issue 16): real wrangler dev instances on 127.0.0.1, valid load
 * on every route, hostile bodies, transport faults (over-limit chunked bodies, a stalled body),
 * attacks (issue 24, items 1–3 and 6: dense and bid extremes, forged and replayed exposures, empty
 * and invented API keys) and model faults (a finite weight change and a NaN embedding row under
 * re-signed manifests). The full run's figures are in bench/results/*-soak.md.
 */
import { describe, expect, it } from 'vitest';
import type { AttackName } from '../../bench/soak/attacks.js';
import { QUICK_SOAK, runSoak } from '../../bench/soak/soak.js';

describe('soak (short form)', () => {
  it('no 5xx, only JSON errors, every probe served, scores unchanged, attacks refused without harm, every model fault handled', async () => {
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

    // Attacks: every case answered as expected, then a valid request with the baseline's scores bit
    // for bit and /healthz 200 "ok" (no model marked failed).
    expect(r.attacks.map((a) => a.case).sort()).toEqual([...QUICK_SOAK.attacks].sort());
    for (const a of r.attacks) {
      expect(a, a.case).toMatchObject({ serverErrors: 0, nonJsonErrors: 0, noAnswer: 0, unexpected: 0, problems: [], healthz: { http: 200, status: 'ok' }, after: { status: 200, identicalScores: true } });
      expect(a.sent, a.case).toBeGreaterThan(0);
    }
    const attack = (name: AttackName) => r.attacks.find((a) => a.case === name)!;
    const repeats = QUICK_SOAK.attackRepeats;
    // Item 1: ±1e300, ±1e39, 2^53, -0 and 5e-324 in candidate and history attributes are all scored.
    expect(attack('dense-extremes').byStatus).toEqual({ 200: attack('dense-extremes').sent });
    // Item 6: 1.7e308 and 1e7 are a 400 naming candidates.0.bid (the case's expectation), 1e6 a 200 with finite values.
    expect(attack('bid-extremes').byStatus).toEqual({ 200: repeats, 400: 2 * repeats });
    expect(attack('bid-extremes').figures.nonFiniteValues).toBe(0);
    // Item 2: forgeries are 400s and write no record; a replayed report is recorded once.
    expect(attack('forged-exposures').byStatus).toEqual({ 400: attack('forged-exposures').sent });
    expect(attack('forged-exposures').figures).toMatchObject({ forgedRecorded: 0, markerRecords: 1, logWrapped: 0 });
    expect(attack('replayed-exposures').byStatus).toEqual({ 204: QUICK_SOAK.exposureReplays });
    expect(attack('replayed-exposures').figures).toMatchObject({ records: 1, recordedAnswers: 1, duplicateAnswers: QUICK_SOAK.exposureReplays - 1, logWrapped: 0 });
    // Item 3: a missing, empty or invented key is a 401; only the minted key is served.
    expect(attack('api-keys').byStatus).toEqual({ 401: attack('api-keys').sent - 1, 200: 1 });

    expect(r.faults.map((f) => [f.fault, f.passed])).toEqual(QUICK_SOAK.faults.map((f) => [f, true]));
    // A poisoned row the golden requests never touch: the requests with it get 422, the model keeps serving.
    const poisoned = r.faults.find((f) => f.fault === 'poisoned-row')!;
    expect(poisoned.unscorable).toBe(poisoned.poisonedRequests);
    expect(poisoned).toMatchObject({ fallbacks: 0, serverErrors: 0, otherErrors: 0 });
    expect(poisoned.healthz).toMatch(/^ok; dien-movielens: (?!failed)/);
    expect(r.passed).toBe(true);
  }, 600_000);
});
