/**
 * `npm run first-stage -- models/din-movielens [--name din-movielens-dot]`: derives a cascade's
 * first stage (model-export/onnx/exportDot.ts) from an exported interest model's behaviour
 * embeddings — no training — and writes `models/<name>/` with its own manifest (type `dot`, the
 * source's feature contract, golden requests, `training.derivedFrom`).
 */
import { fromBinary } from '@bufbuild/protobuf';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ModelProtoSchema } from 'onnx-buf';
import { contractOf, modelManifestSchema } from '../contract/manifest.js';
import { buildDotGraph } from '../model-export/onnx/exportDot.js';
import { goldenFor } from '../model-export/onnx/goldenScores.js';
import { IR_VERSION, OPSET } from '../model-export/onnx/graphBuilder.js';
import { embeddingTableOf } from '../model-export/onnx/initializers.js';
import { signatureOf } from '../model-export/onnx/servingSignature.js';
import type { WeightMap } from '../model-export/onnx/weights.js';

const { values: args, positionals } = parseArgs({ allowPositionals: true, options: { name: { type: 'string' }, out: { type: 'string' } } });
if (positionals.length !== 1) {
  console.error('usage: npm run first-stage -- models/<source> [--name <name>] [--out models/<name>]');
  process.exit(2);
}
const source = positionals[0];
const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(source, 'manifest.json'), 'utf8')));
const onnx = readFileSync(join(source, manifest.onnx.file));
if (createHash('sha256').update(onnx).digest('hex') !== manifest.onnx.sha256) throw new Error(`${source}: model bytes do not match the manifest`);
const name = args.name ?? `${basename(source)}-dot`;
const out = args.out ?? join('models', name);

// The behaviour embeddings, float32 (int8 exports store q [rows, D] with a scale per row).
const initializers = new Map(fromBinary(ModelProtoSchema, new Uint8Array(onnx)).graph!.initializer.map((t) => [t.name, t]));
const table = (prefix: string) => embeddingTableOf(initializers, prefix);
const weights: WeightMap = new Map([
  ['emb.item', table('emb.item')],
  ['emb.category', table('emb.category')],
]);
const quantize = manifest.training.quantize === 'int8' ? 'int8' : undefined;
const graph = buildDotGraph(weights, quantize ? { quantize } : {});
const bytes = graph.toBytes(`dot-product first stage derived from ${manifest.name} ${manifest.version}`);
const sha256 = createHash('sha256').update(bytes).digest('hex');
const contract = contractOf(manifest);
const created = new Date();
const dot = modelManifestSchema.parse({
  name,
  type: 'dot',
  version: `${created.toISOString().slice(0, 10)}.${sha256.slice(0, 8)}`,
  created: created.toISOString(),
  onnx: { file: 'model.onnx', sha256, bytes: bytes.length, irVersion: IR_VERSION, opset: OPSET },
  ...signatureOf(graph),
  featureContract: manifest.featureContract,
  metrics: {},
  training: { derivedFrom: { name: manifest.name, version: manifest.version }, ...(quantize ? { quantize } : {}), graphNodes: graph.size },
  golden: await goldenFor(bytes, contract),
});
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'model.onnx'), bytes);
writeFileSync(join(out, 'manifest.json'), JSON.stringify(dot, null, 1) + '\n');
console.error(`${out}: ${bytes.length} bytes, ${graph.size} nodes, from ${manifest.name} ${manifest.version}`);
