/**
 * `npm run import-model` end to end (model-export/import): the repo's own exports go through
 * unchanged (same bytes, same golden requests, a manifest the worker's schema and contract read);
 * a PyTorch-style training-shape graph with int64 inputs is rewritten to the serving signature
 * and then scores what the serving-shape graph scores; refusals that need a runtime (an output
 * that is not a probability, an operator the wasm build has no kernel for) name their cause.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { FeatureContract } from '../../contract/featureContract.js';
import { contractOf, modelManifestSchema } from '../../contract/manifest.js';
import { encodeForModel } from '../../core/encode/rowFeeds.js';
import { fixtureGraph, fixtureVocab, type FixtureOptions } from '../../model-export/import/fixtureGraphs.js';
import { importModel } from '../../model-export/import/importModel.js';
import { feedTensors, probeRequests } from '../../model-export/import/probe.js';
import { ImportRefusal, OperatorRefusal, ProbabilityRefusal } from '../../model-export/import/refusal.js';
import { readVocab } from '../../model-export/import/vocab.js';
import { nodeSessionOptions } from '../../model-export/onnx/nodeSessionOptions.js';
import { loadShippedModel, shippedModelNames } from '../../model-export/shippedModels.js';

const tmp = mkdtempSync(join(tmpdir(), 'import-model-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const vocab = fixtureVocab();
const contract = new FeatureContract(readVocab(vocab).spec);

const imported = (options: FixtureOptions, extra: Partial<Parameters<typeof importModel>[0]> = {}) =>
  importModel({ onnx: fixtureGraph(options), onnxFile: 'trained.onnx', vocab, name: 'fixture', created: new Date('2026-12-05T00:00:00Z'), ...extra });

async function refusal(options: FixtureOptions, extra: Partial<Parameters<typeof importModel>[0]> = {}): Promise<ImportRefusal> {
  try {
    await imported(options, extra);
  } catch (e) {
    if (e instanceof ImportRefusal) return e;
    throw e;
  }
  throw new Error('imported, expected a refusal');
}

/** Scores of the probe requests (1 to 64 candidates, histories 1 to H + 3) with onnxruntime-node. */
async function scores(onnx: Uint8Array): Promise<number[][]> {
  const session = await ort.InferenceSession.create(onnx, nodeSessionOptions());
  try {
    const out: number[][] = [];
    for (const r of probeRequests(contract, 10)) {
      const { feeds } = await encodeForModel({ contract }, r, { time: r.time, route: r.route });
      out.push(Array.from((await session.run(feedTensors(ort.Tensor as never, feeds) as never, ['score'])).score.data as Float32Array));
    }
    return out;
  } finally {
    await session.release();
  }
}

const maxDelta = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));

describe('round trip: the repo\'s own exports', () => {
  it.each(shippedModelNames())('%s imports unchanged: same bytes, same golden requests, a manifest the worker reads', async (name) => {
    const shipped = loadShippedModel(name);
    const out = join(tmp, name);
    const result = await importModel({
      onnx: shipped.onnx,
      onnxFile: join('models', name, 'model.onnx'),
      vocab: JSON.parse(readFileSync(join('models', name, 'manifest.json'), 'utf8')),
      out,
      name,
      type: shipped.manifest.type,
    });
    expect(result.rewrites).toEqual([]);
    expect(result.manifest.onnx.sha256).toBe(shipped.manifest.onnx.sha256);
    expect(new Uint8Array(readFileSync(join(out, 'model.onnx')))).toEqual(shipped.onnx);
    expect(result.manifest.golden).toEqual(shipped.manifest.golden);
    expect(result.manifest.inputs).toEqual(shipped.manifest.inputs);
    expect(result.manifest.outputs).toEqual(shipped.manifest.outputs);
    expect(result.manifest.featureContract).toEqual(shipped.manifest.featureContract);
    const written = modelManifestSchema.parse(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
    expect(contractOf(written).spec.items).toHaveLength(shipped.manifest.featureContract.items.length);
    expect(written.training).toMatchObject({ importedFrom: { file: 'model.onnx', sha256: shipped.manifest.onnx.sha256, shape: 'serving' }, vocabulary: 'manifest' });
    expect(written.version).toMatch(new RegExp(`^\\d{4}-\\d{2}-\\d{2}\\.${shipped.manifest.onnx.sha256.slice(0, 8)}$`));
  });
});

describe('a graph from another trainer', () => {
  it('serving shape, int32: imported as is', async () => {
    const r = await imported({});
    expect(r.rewrites).toEqual([]);
    expect(r.notes).toEqual([]);
    expect(r.manifest.inputs.map((i) => `${i.name}:${i.dtype}[${i.shape.join(',')}]`)).toEqual(['hist_item:int32[T]', 'hist_cat:int32[T]', 'cand_item:int32[C]', 'cand_cat:int32[C]']);
    expect(r.manifest.outputs).toEqual([{ name: 'score', dtype: 'float32', shape: ['C'] }]);
    expect(r.manifest.featureContract.items).toEqual(vocab.items);
  });

  it('training shape (batch × history, int64, score [B, 1], PyTorch names) is rewritten and scores what the serving-shape graph scores', async () => {
    const serving = await imported({});
    const training = await imported(
      { shape: 'training', indexType: 'int64', scoreColumn: true, names: { hist_item: 'hist_item_ids', cand_item: 'target_item_id', score: 'prob' } },
      { map: { hist_item_ids: 'hist_item', target_item_id: 'cand_item', prob: 'score' } },
    );
    expect(training.rewrites).toEqual([
      'renamed hist_item_ids → hist_item',
      'renamed target_item_id → cand_item',
      'renamed prob → score',
      'hist_item: int32 input, Cast to int64 for the graph',
      'hist_item: serving [T], Expanded to the training shape [C, T] (one history row per candidate)',
      'hist_cat: int32 input, Cast to int64 for the graph',
      'hist_cat: serving [T], Expanded to the training shape [C, T] (one history row per candidate)',
      'cand_item: int32 input, Cast to int64 for the graph',
      'cand_cat: int32 input, Cast to int64 for the graph',
      'score: Squeezed [C, 1] to [C]',
    ]);
    expect(training.manifest.inputs).toEqual(serving.manifest.inputs);
    expect(training.manifest.outputs).toEqual(serving.manifest.outputs);
    expect(training.manifest.training).toMatchObject({ importedFrom: { shape: 'training' } });
    // The same function: the mean over T is summed in another order, so float rounding only.
    const a = await scores(serving.bytes);
    const b = await scores(training.bytes);
    expect(a.map((row) => row.length)).toEqual([1, 2, 17, 64, 5, 1, 2, 17, 64, 5]);
    expect(maxDelta(a, b)).toBeLessThan(1e-6);
    const goldenA = serving.manifest.golden!.requests.map((r) => r.expected.score!);
    const goldenB = training.manifest.golden!.requests.map((r) => r.expected.score!);
    expect(maxDelta(goldenA, goldenB)).toBeLessThan(1e-6);
  });

  it('training shape with score [B] and int32 inputs: only the history is expanded', async () => {
    const r = await imported({ shape: 'training' });
    expect(r.rewrites).toEqual([
      'hist_item: serving [T], Expanded to the training shape [C, T] (one history row per candidate)',
      'hist_cat: serving [T], Expanded to the training shape [C, T] (one history row per candidate)',
    ]);
    expect(maxDelta(await scores(r.bytes), await scores((await imported({})).bytes))).toBeLessThan(1e-6);
  });

  it('training shape with attention [B, T]: served as [C, T], the same weights as the serving-shape graph', async () => {
    const serving = await imported({ attention: true });
    const training = await imported({ shape: 'training', attention: true });
    expect(training.manifest.outputs).toEqual([
      { name: 'score', dtype: 'float32', shape: ['C'] },
      { name: 'attention', dtype: 'float32', shape: ['C', 'T'] },
    ]);
    expect(training.manifest.outputs).toEqual(serving.manifest.outputs);
    const attention = async (onnx: Uint8Array) => {
      const session = await ort.InferenceSession.create(onnx, nodeSessionOptions());
      const out: number[][] = [];
      for (const r of probeRequests(contract, 5)) {
        const { feeds } = await encodeForModel({ contract }, r, { time: r.time, route: r.route });
        const result = await session.run(feedTensors(ort.Tensor as never, feeds) as never, ['attention']);
        expect(result.attention.dims).toEqual([feeds.candidateItems.length, feeds.historyItems.length]);
        out.push(Array.from(result.attention.data as Float32Array));
      }
      await session.release();
      return out;
    };
    expect(maxDelta(await attention(serving.bytes), await attention(training.bytes))).toBeLessThan(1e-6);
  });

  it.each([
    ['serving', {}],
    ['training', { shape: 'training' }],
    ['fixed-history training', { shape: 'training', shapes: { hist_item: ['B', 8] } }],
  ] as Array<[string, FixtureOptions]>)('a %s-shape graph without category inputs gets them added, unread', async (_, options) => {
    const r = await imported({ ...options, noCategories: true });
    expect(r.rewrites.filter((x) => x.includes(': added as'))).toEqual([
      'hist_cat: added as an input the graph does not read (the worker feeds it)',
      'cand_cat: added as an input the graph does not read (the worker feeds it)',
    ]);
    expect(r.manifest.inputs.map((i) => i.name)).toEqual(['hist_item', 'hist_cat', 'cand_item', 'cand_cat']);
    expect(r.notes).toEqual(['hist_cat/cand_cat are not read by the graph (the model ignores categories)']);
  });

  it('drops an output the serving signature does not know, and says so', async () => {
    const r = await imported({ extraOutput: 'logits' });
    expect(r.rewrites).toEqual(['dropped output logits (the worker fetches only score, attention, ctr, cvr, ctcvr)']);
    expect(r.manifest.outputs.map((o) => o.name)).toEqual(['score']);
    expect(maxDelta(await scores(r.bytes), await scores(fixtureGraph({})))).toBe(0);
  });

  it.each([
    ['serving shape [8]', { shapes: { hist_item: [8], hist_cat: [8] } }],
    ['training shape [B, 8], int64, score [B, 1]', { shape: 'training', indexType: 'int64', scoreColumn: true, shapes: { hist_item: ['B', 8], hist_cat: ['B', 8] } }],
  ] as Array<[string, FixtureOptions]>)('history fixed at maxHistory (%s): requests are padded to it; scores and attention are the graph\'s on padded histories', async (_, options) => {
    const H = contract.spec.maxHistory;
    const r = await imported({ ...options, attention: true });
    expect(r.rewrites).toContain('hist_item: serving [T], padded with 0 to the fixed history length 8 the graph was exported with');
    expect(r.rewrites).toContain("attention: [C, 8] sliced to the request's [C, T]");
    expect(r.manifest.inputs.slice(0, 2).map((i) => i.shape)).toEqual([['T'], ['T']]);
    // Reference: the dynamic serving graph fed the same requests padded to H by hand.
    const reference = await ort.InferenceSession.create(fixtureGraph({ attention: true }), nodeSessionOptions());
    const session = await ort.InferenceSession.create(r.bytes, nodeSessionOptions());
    for (const request of probeRequests(contract, 10)) {
      const { feeds } = await encodeForModel({ contract }, request, { time: request.time, route: request.route });
      const T = feeds.historyItems.length;
      const padded = { ...feeds, historyItems: Int32Array.from({ length: H }, (_, i) => feeds.historyItems[i] ?? 0), historyCategories: Int32Array.from({ length: H }, (_, i) => feeds.historyCategories[i] ?? 0) };
      const want = await reference.run(feedTensors(ort.Tensor as never, padded) as never, ['score', 'attention']);
      const got = await session.run(feedTensors(ort.Tensor as never, feeds) as never, ['score', 'attention']);
      const C = feeds.candidateItems.length;
      expect(got.attention.dims).toEqual([C, T]);
      const wantScores = Array.from(want.score.data as Float32Array);
      const wantAttention = Array.from({ length: C }, (_, c) => Array.from((want.attention.data as Float32Array).subarray(c * H, c * H + T)));
      expect(maxDelta([Array.from(got.score.data as Float32Array)], [wantScores])).toBeLessThan(1e-6);
      expect(maxDelta(Array.from({ length: C }, (_, c) => Array.from((got.attention.data as Float32Array).subarray(c * T, c * T + T))), wantAttention)).toBeLessThan(1e-6);
    }
    await reference.release();
    await session.release();
  });

  it('notes an embedding table with more rows than the vocabulary needs (not refused)', async () => {
    const r = await imported({ itemRows: 40 });
    expect(r.notes).toEqual(['embedding table emb.item has 40 rows for 32 indices (30 items + padding + unknown): rows 32… are never read']);
  });

  it('writes model.onnx and manifest.json the worker\'s schema reads', async () => {
    const out = join(tmp, 'fixture');
    const r = await imported({ shape: 'training' }, { out, source: 'pytorch-ddp 2 GPUs, 3 epochs', metrics: { auc: 0.71, torch: '1.13.0', config: { lr: 0.001 }, worldSize: 2 } });
    const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
    expect(manifest).toEqual(r.manifest);
    expect(manifest.training).toMatchObject({ source: 'pytorch-ddp 2 GPUs, 3 epochs', vocabulary: 'vocab', trainerReport: { torch: '1.13.0', config: { lr: 0.001 } } });
    expect(manifest.metrics).toEqual({ auc: 0.71, worldSize: 2 });
    expect(manifest.golden!.reference).toMatch(/^onnxruntime-node /);
    expect(new Uint8Array(readFileSync(join(out, 'model.onnx')))).toEqual(r.bytes);
  });
});

describe('refusals that need a runtime', () => {
  it('an output that is not a probability (no final Sigmoid): names score, min and max, and the fix', async () => {
    const e = await refusal({ logit: true });
    expect(e).toBeInstanceOf(ProbabilityRefusal);
    const p = e as ProbabilityRefusal;
    expect(p.tensor).toBe('score');
    expect(p.min).toBeLessThan(0);
    expect(p.max).toBeGreaterThan(1);
    expect(p.problem).toContain(`min ${p.min}, max ${p.max}`);
    expect(p.fix).toContain('end the graph with a Sigmoid');
    expect(p.fix).toContain('--add-sigmoid');
  });

  it('--add-sigmoid makes that logit graph the Sigmoid graph', async () => {
    const r = await imported({ logit: true }, { addSigmoid: true });
    expect(r.rewrites).toEqual(['score: Sigmoid added (--add-sigmoid)']);
    expect(maxDelta(await scores(r.bytes), await scores(fixtureGraph({})))).toBe(0);
  });

  it('--add-sigmoid on a graph that already ends in a Sigmoid is refused', async () => {
    const e = await refusal({}, { addSigmoid: true });
    expect(e.subjectName).toBe('score');
    expect(e.fix).toBe('drop --add-sigmoid');
  });

  it('an operator the wasm build has no kernel for at these types (Erf on float64): the wasm session\'s verdict, naming the operator', async () => {
    const e = await refusal({ extraOp: { opType: 'Erf', viaDouble: true } });
    expect(e).toBeInstanceOf(OperatorRefusal);
    expect((e as OperatorRefusal).operator).toBe('Erf');
    expect(e.problem).toContain("no kernel in onnxruntime-web's wasm build");
  });
});
