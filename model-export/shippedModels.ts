/** The shipped models (models/<name>/: manifest + ONNX) as the scripts, tests and benchmarks read them. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIRST_INDEX } from '../contract/featureContract.js';
import { modelManifestSchema, type ModelManifest } from '../contract/manifest.js';

export const REPO_ROOT = new URL('..', import.meta.url).pathname;
export const MODELS_DIR = join(REPO_ROOT, 'models');

/** Every exported model under models/ (directories with a manifest; `models/browser/` holds the browser files, not a model). */
export function shippedModelNames(): string[] {
  return readdirSync(MODELS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(MODELS_DIR, d.name, 'manifest.json')))
    .map((d) => d.name)
    .sort();
}

export interface ShippedModel {
  name: string;
  manifest: ModelManifest;
  onnx: Uint8Array;
}

export function loadShippedModel(name: string): ShippedModel {
  const dir = join(MODELS_DIR, name);
  const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
  return { name, manifest, onnx: new Uint8Array(readFileSync(join(dir, manifest.onnx.file))) };
}

/** Vocabulary sizes as the models count them (padding and OOV included). */
export function vocabularySizes(manifest: ModelManifest): { itemCount: number; categoryCount: number } {
  return { itemCount: manifest.featureContract.items.length + FIRST_INDEX, categoryCount: manifest.featureContract.categories.length + FIRST_INDEX };
}

