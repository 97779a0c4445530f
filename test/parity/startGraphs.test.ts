/**
 * The start graphs the worker runs at isolate start (worker/runtime/startGraphs.ts) are what
 * `npm run start-graphs` builds today, run in onnxruntime, and use every operator the shipped
 * models use: a shipped model with an operator the start graphs lack would make its first request
 * compile that code again (cold start), which is what the start graphs exist to avoid.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { readFileSync } from 'node:fs';
import { shippedModelNames } from '../../bench/lib/servingModels.js';
import { join } from 'node:path';
import { ModelProtoSchema, type GraphProto } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelManifestSchema, SERVING_INPUTS } from '../../contract/manifest.js';
import { START_GRAPH_FEEDS } from '../../worker/runtime/startGraphs.js';
import { buildStartGraph, START_GRAPH_CATEGORIES, START_GRAPH_ITEMS, START_GRAPH_TYPES } from '../../model-export/onnx/startGraphs.js';
import { selectBackend } from '../../model-export/train/backend.js';
import { START_GRAPHS_BASE64 } from '../../worker/runtime/startGraphs.js';
import { nodeSessionOptions } from '../../model-export/onnx/nodeSessionOptions.js';

const MODELS_DIR = join(import.meta.dirname, '../../models');

/** "domain:OpType" of every node, subgraphs (Scan bodies) included. */
function operators(graph: GraphProto | undefined, into = new Set<string>()): Set<string> {
  for (const node of graph?.node ?? []) {
    into.add(`${node.domain || 'ai.onnx'}:${node.opType}`);
    for (const attr of node.attribute) operators(attr.g, into);
  }
  return into;
}

const opsOf = (bytes: Uint8Array) => operators(fromBinary(ModelProtoSchema, bytes).graph);
const startBytes = (type: (typeof START_GRAPH_TYPES)[number]) => Buffer.from(START_GRAPHS_BASE64[type as keyof typeof START_GRAPHS_BASE64], 'base64');

beforeAll(async () => {
  await selectBackend('cpu', () => {});
});

describe('start graphs', () => {
  it.each(START_GRAPH_TYPES)('%s: the committed graph is what the exporter builds today', async (type) => {
    expect(Buffer.from(await buildStartGraph(type)).equals(startBytes(type))).toBe(true);
  });

  it('cover every operator of every shipped model (all start graphs run at isolate start)', () => {
    const shipped = shippedModelNames().map((name) => ({ name }));
    expect(shipped.length).toBeGreaterThan(0);
    const start = new Set(START_GRAPH_TYPES.flatMap((t) => [...opsOf(startBytes(t))]));
    for (const dir of shipped) {
      const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(MODELS_DIR, dir.name, 'manifest.json'), 'utf8')));
      const missing = [...opsOf(readFileSync(join(MODELS_DIR, dir.name, manifest.onnx.file)))].filter((op) => !start.has(op));
      expect(missing, `${dir.name} uses operators no start graph has`).toEqual([]);
    }
  });

  it.each(START_GRAPH_TYPES)('%s: runs in onnxruntime-node with the serving signature', async (type) => {
    const session = await ort.InferenceSession.create(startBytes(type), nodeSessionOptions());
    const ids = (n: number, first: number) => new ort.Tensor('int32', Int32Array.from({ length: n }, (_, i) => (first + i) % START_GRAPH_ITEMS), [n]);
    const category = (n: number) => new ort.Tensor('int32', new Int32Array(n).fill(START_GRAPH_CATEGORIES - 1), [n]);
    const rows = { T: 8, C: 3, 1: 1 } as const;
    const features = Object.fromEntries(
      START_GRAPH_FEEDS.map((f) => {
        const n = rows[f.rows];
        const dims = f.width > 1 ? [n, f.width] : [n];
        return [f.input, f.dtype === 'float32' ? new ort.Tensor('float32', new Float32Array(n * f.width).fill(0.5), dims) : new ort.Tensor('int32', new Int32Array(n * f.width).fill(2), dims)];
      }),
    );
    const out = await session.run({
      [SERVING_INPUTS.historyItems]: ids(8, 2),
      [SERVING_INPUTS.historyCategories]: category(8),
      [SERVING_INPUTS.candidateItems]: ids(3, 20),
      [SERVING_INPUTS.candidateCategories]: category(3),
      ...features,
    });
    expect(Array.from(out.score.data as Float32Array).every((p) => p > 0 && p < 1)).toBe(true);
  });
});
