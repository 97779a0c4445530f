/**
 * A small DIN exported in Node by globalSetup for the extreme-value tests (test/workerd/extremes.test.ts):
 * one dense feature in every group the contract has — user (`age`), context (`load`, with no
 * training range: the z-bound path), candidate (`price`, stored per item and hinted for unknown
 * items in candidates and in the history) — beside a multi and a sparse column. Weights are the
 * seeded random initialisation: what matters is that the real exporter, the real manifest (golden
 * requests included) and the real worker handle the inputs, not what the model predicts.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeatureContract, type FeatureContractSpec } from '../../contract/featureContract.js';
import type { FeatureSpec } from '../../contract/features.js';
import { createModel, defaultConfig } from '../../model-export/models/index.js';
import { exportModel } from '../../model-export/onnx/exportModel.js';
import { selectBackend } from '../../model-export/train/backend.js';

export const EXTREMES_MODEL = 'extremes-din';

export interface ExtremesFixture {
  name: string;
  manifest: string;
  onnxFile: string;
  onnxBase64: string;
  items: string[];
}

export async function buildExtremesModel(): Promise<ExtremesFixture> {
  await selectBackend('cpu', () => {});
  const items = Array.from({ length: 40 }, (_, i) => `m${i + 1}`);
  const categories = ['Drama', 'Comedy', 'Sci-Fi'];
  const features: FeatureSpec[] = [
    { name: 'age', group: 'user', kind: 'dense', source: { column: 'AGE' }, mean: 34, std: 11, min: 18, max: 90 },
    { name: 'load', group: 'context', kind: 'dense', source: { column: 'LOAD' }, mean: 0.5, std: 0.2 },
    { name: 'device', group: 'context', kind: 'sparse', source: { column: 'DEVICE' }, vocabulary: ['mobile', 'desktop'], embeddingDim: 4 },
    { name: 'price', group: 'candidate', kind: 'dense', source: { column: 'PRICE' }, mean: 20, std: 8, min: 1, max: 99, itemValues: items.map((_, i) => (i % 7 === 0 ? null : 1 + ((i * 13) % 98))) },
    { name: 'tags', group: 'candidate', kind: 'multi', source: { column: 'TAGS' }, vocabulary: ['new', 'sale', 'top'], embeddingDim: 4, maxValues: 2, pooling: 'mean', itemValues: items.map((_, i) => [2 + (i % 3)]) },
  ];
  const spec: FeatureContractSpec = {
    formatVersion: 2,
    maxHistory: 20,
    padding: 'right',
    truncation: 'keep-most-recent',
    padIndex: 0,
    oovIndex: 1,
    items,
    categories,
    itemCategories: items.map((_, i) => 2 + (i % categories.length)),
    vocabularyRule: 'test fixture (test/workerd/extremesModel.ts)',
    features,
  } as FeatureContractSpec;
  const contract = new FeatureContract(spec);
  const config = {
    ...defaultConfig('din', contract.itemCount, contract.categoryCount),
    embeddingDim: 8,
    mlpHidden: [16, 8],
    attentionHidden: [16, 8] as [number, number],
    features: features.map((f) => (f.kind === 'dense' ? { name: f.name, group: f.group, kind: f.kind } : { name: f.name, group: f.group, kind: f.kind, rows: f.vocabulary.length + 2, embeddingDim: f.embeddingDim, ...(f.kind === 'multi' ? { maxValues: f.maxValues } : {}) })),
  };
  const model = createModel(config, 7);
  const dir = mkdtempSync(join(tmpdir(), 'extremes-'));
  const manifest = await exportModel(model, contract, { dir, name: EXTREMES_MODEL, metrics: {}, training: { fixture: 'test/workerd/extremesModel.ts' }, created: new Date('2026-12-05T00:00:00Z') });
  return {
    name: EXTREMES_MODEL,
    manifest: readFileSync(join(dir, 'manifest.json'), 'utf8'),
    onnxFile: manifest.onnx.file,
    onnxBase64: readFileSync(join(dir, manifest.onnx.file)).toString('base64'),
    items,
  };
}
