/**
 * Export a trained model: `<dir>/model.onnx` + `<dir>/manifest.json` (schema: contract/manifest.ts).
 * The version is the export date plus the first 8 hex digits of the ONNX file's sha256, so the
 * same weights always get the same version on a given day and any change gets a new one.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FeatureContract } from '../../contract/featureContract.js';
import { modelManifestSchema, type ModelManifest } from '../../contract/manifest.js';
import { MODEL_KINDS } from '../models/kinds.js';
import type { CtrModel } from '../models/model.js';
import { IR_VERSION, OPSET, type GraphBuilder, type ItemRowPlacement } from './graphBuilder.js';
import { ITEM_ROWS_DIRECTORY, itemRowFiles, type ItemRowFiles } from './itemRowShards.js';
import { attentionTanh, ATTENTION_TANH_PASS } from './attentionTanh.js';
import { goldenFor } from './goldenScores.js';
import { signatureOf } from './servingSignature.js';

export const ONNX_FILE = 'model.onnx';
export const MANIFEST_FILE = 'manifest.json';

export async function buildGraph(model: CtrModel, quantize?: 'int8', itemRows: ItemRowPlacement = 'graph'): Promise<GraphBuilder> {
  const kind = MODEL_KINDS[model.config.type];
  if (quantize && !kind.int8) throw new Error(`quantize: int8 is not implemented for ${model.config.type}`);
  if (itemRows === 'inputs' && !kind.externalItemRows) throw new Error(`item rows outside the graph are not implemented for ${model.config.type}: export it with --item-rows graph`);
  return kind.buildGraph(model, await model.params.snapshot(), { ...(quantize ? { quantize } : {}), ...(itemRows === 'inputs' ? { itemRows } : {}) });
}

/**
 * The served bytes of a model: its graph serialised, then the serving passes that rewrite it into
 * a cheaper graph of the same function (onnx/attentionTanh.ts for DIN's activation unit). `passes`
 * names those that applied, for the manifest.
 */
export async function servingBytes(model: CtrModel, quantize?: 'int8', docString = `${model.config.type} exported by interest-edge`, itemRows: ItemRowPlacement = 'graph'): Promise<{ bytes: Uint8Array; passes: string[]; graph: GraphBuilder }> {
  const graph = await buildGraph(model, quantize, itemRows);
  const built = graph.toBytes(docString);
  const tanh = attentionTanh(built);
  return { bytes: tanh ?? built, passes: tanh ? [ATTENTION_TANH_PASS] : [], graph };
}

export interface ExportOptions {
  dir: string;
  name: string;
  metrics: Record<string, number>;
  training: Record<string, unknown>;
  /** Fixed timestamp for reproducible manifests in tests. */
  created?: Date;
  /** int8 weights (onnx/int8Weights.ts), and for DIN int8 attention products (onnx/quantizedMatMul.ts); recorded in `training.quantize`. */
  quantize?: 'int8';
  /** Metrics of the serialised graph itself (e.g. train/onnxEvaluation.ts), merged into `metrics`. */
  evaluate?: (onnx: Uint8Array, itemRows?: ItemRowFiles) => Promise<Record<string, number>>;
  /**
   * Where the item rows go: `graph` (an initializer), `store` (int8 shards in `<dir>/rows/`, read per
   * request: contract/itemRows.ts), or `auto` (default): `store` once the item table passes
   * ITEM_ROWS_AUTO_BYTES, so a catalogue too big for one asset exports and deploys as is.
   */
  itemRows?: 'graph' | 'store' | 'auto';
  /** Row store layout (tests, benches): shard count and hot-set size; defaults in onnx/itemRowShards.ts. */
  rowStore?: { shards?: number; hotItems?: number };
}

/** `itemRows: 'auto'` keeps an item table of up to 16 MiB (float32) in the graph: well inside the 25 MiB per-asset limit with the rest of the model. */
export const ITEM_ROWS_AUTO_BYTES = 16 * 1024 * 1024;

/** Where `auto` puts a model's item rows. */
export async function itemRowsFor(model: CtrModel, choice: ExportOptions['itemRows'] = 'auto'): Promise<'graph' | 'store'> {
  if (choice !== 'auto') return choice;
  const table = (await model.params.snapshot()).get('emb.item')?.shape;
  return table && MODEL_KINDS[model.config.type].externalItemRows && table[0] * table[1] * 4 > ITEM_ROWS_AUTO_BYTES ? 'store' : 'graph';
}

export async function exportModel(model: CtrModel, contract: FeatureContract, o: ExportOptions): Promise<ModelManifest> {
  const placement = await itemRowsFor(model, o.itemRows);
  if (placement === 'store' && !(await model.params.snapshot()).has('emb.item')) {
    throw new Error(`item rows outside the graph need an item table: ${model.config.type} has none (hashed item ids keep their small quotient-remainder tables in the graph; export with itemRows "graph")`);
  }
  const rows = placement === 'store' ? itemRowFiles(await tableOf(model, 'emb.item'), contract, o.rowStore) : undefined;
  const { bytes, passes, graph } = await servingBytes(model, o.quantize, undefined, rows ? 'inputs' : 'graph');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const metrics = { ...o.metrics, ...(o.evaluate ? await o.evaluate(bytes, rows) : {}) };
  const created = o.created ?? new Date();
  const manifest = modelManifestSchema.parse({
    name: o.name,
    type: model.config.type,
    version: `${created.toISOString().slice(0, 10)}.${sha256.slice(0, 8)}`,
    created: created.toISOString(),
    onnx: { file: ONNX_FILE, sha256, bytes: bytes.length, irVersion: IR_VERSION, opset: OPSET },
    ...signatureOf(graph),
    featureContract: rows ? rows.contract : contract.spec,
    metrics,
    training: { ...o.training, ...(o.quantize ? { quantize: o.quantize } : {}), modelConfig: model.config, graphNodes: graph.size, ...(passes.length ? { graphPasses: passes } : {}) },
    golden: await goldenFor(bytes, contract, rows),
    ...(rows ? { itemRows: rows.spec } : {}),
  });
  mkdirSync(o.dir, { recursive: true });
  writeFileSync(join(o.dir, ONNX_FILE), bytes);
  if (rows) {
    const dir = join(o.dir, rows.spec.directory);
    rmSync(dir, { recursive: true, force: true }); // no stale shard of an earlier export survives
    mkdirSync(dir);
    for (const [file, shard] of rows.files) writeFileSync(join(dir, file), shard);
  } else {
    rmSync(join(o.dir, ITEM_ROWS_DIRECTORY), { recursive: true, force: true });
  }
  writeFileSync(join(o.dir, MANIFEST_FILE), JSON.stringify(manifest, null, 1) + '\n');
  return manifest;
}

async function tableOf(model: CtrModel, name: string): Promise<{ data: Float32Array; shape: number[] }> {
  const t = (await model.params.snapshot()).get(name);
  if (!t) throw new Error(`${model.config.type} has no weight ${name}`);
  return t;
}
