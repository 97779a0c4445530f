/**
 * An imported model serves in workerd (docs/importing-models.md). A training-shape graph (batch ×
 * history, int64 indices, score [B, 1]) rewritten by the importer's signature pass
 * (model-export/import/signature.ts: pure protobuf, it runs here unchanged) loads in the worker
 * beside the same model exported in serving shape, passes the worker's load-time golden replay
 * with golden outputs the serving-shape graph produced in this worker, and scores every request
 * within float rounding of it. (The full importer — onnxruntime-node goldens, the probe — runs in
 * Node: test/parity/importModel.test.ts; this file needs no globalSetup.)
 */
import { describe, expect, it } from 'vitest';
import { FeatureContract } from '../../contract/featureContract.js';
import { goldenRequestsFor, GOLDEN_TOLERANCE, type Golden } from '../../contract/goldenRequests.js';
import type { ModelManifest } from '../../contract/manifest.js';
import type { ScoreResponse } from '../../core/schema/score.schema.js';
import { sha256Hex } from '../../core/models/sha256.js';
import { defaultOpset, parseModel, serialise } from '../../model-export/import/onnxGraph.js';
import { conformSignature, signatureFor } from '../../model-export/import/signature.js';
import { readVocab } from '../../model-export/import/vocab.js';

/**
 * The fixture graphs are built with model-export/onnx/graphBuilder.ts, which uses Node's Buffer
 * (workerd has it under nodejs_compat, the worker's type project does not): imported by a
 * specifier tsc does not follow, typed here by what this file uses.
 */
type FixtureGraphs = {
  fixtureGraph(o?: { shape?: 'serving' | 'training'; indexType?: 'int32' | 'int64'; scoreColumn?: boolean }): Uint8Array;
  fixtureVocab(): unknown;
};
const FIXTURES = '../../model-export/import/fixtureGraphs.js';
const { fixtureGraph, fixtureVocab } = (await import(/* @vite-ignore */ FIXTURES)) as FixtureGraphs;
import { createApp } from '../../worker/app.js';
import { BASE, bindingsWithFiles, env } from './helpers.js';

const spec = readVocab(fixtureVocab()).spec;
const contract = new FeatureContract(spec);

async function manifestOf(name: string, onnx: Uint8Array, golden?: Golden): Promise<ModelManifest> {
  const model = parseModel(onnx, `${name}.onnx`);
  const sha256 = await sha256Hex(onnx);
  return {
    name,
    type: 'din',
    version: `2026-12-05.${sha256.slice(0, 8)}`,
    created: '2026-12-05T00:00:00.000Z',
    onnx: { file: 'model.onnx', sha256, bytes: onnx.length, irVersion: Number(model.irVersion), opset: defaultOpset(model) },
    ...signatureFor(spec, ['score']),
    featureContract: spec,
    metrics: {},
    training: { importedFrom: { file: `${name}.onnx`, shape: 'training' } },
    ...(golden ? { golden } : {}),
  };
}

/** ASSETS serving these models in front of the real assets. */
function bindingsServing(models: Array<{ manifest: ModelManifest; onnx: Uint8Array }>): typeof env {
  const files = new Map<string, Uint8Array>();
  for (const { manifest, onnx } of models) {
    files.set(`/${manifest.name}/manifest.json`, new TextEncoder().encode(JSON.stringify(manifest)));
    files.set(`/${manifest.name}/model.onnx`, onnx);
  }
  return bindingsWithFiles(files);
}

const appFor = (model: string) => createApp({ routes: { defaultRoute: 'r', routes: { r: { variants: [{ name: 'only', model, weight: 1 }] } } } });

async function scoresOf(app: ReturnType<typeof createApp>, bindings: typeof env, body: { history: string[]; candidates: string[] }): Promise<Map<string, number>> {
  const res = await app.fetch(new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }), bindings);
  if (res.status !== 200) throw new Error(`expected 200, got ${res.status}: ${await res.text()}`);
  return new Map(((await res.json()) as ScoreResponse).scores.map((s) => [s.item, s.score]));
}

const items = spec.items;
const requests = [
  { history: [items[3]], candidates: [items[0]] },
  { history: items.slice(0, 8), candidates: items.slice(5, 25) },
  { history: [...items.slice(10, 22), 'unknown-h'], candidates: ['unknown-c', items[29], items[1]] },
  { history: [], candidates: items.slice(0, 30) },
];

describe('an imported training-shape model in workerd', () => {
  it('loads after the worker replays goldens of the serving-shape graph, and scores what it scores', async () => {
    const serving = fixtureGraph({});
    const trained = parseModel(fixtureGraph({ shape: 'training', indexType: 'int64', scoreColumn: true }), 'trained.onnx');
    const { rewrites, shape } = conformSignature(trained, spec);
    expect(shape).toBe('training');
    expect(rewrites).toContain('score: Squeezed [C, 1] to [C]');
    const imported = serialise(trained);

    // Golden outputs from the serving-shape graph, scored by this worker.
    const reference = { manifest: await manifestOf('fixture-serving', serving), onnx: serving };
    const referenceApp = appFor('fixture-serving');
    const referenceBindings = bindingsServing([reference]);
    const goldenInputs = goldenRequestsFor(contract);
    const golden: Golden = {
      tolerance: GOLDEN_TOLERANCE,
      reference: 'onnxruntime-web in workerd, serving-shape fixture',
      requests: await Promise.all(
        goldenInputs.map(async (g) => {
          const s = await scoresOf(referenceApp, referenceBindings, { history: g.history, candidates: g.candidates });
          return { ...g, expected: { score: g.candidates.map((c) => s.get(c)!) } };
        }),
      ),
    };

    const importedApp = appFor('fixture-imported');
    const importedBindings = bindingsServing([{ manifest: await manifestOf('fixture-imported', imported, golden), onnx: imported }]);
    for (const body of requests) {
      const a = await scoresOf(referenceApp, referenceBindings, body);
      const b = await scoresOf(importedApp, importedBindings, body);
      expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
      for (const [item, score] of a) expect(Math.abs(b.get(item)! - score), item).toBeLessThan(1e-6);
    }
    const health = (await (await importedApp.fetch(new Request(`${BASE}/healthz`), importedBindings)).json()) as { status: string; models: Array<{ name: string; status: string }> };
    expect(health.models.find((m) => m.name === 'fixture-imported')?.status).toBe('ready');
  });

  it('a wrong golden is refused at load: the replay above is a real check', async () => {
    const imported = serialise((() => {
      const m = parseModel(fixtureGraph({ shape: 'training' }), 'trained.onnx');
      conformSignature(m, spec);
      return m;
    })());
    const g = goldenRequestsFor(contract)[0];
    const golden: Golden = { tolerance: GOLDEN_TOLERANCE, reference: 'made up', requests: [{ ...g, expected: { score: g.candidates.map(() => 0.5) } }] };
    const app = appFor('fixture-wrong-golden');
    const bindings = bindingsServing([{ manifest: await manifestOf('fixture-wrong-golden', imported, golden), onnx: imported }]);
    const res = await app.fetch(new Request(`${BASE}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(requests[1]) }), bindings);
    expect(res.status).not.toBe(200);
  });
});
