/**
 * The PyTorch reference trainer (python/, issue 29 item 3): `torchrun --nproc_per_node 2` (gloo
 * on CPU) trains DIN on a small MovieLens slice, exports ONNX in the serving signature, and
 * onnxruntime-node scores the exported graph like the torch model itself (`python3 -m
 * interest_edge_torch.score`) within 1e-5. Both ranks must really have trained: world size 2,
 * each rank half of every global batch, identical weights after the run (DDP), and the same
 * metrics as a 1-process run (the distributed step is the 1-process step with the batch split).
 *
 * Needs Debian's python3-torch and python3-onnx (/usr/bin/python3); skips with a message without.
 * Run: npx vitest run --config vitest.config.ts test/parity/pytorchDdp.test.ts
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVING_INPUTS, SERVING_OUTPUTS } from '../../contract/manifest.js';
import { nodeSessionOptions } from '../../model-export/onnx/nodeSessionOptions.js';
import { MOVIELENS_DIR, scoreWithTorch, SYSTEM_PYTHON, torchUnavailable, trainWithTorchrun, type EncodedRequest, type TorchRun } from '../../model-export/pytorch/torchrun.js';
import { readMovieLens } from '../../model-export/data/movielens.js';
import { readPersonalize } from '../../model-export/data/personalize.js';
import { prepareData } from '../../model-export/train/pipeline.js';
import { hashUserSplit, moduloFiveSplit } from '../../model-export/samples/sample.js';
import type { BehaviourLog } from '../../model-export/data/behaviourLog.js';
import { TASK_OUTPUTS } from '../../contract/manifest.js';
import { checkOnnx, ONNX_PYTHON } from './onnxChecker.js';

const TOLERANCE = 1e-5;
const SLICE_USERS = 60;
const unavailable = torchUnavailable();
if (unavailable) console.warn(`PyTorch DDP test skipped: ${unavailable}`);

function feeds(r: EncodedRequest): Record<string, ort.Tensor> {
  const t = (v: number[]) => new ort.Tensor('int32', Int32Array.from(v), [v.length]);
  return {
    [SERVING_INPUTS.historyItems]: t(r.hist_item),
    [SERVING_INPUTS.historyCategories]: t(r.hist_cat),
    [SERVING_INPUTS.candidateItems]: t(r.cand_item),
    [SERVING_INPUTS.candidateCategories]: t(r.cand_cat),
  };
}

/** Requests of every shape the worker sends: T from 1 (an empty history's padding slot) to H, C from 1 to 100, OOV ids. */
function randomRequests(itemCount: number, categoryCount: number, H: number): EncodedRequest[] {
  let s = 12345;
  const next = (n: number) => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) % n);
  const shapes: Array<[number, number]> = [[1, 1], [1, 7], [3, 1], [17, 50], [H, 100], [H, 2]];
  return shapes.map(([T, C], i) => {
    const empty = i === 0 || i === 1;
    const hist_item = empty ? [0] : Array.from({ length: T }, () => 1 + next(itemCount - 1));
    const hist_cat = empty ? [0] : hist_item.map(() => 1 + next(categoryCount - 1));
    const cand_item = Array.from({ length: C }, () => 1 + next(itemCount - 1));
    return { hist_item, hist_cat, cand_item, cand_cat: cand_item.map(() => 1 + next(categoryCount - 1)) };
  });
}

const CHECKSUMS = join(import.meta.dirname, '../python/prepare_checksums.py');
const checksum = (a: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s = (s * 31 + a[i]) % 1000000007;
  return s;
};

/** model-export's samples, vocabulary and batches in the form test/python/prepare_checksums.py prints. */
function nodeChecksums(log: BehaviourLog, split: 'modulo' | 'hash', seed: number) {
  const d = prepareData(log, { protocol: 'next', seed, maxHistory: 50, minItemCount: 2, split: split === 'modulo' ? moduloFiveSplit : hashUserSplit(0.2) });
  const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
  const train = d.train.batch(all(d.train.size));
  const test = d.test.batch(all(d.test.size));
  const spec = d.contract.spec;
  return {
    items: spec.items,
    categories: spec.categories,
    itemCategories: spec.itemCategories,
    train: d.train.size,
    test: d.test.size,
    trainCandidates: checksum(d.train.candidateItems),
    trainCandidateCategories: checksum(d.train.candidateCategories),
    trainLabels: checksum(d.train.labels),
    trainHistories: checksum(train.historyItems),
    trainHistoryCategories: checksum(train.historyCategories),
    testCandidates: checksum(d.test.candidateItems),
    testCandidateCategories: checksum(d.test.candidateCategories),
    testHistories: checksum(test.historyItems),
  };
}

const pythonChecksums = (args: string[]) => JSON.parse(execFileSync(SYSTEM_PYTHON, [CHECKSUMS, 'checksums', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 }));

describe.skipIf(unavailable !== undefined)('PyTorch reference trainer reads the data as model-export does', () => {
  it('its Python unit tests pass (test/python: seedrandom port, metrics, split, vocabulary, shards)', () => {
    const r = spawnSync(SYSTEM_PYTHON, ['-m', 'unittest', 'discover', '-s', join(import.meta.dirname, '../python')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('MovieLens next (seed 2): the same vocabulary, samples, negatives and encoded histories', () => {
    expect(pythonChecksums(['--data', MOVIELENS_DIR, '--source', 'movielens', '--split', 'modulo', '--seed', '2'])).toEqual(nodeChecksums(readMovieLens(), 'modulo', 2));
  });

  it('Personalize layout (string ids, ties, impressions, event filter, guessed category column, hash split)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pytorch-personalize-'));
    try {
      execFileSync(SYSTEM_PYTHON, [CHECKSUMS, 'fixture', dir]);
      const { log } = await readPersonalize({ dir, eventTypes: ['click'], progress: false });
      const expected = nodeChecksums(log, 'hash', 3);
      expect(expected.test).toBeGreaterThan(0);
      expect(pythonChecksums(['--data', dir, '--source', 'personalize', '--split', 'hash', '--seed', '3', '--event-types', 'click'])).toEqual(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(unavailable !== undefined)('PyTorch reference trainer: torchrun --nproc_per_node 2 (gloo), ONNX export', () => {
  const root = mkdtempSync(join(tmpdir(), 'pytorch-ddp-'));
  let run: TorchRun;
  let single: TorchRun;
  let session: ort.InferenceSession;

  beforeAll(async () => {
    run = trainWithTorchrun(join(root, 'ddp'), { nproc: 2, maxUsers: SLICE_USERS, epochs: 1, seed: 1 });
    session = await ort.InferenceSession.create(readFileSync(run.onnx), nodeSessionOptions());
  }, 600_000);

  afterAll(async () => {
    await session?.release();
    rmSync(root, { recursive: true, force: true });
  });

  it('both ranks trained: world size 2, half of every global batch each, the same weights after the run', () => {
    const m = run.metrics;
    expect(m.worldSize).toBe(2);
    expect(m.backend).toBe('gloo');
    expect(m.ranks.map((r) => r.rank)).toEqual([0, 1]);
    expect(new Set(m.ranks.map((r) => r.pid)).size).toBe(2);
    const [r0, r1] = m.ranks;
    expect(r0.samples + r1.samples).toBe(m.trainSamples);
    expect(Math.abs(r0.samples - r1.samples)).toBeLessThanOrEqual(r0.steps);
    expect(r0.steps).toBe(Math.ceil(m.trainSamples / 256));
    expect(r1.steps).toBe(r0.steps);
    expect(r1.weightChecksum).toBe(r0.weightChecksum);
    expect(m.auc).toBeGreaterThan(0.55); // one epoch on 60 users: learning, not quality
    expect(m.samplesPerSecond).toBeGreaterThan(0);
  });

  it('writes the import layout: model.onnx, vocab.json (interest-edge-vocab/1), metrics.json', () => {
    const vocab = JSON.parse(readFileSync(run.vocab, 'utf8'));
    expect(vocab.format).toBe('interest-edge-vocab/1');
    expect(vocab.maxHistory).toBe(50);
    expect(vocab.items.length).toBe(run.metrics.vocabulary.items);
    expect(vocab.itemCategories.length).toBe(vocab.items.length);
    expect(vocab.items.every((i: unknown) => typeof i === 'string')).toBe(true);
    expect(vocab.itemCategories.every((c: number) => Number.isInteger(c) && c >= 1 && c < vocab.categories.length + 2)).toBe(true);
    expect(vocab.vocabularyRule).toBe('items seen >= 2 times in the training split; categories of those items');
    expect(run.metrics.onnx?.opset).toBe(17);
  });

  it('the graph has the serving signature: int32 [T] / [C] inputs, score [C], attention [C, T]', () => {
    expect([...session.inputNames].sort()).toEqual(Object.values(SERVING_INPUTS).sort());
    expect(session.outputNames).toEqual([SERVING_OUTPUTS.scores, SERVING_OUTPUTS.attention]);
    if (ONNX_PYTHON) expect(checkOnnx(run.onnx)).toBe('ok 8 17');
  });

  it(`onnxruntime-node = the torch model (score entry) within ${TOLERANCE}: scores and attention`, async () => {
    const vocab = JSON.parse(readFileSync(run.vocab, 'utf8'));
    const requests = [...run.requests, ...randomRequests(vocab.items.length + 2, vocab.categories.length + 2, vocab.maxHistory)];
    const torch = scoreWithTorch(run.checkpoint, requests);
    let worst = 0;
    for (const [i, r] of requests.entries()) {
      const out = await session.run(feeds(r));
      const score = Array.from(out[SERVING_OUTPUTS.scores].data as Float32Array);
      const attention = Array.from(out[SERVING_OUTPUTS.attention].data as Float32Array);
      expect(out[SERVING_OUTPUTS.scores].dims).toEqual([r.cand_item.length]);
      expect(out[SERVING_OUTPUTS.attention].dims).toEqual([r.cand_item.length, r.hist_item.length]);
      expect(score.every((p) => p > 0 && p < 1)).toBe(true);
      score.forEach((p, c) => (worst = Math.max(worst, Math.abs(p - torch.scores[i][c]))));
      torch.attention[i].flat().forEach((a, j) => expect(Math.abs(attention[j] - a)).toBeLessThanOrEqual(TOLERANCE));
      if (r.hist_item.every((x) => x === 0)) expect(attention.every((a) => a === 0)).toBe(true); // padding masked
    }
    console.info(`PyTorch vs onnxruntime-node: max |Δscore| ${worst.toExponential(2)} over ${requests.length} requests`);
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
  });

  it('a 1-process run gives the same model: the distributed step is the single-process step', () => {
    single = trainWithTorchrun(join(root, 'single'), { nproc: 1, maxUsers: SLICE_USERS, epochs: 1, seed: 1, args: ['--no-export'] });
    expect(single.metrics.worldSize).toBe(1);
    expect(single.metrics.trainSamples).toBe(run.metrics.trainSamples);
    expect(Math.abs(single.metrics.auc - run.metrics.auc)).toBeLessThan(1e-4);
    expect(Math.abs(single.metrics.logloss - run.metrics.logloss)).toBeLessThan(1e-4);
  }, 300_000);
});

describe.skipIf(unavailable !== undefined)('PyTorch reference trainer: multi-task shared-bottom + ESMM head (torchrun, 2 ranks)', () => {
  const root = mkdtempSync(join(tmpdir(), 'pytorch-esmm-'));
  let run: TorchRun;
  let session: ort.InferenceSession;

  beforeAll(async () => {
    run = trainWithTorchrun(join(root, 'esmm'), { nproc: 2, maxUsers: 40, epochs: 1, seed: 2, args: ['--head', 'shared-bottom'] });
    session = await ort.InferenceSession.create(readFileSync(run.onnx), nodeSessionOptions());
  }, 600_000);

  afterAll(async () => {
    await session?.release();
    rmSync(root, { recursive: true, force: true });
  });

  it('reports every task (ctr on all samples, cvr on the clicked, ctcvr) and both ranks trained', () => {
    const tasks = run.metrics.tasks as Record<string, { auc: number; gauc: number }>;
    expect(Object.keys(tasks)).toEqual(['ctr', 'cvr', 'ctcvr']);
    expect(run.metrics.auc).toBe(tasks.ctr.auc);
    expect(run.metrics.worldSize).toBe(2);
    expect(run.metrics.ranks[1].weightChecksum).toBe(run.metrics.ranks[0].weightChecksum);
  });

  it(`serves score = ctr, cvr, ctcvr = ctr·cvr: onnxruntime-node = torch within ${TOLERANCE}`, async () => {
    expect(session.outputNames).toEqual([SERVING_OUTPUTS.scores, SERVING_OUTPUTS.attention, ...TASK_OUTPUTS]);
    const torch = scoreWithTorch(run.checkpoint, run.requests);
    for (const [i, r] of run.requests.entries()) {
      const out = await session.run(feeds(r));
      const get = (name: string) => Array.from(out[name].data as Float32Array);
      const expected: Record<string, number[]> = { score: torch.scores[i], ctr: torch.ctr![i], cvr: torch.cvr![i], ctcvr: torch.ctcvr![i] };
      for (const [name, values] of Object.entries(expected)) get(name).forEach((v, c) => expect(Math.abs(v - values[c])).toBeLessThanOrEqual(TOLERANCE));
      expect(get('score')).toEqual(get('ctr'));
      get('ctcvr').forEach((v, c) => expect(v).toBeCloseTo(get('ctr')[c] * get('cvr')[c], 6));
    }
  });
});
