/**
 * Model faults for the soak: copies of `models/` in which one model is damaged the ways a bad
 * deployment damages it, served by their own `wrangler dev` (a wrangler config whose assets point
 * at the copy). What the worker must do in each: no 5xx, no non-probability score, and either
 * refuse the model at load and fall back to the route's other variant, or — when the model loads and
 * its golden requests still reproduce — answer only the requests it cannot score with a 422 and
 * keep serving everyone else (issue 24: one request must never take a model down).
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelProtoSchema } from 'onnx-buf';
import { FIRST_INDEX } from '../../contract/featureContract.js';
import { initializerFloats } from '../../model-export/onnx/initializers.js';
import { REPO_ROOT } from '../lib/servingModels.js';
import { writeDeploymentConfig } from '../lib/wranglerDev.js';

export const FAULTS = {
  /** Output bias NaN, manifest re-signed: refused at load (golden requests). */
  'nan-bias': { initializer: 'mlp.out.bias', rows: 'all', value: () => Number.NaN, resign: true },
  /** Output bias + 0.05, manifest re-signed: every score stays a probability, only the golden requests can tell. */
  'shifted-bias': { initializer: 'mlp.out.bias', rows: 'all', value: (v: number) => v + 0.05, resign: true },
  /** One byte of the file changed, manifest not re-signed: refused at load (sha256). */
  'sha-mismatch': { initializer: 'mlp.out.bias', rows: 'all', value: (v: number) => v + 1e-3, resign: false },
  /** One item's embedding row NaN (vocabulary position 50), which no golden request touches: loads; requests with that item get 422 `unscorable_request`, the model stays loaded. */
  'poisoned-row': { initializer: 'emb.item.rowScale', rows: [50 + FIRST_INDEX], value: () => Number.NaN, resign: true },
} as const;
export type FaultName = keyof typeof FAULTS;
/** Vocabulary position of the item 'poisoned-row' damages. */
export const POISONED_POSITION = 50;

/**
 * Writes `<dir>/models` (a copy of models/ with `model` damaged by `fault`) and `<dir>/wrangler.toml`
 * (the repo's, its main and assets pointed accordingly); returns the config path.
 */
export function writeFaultyDeployment(dir: string, model: string, fault: FaultName): string {
  const f = FAULTS[fault];
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(REPO_ROOT, 'models'), join(dir, 'models'), { recursive: true });
  const manifestPath = join(dir, 'models', model, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const onnxPath = join(dir, 'models', model, manifest.onnx.file);
  const proto = fromBinary(ModelProtoSchema, readFileSync(onnxPath));
  const tensor = proto.graph!.initializer.find((t) => t.name === f.initializer);
  if (!tensor) throw new Error(`${model} has no initializer ${f.initializer}`);
  // Weights are stored as raw bytes, small ones (a [1] bias) sometimes as float_data.
  const raw = tensor.rawData.length > 0;
  const values = initializerFloats(tensor);
  for (const i of f.rows === 'all' ? values.keys() : f.rows) values[i] = f.value(values[i]);
  if (raw) tensor.rawData = new Uint8Array(values.buffer as ArrayBuffer);
  else tensor.floatData = Array.from(values);
  const bytes = toBinary(ModelProtoSchema, proto);
  writeFileSync(onnxPath, bytes);
  if (f.resign) {
    manifest.onnx = { ...manifest.onnx, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
    writeFileSync(manifestPath, JSON.stringify(manifest));
  }
  return writeDeploymentConfig(dir);
}
