/**
 * Feature columns inside the models (contract/features.ts says how values are encoded):
 * - sparse ids [...S] → their embedding [...S, d];
 * - multi ids [...S, M] (0 = padding) → the mean of the non-padding embeddings [...S, d]
 *   (DeepCTR's VarLenSparseFeat with mean pooling; a row always holds at least OOV);
 * - dense values [...S] (already normalised) → [...S, 1].
 * Candidate-group features extend the behaviour vector e = [e_item, e_cat, e_attr…] (DIN eq. 3's
 * concatenation, generalised); user and context features form one per-sample vector that joins
 * the final MLP's input.
 */
import * as tf from '@tensorflow/tfjs';
import type { FeatureGroup, FeatureKind } from '../../contract/features.js';
import { embeddingLookup } from './embedding.js';
import type { ParamStore } from './params.js';

/** What a model needs to know of a feature column (stored in the manifest's modelConfig). */
export interface ModelFeature {
  name: string;
  group: FeatureGroup;
  kind: FeatureKind;
  /** sparse/multi: table rows (padding + OOV + vocabulary) and width. */
  rows?: number;
  embeddingDim?: number;
  /** multi: values per row (the input's last dimension). */
  maxValues?: number;
}

/** Feature inputs of a batch by graph input name (`hist_x`, `cand_x`, `neg_x`, `user_x`, `ctx_x`). */
export type FeatureTensors = Readonly<Record<string, tf.Tensor>>;

export const featureTable = (f: ModelFeature) => `feat.${f.name}`;

export function featureWidth(f: ModelFeature): number {
  return f.kind === 'dense' ? 1 : f.embeddingDim!;
}

export function createFeatureTables(store: ParamStore, features: readonly ModelFeature[]): void {
  for (const f of features) if (f.kind !== 'dense') store.embedding(featureTable(f), f.rows!, f.embeddingDim!);
}

/** One feature's vectors: ids/values of shape S (+ [M] for multi) → [...S, width]. */
export function embedFeature(store: ParamStore, f: ModelFeature, x: tf.Tensor): tf.Tensor {
  if (f.kind === 'dense') return tf.expandDims(x, -1);
  const table = store.get(featureTable(f)) as tf.Tensor2D;
  const e = embeddingLookup(table, x); // sparse [...S, d]; multi [...S, M, d]
  if (f.kind === 'sparse') return e;
  const mask = tf.cast(tf.notEqual(x, 0), 'float32'); // [...S, M]
  const sum = tf.sum(tf.mul(e, tf.expandDims(mask, -1)), -2); // [...S, d]
  return tf.div(sum, tf.maximum(tf.sum(mask, -1, true), 1)); // mean over the values present
}

/** Candidate attributes of behaviours/candidates: the `prefix_<name>` inputs embedded, in feature order. */
export function attributeVectors(store: ParamStore, features: readonly ModelFeature[], inputs: FeatureTensors | undefined, prefix: 'hist' | 'cand' | 'neg'): tf.Tensor[] {
  return features.filter((f) => f.group === 'candidate').map((f) => embedFeature(store, f, inputOf(inputs, `${prefix}_${f.name}`)));
}

/** User and context vectors concatenated per sample, [B, U]; undefined when the model has none. */
export function requestVector(store: ParamStore, features: readonly ModelFeature[], inputs: FeatureTensors | undefined): tf.Tensor2D | undefined {
  const parts = features
    .filter((f) => f.group !== 'candidate')
    .map((f) => embedFeature(store, f, inputOf(inputs, `${f.group === 'user' ? 'user' : 'ctx'}_${f.name}`)));
  return parts.length === 0 ? undefined : (tf.concat(parts, -1) as tf.Tensor2D);
}

export function requestWidth(features: readonly ModelFeature[] = []): number {
  return features.filter((f) => f.group !== 'candidate').reduce((w, f) => w + featureWidth(f), 0);
}

export function attributeWidth(features: readonly ModelFeature[] = []): number {
  return features.filter((f) => f.group === 'candidate').reduce((w, f) => w + featureWidth(f), 0);
}

function inputOf(inputs: FeatureTensors | undefined, name: string): tf.Tensor {
  const t = inputs?.[name];
  if (!t) throw new Error(`the batch has no feature input "${name}"`);
  return t;
}

/** Width of a behaviour/candidate vector: item + category embeddings + candidate attributes. */
export function behaviourWidth(config: { embeddingDim: number; features?: readonly ModelFeature[] }): number {
  return 2 * config.embeddingDim + attributeWidth(config.features);
}
