/**
 * Stamps golden requests (contract/goldenRequests.ts) into exported models' manifests without
 * re-training: `npm run golden -- models/din-movielens [...]` (default: every model under models/).
 * The exporter does this itself; this is for exports made before it did. The ONNX file and its
 * sha256 are unchanged, so the model's version is too.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { shippedModelNames } from '../model-export/shippedModels.js';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { contractOf, modelManifestSchema } from '../contract/manifest.js';
import { goldenFor } from '../model-export/onnx/goldenScores.js';

const { positionals } = parseArgs({ allowPositionals: true });
const dirs = positionals.length ? positionals : shippedModelNames().map((name) => join('models', name));
for (const dir of dirs) {
  const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
  const onnx = readFileSync(join(dir, manifest.onnx.file));
  const sha256 = createHash('sha256').update(onnx).digest('hex');
  if (sha256 !== manifest.onnx.sha256) throw new Error(`${dir}: ${manifest.onnx.file} does not match its manifest's sha256`);
  const golden = await goldenFor(onnx, contractOf(manifest));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, golden }, null, 1) + '\n');
  console.error(`${dir}: ${golden.requests.length} golden requests (${golden.reference})`);
}
