/**
 * Unit tests of the worker's pieces (run in workerd too): request encoding through the contract,
 * ranking/topK, error paths from zod issues, config parsing, execution-provider choice.
 */
import { describe, expect, it } from 'vitest';
import { FeatureContract, OOV_INDEX, PAD_INDEX } from '../../contract/featureContract.js';
import { parseOrigins } from '../../worker/config.js';
import { encodeScoreRequest } from '../../core/encode/requestEncoder.js';
import { scoreRequestSchema, toErrorIssues } from '../../core/schema/score.schema.js';
import { chooseExecutionProviders, startOrtRuntime } from '../../worker/runtime/ort.js';
import { rankScores } from '../../core/scoring/rankScores.js';

// items 10, 20, 30, 40 → indices 2..5; categories Action=2, Drama=3; item 40 has no category (OOV).
const contract = new FeatureContract({
  formatVersion: 1,
  maxHistory: 3,
  padding: 'right',
  truncation: 'keep-most-recent',
  padIndex: PAD_INDEX,
  oovIndex: OOV_INDEX,
  items: ['10', '20', '30', '40'],
  categories: ['Action', 'Drama'],
  itemCategories: [2, 3, 2, 1],
  vocabularyRule: 'test',
});

describe('encodeScoreRequest', () => {
  it('encodes known ids with the vocabulary category, strings and integers alike', () => {
    const e = encodeScoreRequest(contract, { history: [10, '20'], candidates: ['30', 40] });
    expect([...e.feeds.historyItems]).toEqual([2, 3]);
    expect([...e.feeds.historyCategories]).toEqual([2, 3]);
    expect([...e.feeds.candidateItems]).toEqual([4, 5]);
    expect([...e.feeds.candidateCategories]).toEqual([2, 1]);
    expect(e.candidateIds).toEqual(['30', '40']);
    expect(e.unknown).toEqual({ history: 0, candidates: 0 });
  });

  it('maps unknown ids to OOV and counts them', () => {
    const e = encodeScoreRequest(contract, { history: ['99', '10'], candidates: ['98', '10', 97] });
    expect([...e.feeds.historyItems]).toEqual([OOV_INDEX, 2]);
    expect([...e.feeds.candidateItems]).toEqual([OOV_INDEX, 2, OOV_INDEX]);
    expect([...e.feeds.candidateCategories]).toEqual([OOV_INDEX, 2, OOV_INDEX]);
    expect(e.unknown).toEqual({ history: 1, candidates: 2 });
  });

  it('uses a client category only for unknown ids, and only a known category', () => {
    const e = encodeScoreRequest(contract, {
      history: [{ item: '99', category: 'Drama' }, { item: '10', category: 'Drama' }, { item: '98', category: 'Horror' }],
      candidates: [{ item: '97', category: 'Action' }, { item: '20' }],
    });
    expect([...e.feeds.historyCategories]).toEqual([3, 2, OOV_INDEX]); // hint, vocabulary wins, unknown hint
    expect([...e.feeds.candidateCategories]).toEqual([2, 3]);
    expect(e.candidateIds).toEqual(['97', '20']);
  });

  it('keeps the most recent H behaviours, oldest first; unknowns dropped by truncation are not counted', () => {
    const e = encodeScoreRequest(contract, { history: ['99', '10', '20', '30', '40'], candidates: ['10'] });
    expect([...e.feeds.historyItems]).toEqual([3, 4, 5]);
    expect(e.unknown.history).toBe(0);
  });

  it('pads an empty history to one PAD slot (no zero-sized tensor)', () => {
    const e = encodeScoreRequest(contract, { history: [], candidates: ['10'] });
    expect([...e.feeds.historyItems]).toEqual([PAD_INDEX]);
    expect([...e.feeds.historyCategories]).toEqual([PAD_INDEX]);
  });
});

describe('rankScores', () => {
  it('sorts by score descending, ties in request order', () => {
    const ranked = rankScores(['a', 'b', 'c', 'd'], Float32Array.from([0.2, 0.9, 0.2, 0.5]));
    expect(ranked.map((r) => r.item)).toEqual(['b', 'd', 'a', 'c']);
  });

  it('keeps topK, all when topK exceeds the count', () => {
    const scores = [0.1, 0.3, 0.2];
    expect(rankScores(['a', 'b', 'c'], scores, 2)).toEqual([
      { item: 'b', score: 0.3, index: 1 },
      { item: 'c', score: 0.2, index: 2 },
    ]);
    expect(rankScores(['a', 'b', 'c'], scores, 10)).toHaveLength(3);
  });

  it('refuses mismatched lengths and non-finite scores', () => {
    expect(() => rankScores(['a'], [0.1, 0.2])).toThrow(/2 scores for 1 candidates/);
    expect(() => rankScores(['a', 'b'], [0.1, Number.NaN])).toThrow(/non-finite/);
  });
});

describe('scoreRequestSchema', () => {
  it('defaults history to [] and keeps ids as sent', () => {
    expect(scoreRequestSchema.parse({ candidates: [1, '1', { item: 2 }] })).toEqual({ history: [], candidates: [1, '1', { item: 2 }] });
  });

  it('points issues at the offending field', () => {
    const result = scoreRequestSchema.safeParse({ candidates: [{ item: '1', category: 5 }, { item: [] }] });
    expect(result.success).toBe(false);
    expect(toErrorIssues(result.error!.issues).map((i) => i.path)).toEqual(['candidates.0.category', 'candidates.1.item']);
  });
});

describe('parseOrigins', () => {
  it('reads a list, * and empty', () => {
    expect(parseOrigins('https://a.example, https://b.example')).toEqual(['https://a.example', 'https://b.example']);
    expect(parseOrigins('*')).toBe('*');
    expect(parseOrigins(' ')).toEqual([]);
  });
});

describe('startOrtRuntime', () => {
  it('starts ORT inside workerd without a model, once per isolate', async () => {
    const first = startOrtRuntime();
    expect(startOrtRuntime()).toBe(first); // idempotent: one start per isolate
    expect(await first).toEqual({ started: true });
  });
});

describe('chooseExecutionProviders', () => {
  it('uses WebGPU only where navigator.gpu exists', () => {
    expect(chooseExecutionProviders({ gpu: {} })).toEqual(['webgpu', 'wasm']);
    expect(chooseExecutionProviders({})).toEqual(['wasm']);
    expect(chooseExecutionProviders(undefined)).toEqual(['wasm']);
    expect(chooseExecutionProviders()).toEqual(['wasm']); // workerd
  });
});
