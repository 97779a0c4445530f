/**
 * The served DIN graph factors the activation unit's first layer (history-only work once per
 * request, onnx/exportDin.ts); the tiled form repeats the history per candidate and multiplies the
 * [q, k, q−k, q⊙k] concat by the unsplit weights, as the DIN paper writes it. Both are built from
 * one trained model and must agree on scores and attention weights to 1e-5 (onnxruntime-node) —
 * the correctness guard behind the factored-vs-tiled timing in bench/compute.ts.
 */
import * as ort from 'onnxruntime-node';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BehaviourRef, FeatureContract } from '../../contract/featureContract.js';
import type { DinModel } from '../../model-export/models/din.js';
import { buildDinGraph } from '../../model-export/onnx/exportDin.js';
import { selectBackend } from '../../model-export/train/backend.js';
import { attentionWithOrtNode, scoreWithOrtNode } from './ortNode.js';
import { trainedFixture } from './trainedFixture.js';
import { nodeSessionOptions } from '../../model-export/onnx/nodeSessionOptions.js';

const REQUESTS = 96;
const CANDIDATE_COUNTS = [1, 7, 100];

function randomRequests(contract: FeatureContract, seed: number): Array<{ history: BehaviourRef[]; candidates: BehaviourRef[] }> {
  const rng = seedrandom(`tiled:${seed}`);
  const H = contract.maxHistory;
  const lengths = [1, H, H + 17]; // > H: the contract keeps the most recent H
  const pick = (): BehaviourRef => {
    if (rng() < 0.05) return { item: `unknown-${Math.floor(rng() * 1e6)}` }; // OOV
    return { item: contract.spec.items[Math.floor(rng() * contract.spec.items.length)] };
  };
  return Array.from({ length: REQUESTS }, (_, i) => {
    const historyLength = i < 48 ? lengths[i % lengths.length] : 1 + Math.floor(rng() * (H + 20));
    const candidates = CANDIDATE_COUNTS[i % CANDIDATE_COUNTS.length];
    return { history: Array.from({ length: historyLength }, pick), candidates: Array.from({ length: candidates }, pick) };
  });
}

describe('DIN factored vs tiled attention export', () => {
  let contract: FeatureContract;
  let factored: ort.InferenceSession;
  let tiled: ort.InferenceSession;

  beforeAll(async () => {
    await selectBackend('wasm', () => {});
    const fixture = await trainedFixture('din');
    contract = fixture.contract;
    const model = fixture.model as DinModel;
    const weights = await model.params.snapshot();
    const options = nodeSessionOptions({ interOpNumThreads: 1 });
    factored = await ort.InferenceSession.create(buildDinGraph(model, weights).toBytes(), options);
    tiled = await ort.InferenceSession.create(buildDinGraph(model, weights, { attention: 'tiled' }).toBytes(), options);
  });

  it(`gives the same scores and attention (≤ 1e-5) on ${REQUESTS} random requests`, async () => {
    const seen = { lengths: new Set<number>(), candidates: new Set<number>() };
    let maxScore = 0;
    let maxAttention = 0;
    for (const req of randomRequests(contract, 1)) {
      const h = contract.encodeHistory(req.history, 'compact');
      const c = contract.encodeCandidates(req.candidates);
      const [sf, st, af, at] = await Promise.all([
        scoreWithOrtNode(factored, h, c),
        scoreWithOrtNode(tiled, h, c),
        attentionWithOrtNode(factored, h, c),
        attentionWithOrtNode(tiled, h, c),
      ]);
      expect(st.length).toBe(req.candidates.length);
      expect(at.length).toBe(af.length);
      expect(af.length).toBe(req.candidates.length * h.items.length);
      for (let i = 0; i < sf.length; i++) maxScore = Math.max(maxScore, Math.abs(sf[i] - st[i]));
      for (let i = 0; i < af.length; i++) maxAttention = Math.max(maxAttention, Math.abs(af[i] - at[i]));
      seen.lengths.add(req.history.length);
      seen.candidates.add(req.candidates.length);
    }
    console.log(`din factored vs tiled: max |Δ| score ${maxScore.toExponential(2)}, attention ${maxAttention.toExponential(2)}`);
    expect([...seen.candidates].sort((a, b) => a - b)).toEqual(CANDIDATE_COUNTS);
    expect(seen.lengths.has(1) && seen.lengths.has(contract.maxHistory) && [...seen.lengths].some((n) => n > contract.maxHistory)).toBe(true);
    expect(maxScore).toBeLessThanOrEqual(1e-5);
    expect(maxAttention).toBeLessThanOrEqual(1e-5);
  });
});
