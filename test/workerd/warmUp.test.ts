/**
 * Warm-up runs (MODEL_WARMUP_RUNS, MODEL_WARMUP_WHEN; models/warmUp.ts), with the real ORT session
 * and the shipped DIN: how many synthetic runs happen, when the first answer comes relative to them,
 * and that an idle warm-up never starts a run while a request is in flight. Not a timing test.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../worker/app.js';
import { IDLE_RUN_SPLIT } from '../../worker/models/warmUp.js';
import { createOrtScoringSession } from '../../worker/runtime/ort.js';
import type { ScoringSession } from '../../worker/runtime/scoringSession.js';
import { BASE, env } from './helpers.js';

const DIN = 'din-movielens';
// models/warmUp.ts's request sizes: 100 candidates before serving, 100 / IDLE_RUN_SPLIT when idle.
// The test's own requests use 9 (the golden requests: 3, 4, 7).
const WARMUP_CANDIDATES = [100, 100 / IDLE_RUN_SPLIT];

/** An app whose sessions log every run: `warmup` (the synthetic shape) or `request`, with a clock of events. */
function appWithRunLog() {
  const events: Array<{ kind: 'warmup' | 'request' | 'fetch-start' | 'fetch-end'; at: number }> = [];
  let clock = 0;
  const log = (kind: (typeof events)[number]['kind']) => events.push({ kind, at: clock++ });
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
          // Golden requests have other shapes; only the warm-up sends 100 candidates here.
          if (WARMUP_CANDIDATES.includes(feeds.candidateItems.length)) log('warmup');
          else if (feeds.candidateItems.length === 9) log('request');
          return inner.score(feeds, options);
        },
      };
      return session;
    },
  });
  return { app, events, log };
}

async function body() {
  const manifest = (await (await env.ASSETS.fetch(`https://assets.invalid/${DIN}/manifest.json`)).json()) as { featureContract: { items: string[] } };
  const items = manifest.featureContract.items;
  return JSON.stringify({ history: items.slice(0, 20), candidates: items.slice(40, 49) });
}

describe('model warm-up', () => {
  it('before-serving: the runs happen inside the loading request, before its answer', async () => {
    const { app, events } = appWithRunLog();
    const vars = { ...env, MODEL_WARMUP_RUNS: '4', MODEL_WARMUP_WHEN: 'before-serving' };
    const res = await app.fetch(new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: await body() }), vars, createExecutionContext());
    expect(res.status, await res.clone().text()).toBe(200);
    expect(events.map((e) => e.kind)).toEqual(['warmup', 'warmup', 'warmup', 'warmup', 'request']);
  });

  it('idle: the first answer comes before any warm-up run, and no run starts while a request is in flight', async () => {
    const { app, events, log } = appWithRunLog();
    const vars = { ...env, MODEL_WARMUP_RUNS: '6', MODEL_WARMUP_WHEN: 'idle' };
    const text = await body();
    const request = () => new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
    // A body that arrives in two parts 10 ms apart keeps its request in flight across timers, when an
    // idle warm-up that ignored in-flight requests would start a run.
    const slowRequest = () => {
      const bytes = new TextEncoder().encode(text);
      const stream = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(bytes.slice(0, 100));
          await new Promise((resolve) => setTimeout(resolve, 10));
          controller.enqueue(bytes.slice(100));
          controller.close();
        },
      });
      return new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream });
    };
    const first = createExecutionContext();
    const res = await app.fetch(request(), vars, first);
    expect(res.status).toBe(200);
    expect(events.map((e) => e.kind)).toEqual(['request']);
    const answers: number[][] = [];
    // Requests arrive while the warm-up is under way (sequentially and two at once); each is scored normally.
    for (let i = 0; i < 6; i++) {
      const batch = i % 2 === 0 ? 1 : 2;
      const reqs = Array.from({ length: batch }, slowRequest);
      await Promise.all(
        reqs.map(async (req) => {
          log('fetch-start');
          const r = await app.fetch(req, vars, createExecutionContext());
          log('fetch-end');
          expect(r.status).toBe(200);
          answers.push(((await r.json()) as { scores: Array<{ score: number }> }).scores.map((s) => s.score));
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 30)); // idle: longer than IDLE_QUIET_MS
    }
    await waitOnExecutionContext(first);
    const kinds = events.map((e) => e.kind);
    expect(kinds.filter((k) => k === 'warmup')).toHaveLength(6 * IDLE_RUN_SPLIT);
    expect(kinds.filter((k) => k === 'request')).toHaveLength(1 + 9);
    // In flight = between a fetch's start and its end; no warm-up run may start inside such a span.
    let open = 0;
    for (const e of events) {
      if (e.kind === 'fetch-start') open++;
      else if (e.kind === 'fetch-end') open--;
      else if (e.kind === 'warmup') expect(open, `warm-up run at event ${e.at} while ${open} request(s) were in flight`).toBe(0);
    }
    // The warm-up ran between requests, not all before the later ones: the test only proves idleness if it interleaved.
    const firstWarmup = kinds.indexOf('warmup');
    expect(firstWarmup).toBeGreaterThan(0);
    expect(kinds.lastIndexOf('fetch-start')).toBeGreaterThan(firstWarmup);
    // Same request, same answer, whatever ran in between.
    for (const a of answers) expect(a).toEqual(answers[0]);
  });
});
