/** The shipped models (models/<name>/), their vocabularies, and random serving feeds for them. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIRST_INDEX } from '../contract/featureContract.js';
import { modelManifestSchema, SERVING_INPUTS, type ModelManifest } from '../contract/manifest.js';
import type { Feeds } from './ortRuntimes.js';

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

/**
 * One request's feeds: T history and C candidate items drawn uniformly from the vocabulary (valid
 * indices ≥ 2, each with its own category). T may exceed the contract's maxHistory: the graph takes any T.
 */
export function randomServingFeeds(manifest: ModelManifest, random: () => number, T: number, C: number): Feeds {
  const { items, itemCategories } = manifest.featureContract;
  const draw = (n: number) => {
    const item = new Int32Array(n);
    const category = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const j = Math.floor(random() * items.length);
      item[i] = j + FIRST_INDEX;
      category[i] = itemCategories[j];
    }
    return { item, category };
  };
  const h = draw(T);
  const c = draw(C);
  return {
    [SERVING_INPUTS.historyItems]: { type: 'int32', data: h.item, dims: [T] },
    [SERVING_INPUTS.historyCategories]: { type: 'int32', data: h.category, dims: [T] },
    [SERVING_INPUTS.candidateItems]: { type: 'int32', data: c.item, dims: [C] },
    [SERVING_INPUTS.candidateCategories]: { type: 'int32', data: c.category, dims: [C] },
  };
}
