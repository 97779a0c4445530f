/**
 * A DIN whose item rows live outside the graph (contract/itemRows.ts), exported in Node by
 * globalSetup for test/workerd/rows.test.ts: 5,000 synthetic items (several shards), the real
 * exporter, manifest and shard files, and reference scores computed here with onnxruntime-node
 * through the same row store and encoder. Seeded random weights: what is tested is the path.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { FeatureContract, type FeatureContractSpec } from '../../contract/featureContract.js';
import { contractOf, modelManifestSchema, SERVING_OUTPUTS } from '../../contract/manifest.js';
import { servingFeedTensors } from '../parity/ortNode.js';
import { encodeForModel } from '../../core/encode/rowFeeds.js';
import { ItemRowStore } from '../../core/rows/itemRowStore.js';
import { createModel, defaultConfig } from '../../model-export/models/index.js';
import { exportModel } from '../../model-export/onnx/exportModel.js';
import { nodeSessionOptions } from '../../model-export/onnx/nodeSessionOptions.js';
import { selectBackend } from '../../model-export/train/backend.js';
import type { RowsFixture } from './fixtureTypes.js';

export const ROWS_MODEL = 'rows-din';


/** `items`: catalogue size (default 5,000: several shards); the browser test uses a larger one so a page's reads are a small subset. */
export async function buildRowsModel(options: { items?: number; dir?: string } = {}): Promise<RowsFixture> {
  await selectBackend('cpu', () => {});
  const items = Array.from({ length: options.items ?? 5000 }, (_, i) => `sku-${i + 1}`);
  const categories = ['Shoes', 'Bags', 'Hats', 'Coats'];
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
    vocabularyRule: 'test fixture (test/workerd/rowsModel.ts)',
    features: [],
  };
  const contract = new FeatureContract(spec);
  const config = { ...defaultConfig('din', contract.itemCount, contract.categoryCount), embeddingDim: 8, mlpHidden: [16, 8], attentionHidden: [16, 8] as [number, number] };
  const model = createModel(config, 11);
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'rows-din-'));
  const exported = await exportModel(model, contract, { dir, name: ROWS_MODEL, metrics: {}, training: { fixture: 'test/workerd/rowsModel.ts' }, created: new Date('2026-12-05T00:00:00Z'), itemRows: 'store', rowStore: { hotItems: 64 } });
  const manifest = modelManifestSchema.parse(exported);
  const files: Record<string, string> = {
    [`${ROWS_MODEL}/manifest.json`]: readFileSync(join(dir, 'manifest.json')).toString('base64'),
    [`${ROWS_MODEL}/${manifest.onnx.file}`]: readFileSync(join(dir, manifest.onnx.file)).toString('base64'),
  };
  const shardFiles = readdirSync(join(dir, 'rows')).sort();
  for (const f of shardFiles) files[`${ROWS_MODEL}/rows/${f}`] = readFileSync(join(dir, 'rows', f)).toString('base64');

  const served = { contract: contractOf(manifest), rows: new ItemRowStore(manifest.itemRows!, async (f) => readFileSync(join(dir, 'rows', f))) };
  const session = await ort.InferenceSession.create(join(dir, manifest.onnx.file), nodeSessionOptions());
  const bodies = [
    { history: ['sku-1', 'sku-77', { item: 'sku-new', category: 'Hats' }, 'sku-4999'], candidates: ['sku-2', 'sku-3000', 'unknown-1', { item: 'unknown-2', category: 'Bags' }] },
    { history: [], candidates: items.slice(100, 200) },
    { history: items.slice(0, 35), candidates: items.slice(4000, 4050) },
  ];
  const cases = [];
  for (const body of bodies) {
    const encoded = await encodeForModel(served, body);
    const out = await session.run(servingFeedTensors(encoded.feeds),
      [SERVING_OUTPUTS.scores],
    );
    cases.push({ body, expected: Array.from(out[SERVING_OUTPUTS.scores].data as Float32Array), unknown: { history: encoded.unknown.history, candidates: encoded.unknown.candidates } });
  }
  await session.release();
  return { name: ROWS_MODEL, files, shardFiles, items, cases };
}
