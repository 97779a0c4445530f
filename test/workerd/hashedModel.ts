/**
 * A tiny DIN with hashed item ids (contract format 3, quotient-remainder embedding), exported in
 * Node by globalSetup for test/workerd/hashed.test.ts, with onnxruntime-node reference scores of a
 * few requests. Random weights: what matters is that the worker loads a manifest without an item
 * vocabulary (golden replay included), hashes ids as training did and runs the int32 Div/Sub/Mul
 * path in onnxruntime-web.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildFeatureContract, type BehaviourRef } from '../../contract/featureContract.js';
import { hashedItemIdsFor } from '../../contract/hashedItems.js';
import { createModel, defaultConfig } from '../../model-export/models/index.js';
import { exportModel } from '../../model-export/onnx/exportModel.js';
import { nodeSessionOptions } from '../../model-export/onnx/nodeSessionOptions.js';
import { selectBackend } from '../../model-export/train/backend.js';
import { scoreWithOrtNode } from '../parity/ortNode.js';

export const HASHED_MODEL = 'hashed-din';

export interface HashedCase {
  body: { history: Array<string | BehaviourRef>; candidates: Array<string | BehaviourRef> };
  /** Reference score per candidate id (onnxruntime-node). */
  expected: Record<string, number>;
}

export interface HashedFixture {
  name: string;
  manifest: string;
  onnxFile: string;
  onnxBase64: string;
  cases: HashedCase[];
}

export async function buildHashedModel(): Promise<HashedFixture> {
  await selectBackend('cpu', () => {});
  const categories = ['Drama', 'Comedy', 'Sci-Fi'];
  const counts = new Map(Array.from({ length: 30 }, (_, i) => [`m${i}`, 2]));
  const itemCategory = new Map(Array.from({ length: 30 }, (_, i) => [`m${i}`, categories[i % 3]]));
  const contract = buildFeatureContract(counts, itemCategory, { maxHistory: 20, minItemCount: 1, itemIds: hashedItemIdsFor(64) });
  const config = {
    ...defaultConfig('din', contract.itemCount, contract.categoryCount),
    embeddingDim: 8,
    mlpHidden: [16, 8],
    attentionHidden: [16, 8] as [number, number],
    itemIds: contract.hashedItems,
  };
  const model = createModel(config, 11);
  const dir = mkdtempSync(join(tmpdir(), 'hashed-'));
  const manifest = await exportModel(model, contract, { dir, name: HASHED_MODEL, metrics: {}, training: { fixture: 'test/workerd/hashedModel.ts' }, created: new Date('2026-12-05T00:00:00Z') });
  const onnx = readFileSync(join(dir, manifest.onnx.file));
  const session = await ort.InferenceSession.create(onnx, nodeSessionOptions());
  const bodies: HashedCase['body'][] = [
    { history: ['m1', { item: 'never-trained', category: 'Comedy' }, 'm7', 'm22'], candidates: ['m0', 'm5', { item: 'brand-new', category: 'Drama' }, 'other-id'] },
    { history: [], candidates: ['m3', 'm4'] },
    { history: Array.from({ length: 27 }, (_, i) => `m${i}`), candidates: Array.from({ length: 12 }, (_, i) => `x${i}`) },
  ];
  const cases: HashedCase[] = [];
  for (const body of bodies) {
    const scores = await scoreWithOrtNode(session, contract.encodeHistory(body.history), contract.encodeCandidates(body.candidates));
    const ids = body.candidates.map((c) => (typeof c === 'string' ? c : String(c.item)));
    cases.push({ body, expected: Object.fromEntries(ids.map((id, i) => [id, scores[i]])) });
  }
  await session.release();
  return { name: HASHED_MODEL, manifest: readFileSync(join(dir, 'manifest.json'), 'utf8'), onnxFile: manifest.onnx.file, onnxBase64: onnx.toString('base64'), cases };
}
