/**
 * POST /v1/score against the committed default model, inside workerd: scores equal
 * onnxruntime-node's on the same contract-encoded inputs (globalSetup.ts), and concurrency does
 * not change them.
 */
import { describe, expect, inject, it } from 'vitest';
import type { ScoreResponse } from '../../core/schema/score.schema.js';
import { call, postScore, scoreOk } from './helpers.js';

const TOLERANCE = 1e-5;
const parityCases = inject('parityCases');
const served = inject('servedModel');

describe('POST /v1/score', () => {
  it.each(parityCases)('$name: same scores as onnxruntime-node', async (c) => {
    const res = await scoreOk(c.body);
    expect(res.model).toEqual({ name: served.name, version: served.version });
    expect(res.unknown).toEqual(c.unknown);

    const expectedByItem = new Map<string, number>();
    c.candidateIds.forEach((item, i) => expectedByItem.set(item, c.expected[i]));
    const C = c.candidateIds.length;
    expect(res.scores).toHaveLength(Math.min(c.body.topK ?? C, C));
    for (const { item, score } of res.scores) {
      expect(expectedByItem.has(item), `unexpected item ${item}`).toBe(true);
      expect(Math.abs(score - expectedByItem.get(item)!), `score of ${item}`).toBeLessThanOrEqual(TOLERANCE);
    }
    // Sorted descending, and the kept ones are the best (up to float noise at the cut).
    for (let k = 1; k < res.scores.length; k++) expect(res.scores[k].score).toBeLessThanOrEqual(res.scores[k - 1].score);
    const kept = new Set(res.scores.map((s) => s.item));
    const bestDropped = Math.max(-Infinity, ...[...expectedByItem].filter(([item]) => !kept.has(item)).map(([, s]) => s));
    expect(res.scores[res.scores.length - 1].score).toBeGreaterThanOrEqual(bestDropped - TOLERANCE);
  });

  it('echoes ids exactly as sent, as strings', async () => {
    const [a, b] = served.vocabularySample;
    const res = await scoreOk({ history: [a], candidates: [Number(a) || a, `${b}`, { item: 'x-unknown', category: 'none' }] });
    expect(res.scores.map((s) => s.item).sort()).toEqual([String(Number(a) || a), b, 'x-unknown'].sort());
    expect(res.unknown).toEqual({ history: 0, candidates: 1 });
  });

  it('a topK larger than the candidates returns all of them', async () => {
    const res = await scoreOk({ history: [], candidates: served.vocabularySample.slice(0, 3), topK: 1000 });
    expect(res.scores).toHaveLength(3);
  });

  it('200 concurrent requests in one isolate return what sequential ones do', async () => {
    const vocab = served.vocabularySample;
    const bodies = Array.from({ length: 200 }, (_, i) => ({
      history: vocab.slice(i % 97, (i % 97) + (i % 60)),
      candidates: vocab.slice((i * 7) % 400, ((i * 7) % 400) + 1 + (i % 100)),
      ...(i % 3 === 0 ? { topK: 1 + (i % 10) } : {}),
      user: `user-${i}`, // else each response carries its own generated unit id
    }));
    const sequential: Array<Awaited<ReturnType<typeof scoreOk>>> = [];
    for (const body of bodies) sequential.push(await scoreOk(body));
    const concurrent = await Promise.all(bodies.map((body) => scoreOk(body)));
    expect(concurrent).toEqual(sequential);
  });

  it('bad requests in between do not disturb the isolate', async () => {
    const body = { history: served.vocabularySample.slice(0, 50), candidates: served.vocabularySample.slice(50, 150), user: 'steady' };
    const before = await scoreOk(body);
    const garbage = [
      postScore('{"history": [', {}),
      postScore({ candidates: [{ item: { nested: true } }] }),
      postScore('[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'),
      postScore('{"candidates": ["' + '\u0000'.repeat(10) + '"]}'),
      postScore({ candidates: ['1'], history: 'not a list' }),
      call('/v1/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }),
    ];
    const interleaved = await Promise.all([...garbage, ...Array.from({ length: 20 }, () => scoreOk(body))]);
    for (const res of interleaved.slice(0, garbage.length) as Response[]) expect(res.status).toBeLessThan(500);
    for (const res of interleaved.slice(garbage.length)) expect(res).toEqual(before);
  });
});
