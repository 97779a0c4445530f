/**
 * Warm-up runs (MODEL_WARMUP_RUNS; models/warmUp.ts) with the real ORT session and the shipped DIN:
 * how many synthetic runs happen and that the loading request's answer comes after them. Not a
 * timing test.
 */
import { createExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../worker/app.js';
import { createOrtScoringSession } from '../../worker/runtime/ort.js';
import type { ScoringSession } from '../../core/runtime/scoringSession.js';
import { BASE, env } from './helpers.js';

const DIN = 'din-movielens';
// models/warmUp.ts sends 100 candidates; the test's own requests 9 (the golden requests: 3, 4, 7).
const WARMUP_CANDIDATES = 100;
const REQUEST_CANDIDATES = 9;

/** An app whose sessions log every run: `warmup` (the synthetic shape) or `request`. */
function appWithRunLog() {
  const runs: Array<'warmup' | 'request'> = [];
  const app = createApp({
    routes: { defaultRoute: 'din', routes: { din: { budgetMs: 10_000, variants: [{ name: 'din', model: DIN, weight: 1 }] } } },
    createSession: async (onnx, inputs) => {
      const inner = await createOrtScoringSession(onnx, inputs);
      const session: ScoringSession = {
        executionProviders: inner.executionProviders,
        hasAttention: inner.hasAttention,
        tasks: inner.tasks,
        memoryBytes: () => inner.memoryBytes(),
        score: (feeds, options) => {
          if (feeds.candidateItems.length === WARMUP_CANDIDATES) runs.push('warmup');
          else if (feeds.candidateItems.length === REQUEST_CANDIDATES) runs.push('request');
          return inner.score(feeds, options);
        },
      };
      return session;
    },
  });
  return { app, runs };
}

async function score(app: ReturnType<typeof appWithRunLog>['app'], vars: object): Promise<number[]> {
  const manifest = (await (await env.ASSETS.fetch(`https://assets.invalid/${DIN}/manifest.json`)).json()) as { featureContract: { items: string[] } };
  const items = manifest.featureContract.items;
  const body = JSON.stringify({ history: items.slice(0, 20), candidates: items.slice(40, 40 + REQUEST_CANDIDATES) });
  const res = await app.fetch(new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }), vars, createExecutionContext());
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { scores: Array<{ score: number }> }).scores.map((s) => s.score);
}

describe('model warm-up (MODEL_WARMUP_RUNS)', () => {
  it('runs N synthetic requests inside the loading request, before its answer, once per model', async () => {
    const { app, runs } = appWithRunLog();
    const vars = { ...env, MODEL_WARMUP_RUNS: '4' };
    const first = await score(app, vars);
    expect(runs).toEqual(['warmup', 'warmup', 'warmup', 'warmup', 'request']);
    const second = await score(app, vars);
    expect(runs.slice(5)).toEqual(['request']);
    expect(second).toEqual(first);
  });

  it('runs none by default', async () => {
    const { app, runs } = appWithRunLog();
    await score(app, env);
    expect(runs).toEqual(['request']);
  });
});
