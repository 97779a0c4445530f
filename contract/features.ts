/**
 * Feature columns beyond the behaviour sequence: the DIN paper's other groups (Table 1), declared
 * once and encoded here for training and serving alike (docs/feature-contract.md).
 *
 * - group `user`: profile attributes (a users.csv column), sent by the client as `profile`;
 * - group `candidate`: item attributes (an items.csv column). They describe the candidate AND every
 *   behaviour of the history, so they join the item and category inside the attention unit; the
 *   manifest stores each vocabulary item's value, and a client may hint them for unknown items;
 * - group `context`: the event's circumstances: an interactions.csv column sent by the client as
 *   `context`, or derived: `hour` and `weekday` from the time, `route` (the paper's pid, the slot
 *   on the page) from the route name at serving and a column in training.
 *
 * Kinds: `sparse` (one value → an embedding), `multi` (several values, `|`-separated in CSV or a
 * JSON array → the mean of their embeddings, at most `maxValues`), `dense` (a number, normalised
 * with the training split's mean and standard deviation, after clamping to the training range:
 * `denseInput`).
 *
 * Rules: index 0 is padding (multi only), 1 is OOV; a missing or unknown sparse value is OOV, a
 * multi value with no known entry is [OOV], a missing dense value is the training mean (0 after
 * normalisation). This module imports neither tfjs nor onnxruntime.
 */
import { FIRST_INDEX, OOV_INDEX, PAD_INDEX } from './indices.js';

export const FEATURE_GROUPS = ['user', 'candidate', 'context'] as const;
export type FeatureGroup = (typeof FEATURE_GROUPS)[number];
export const FEATURE_KINDS = ['sparse', 'multi', 'dense'] as const;
export type FeatureKind = (typeof FEATURE_KINDS)[number];
export const DERIVED_FEATURES = ['hour', 'weekday', 'route'] as const;
export type DerivedFeature = (typeof DERIVED_FEATURES)[number];

/** Where a feature's value comes from: a CSV column, or derived (context only). */
export type FeatureSource = { column: string } | { derive: 'hour' | 'weekday'; timeZone: string } | { derive: 'route'; column?: string };

interface FeatureBase {
  /** `[a-z][a-z0-9_]*`: the request key and the graph inputs' suffix. */
  name: string;
  group: FeatureGroup;
  source: FeatureSource;
}

export interface SparseFeatureSpec extends FeatureBase {
  kind: 'sparse';
  /** `vocabulary[i]` has index `i + 2`. */
  vocabulary: string[];
  embeddingDim: number;
  /** Candidate group: the index of each contract item's value (OOV when it has none). */
  itemValues?: number[];
}

export interface MultiFeatureSpec extends FeatureBase {
  kind: 'multi';
  vocabulary: string[];
  embeddingDim: number;
  /** Values kept per row (the first ones); the graph input is [N, maxValues], padded with 0. */
  maxValues: number;
  pooling: 'mean';
  /** Candidate group: each contract item's value indices (empty: none). */
  itemValues?: number[][];
}

export interface DenseFeatureSpec extends FeatureBase {
  kind: 'dense';
  /** Training-split statistics: the input is (x − mean) / std; missing → 0. */
  mean: number;
  std: number;
  /**
   * The training split's smallest and largest value: a value outside is clamped to them before
   * normalising (`denseInput`). Manifests without them (older exports) clamp the z-score to
   * ±DENSE_Z_LIMIT instead.
   */
  min?: number;
  max?: number;
  /** Candidate group: each contract item's raw value, null when missing. */
  itemValues?: Array<number | null>;
}

export type FeatureSpec = SparseFeatureSpec | MultiFeatureSpec | DenseFeatureSpec;

/** A value as a client sends it (JSON) or a reader parsed it (CSV). */
export type FeatureValue = string | number | ReadonlyArray<string | number>;

/** Graph input name of a feature: `hist_`/`cand_` (candidate group), `user_`, `ctx_`. */
export function inputNamesOf(spec: Pick<FeatureSpec, 'name' | 'group'>): string[] {
  if (spec.group === 'candidate') return [`hist_${spec.name}`, `cand_${spec.name}`];
  return [`${spec.group === 'user' ? 'user' : 'ctx'}_${spec.name}`];
}

/**
 * The z-score bound of dense features whose manifest carries no training range: |z| ≤ 8 (a value
 * 8 standard deviations from the training mean; Chebyshev: at most 1/64 of any distribution lies
 * beyond). Chosen so that a legacy model keeps every value its training data plausibly had.
 */
export const DENSE_Z_LIMIT = 8;

/**
 * A dense feature's graph input for a raw value: clamp to the training range (or the z bound),
 * then normalise. Clamp, not refuse: a price or a year beyond what training saw is a legitimate
 * request, and the model has no information past the training range anyway (the same choice as
 * clipping in feature pipelines). Training, the worker and the browser all encode through this
 * function, so the rule cannot differ between them; the result is always a finite float32.
 */
export function denseInput(spec: Pick<DenseFeatureSpec, 'mean' | 'std' | 'min' | 'max'>, value: number): number {
  const lo = spec.min !== undefined ? (spec.min - spec.mean) / spec.std : -DENSE_Z_LIMIT;
  const hi = spec.max !== undefined ? (spec.max - spec.mean) / spec.std : DENSE_Z_LIMIT;
  const z = (value - spec.mean) / spec.std;
  // NaN cannot arrive from JSON or checkValue, but it would pass both comparisons: it encodes as missing.
  return z >= hi ? hi : z <= lo ? lo : z === z ? z : 0;
}

/** Width of one encoded value: ints per row for sparse/multi, 1 float for dense. */
export function slotWidth(spec: FeatureSpec): number {
  return spec.kind === 'multi' ? spec.maxValues : 1;
}

/** Width of the feature's vector inside the model (embedding dim, or 1 for a dense value). */
export function vectorWidth(spec: FeatureSpec): number {
  return spec.kind === 'dense' ? 1 : spec.embeddingDim;
}

/** Rows of a sparse/multi feature's embedding table: padding + OOV + vocabulary. */
export function tableRows(spec: SparseFeatureSpec | MultiFeatureSpec): number {
  return spec.vocabulary.length + FIRST_INDEX;
}

/** Encoded values of one feature for N rows, as a graph input: [N] or [N, maxValues]. */
export interface EncodedFeature {
  input: string;
  dtype: 'int32' | 'float32';
  data: Int32Array | Float32Array;
  dims: number[];
}

/**
 * A raw value's meaning for one kind, or why it has the wrong type (a request's 400).
 * Sparse: a string or a safe integer (42 ≡ "42"). Multi: an array of those, or one of them.
 * Dense: a finite number. CSV text goes through `parseCsvValue` first.
 */
export function checkValue(spec: FeatureSpec, value: unknown): { ok: true; value: string | string[] | number } | { ok: false; why: string } {
  const id = (v: unknown): string | undefined =>
    typeof v === 'string' ? (v.length > 0 && v.length <= 128 ? v : undefined) : typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : undefined;
  switch (spec.kind) {
    case 'sparse': {
      const v = id(value);
      return v === undefined ? { ok: false, why: 'expected a string (1–128 characters) or a safe integer' } : { ok: true, value: v };
    }
    case 'multi': {
      const list = Array.isArray(value) ? value : [value];
      if (list.length > 64) return { ok: false, why: 'expected at most 64 values' };
      const out: string[] = [];
      for (const x of list) {
        const v = id(x);
        if (v === undefined) return { ok: false, why: 'expected an array of strings (1–128 characters) or safe integers' };
        out.push(v);
      }
      return { ok: true, value: out };
    }
    case 'dense':
      return typeof value === 'number' && Number.isFinite(value) ? { ok: true, value } : { ok: false, why: 'expected a finite number' };
  }
}

/** CSV text → raw value: empty is missing; multi splits on `|`; dense must parse as a number. */
export function parseCsvValue(spec: Pick<FeatureSpec, 'kind'>, text: string | undefined): string | string[] | number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t === '') return undefined;
  if (spec.kind === 'multi') {
    const values = t.split('|').map((v) => v.trim()).filter((v) => v !== '');
    return values.length > 0 ? values : undefined;
  }
  if (spec.kind === 'dense') {
    const n = Number(t);
    return Number.isFinite(n) ? n : undefined;
  }
  return t;
}

/** Encodes one feature's values under the rules above; built once per loaded contract. */
export class FeatureEncoder {
  readonly spec: FeatureSpec;
  readonly width: number;
  private readonly index: Map<string, number>;

  constructor(spec: FeatureSpec) {
    validateFeature(spec);
    this.spec = spec;
    this.width = slotWidth(spec);
    this.index = new Map(spec.kind === 'dense' ? [] : spec.vocabulary.map((v, i) => [v, i + FIRST_INDEX]));
  }

  get dtype(): 'int32' | 'float32' {
    return this.spec.kind === 'dense' ? 'float32' : 'int32';
  }

  /** A typed array for `rows` encoded values. */
  allocate(rows: number): Int32Array | Float32Array {
    return this.spec.kind === 'dense' ? new Float32Array(rows) : new Int32Array(rows * this.width);
  }

  /**
   * Write the encoding of `value` (already checked / parsed; undefined = missing) at row `row`.
   * Returns the number of values the vocabulary does not know (0 or more; missing counts 0).
   */
  write(out: Int32Array | Float32Array, row: number, value: string | string[] | number | undefined): number {
    const s = this.spec;
    if (s.kind === 'dense') {
      out[row] = typeof value === 'number' ? denseInput(s, value) : 0;
      return 0;
    }
    const at = row * this.width;
    if (s.kind === 'sparse') {
      const index = typeof value === 'string' ? this.index.get(value) : undefined;
      out[at] = index ?? OOV_INDEX;
      return value !== undefined && index === undefined ? 1 : 0;
    }
    const values = value === undefined ? [] : Array.isArray(value) ? value : [String(value)];
    let n = 0;
    let unknown = 0;
    for (const v of values) {
      if (n >= this.width) break; // the first maxValues are kept
      const index = this.index.get(v);
      if (index === undefined) {
        unknown++;
        continue;
      }
      out[at + n++] = index;
    }
    if (n === 0) out[at + n++] = OOV_INDEX; // nothing known: the OOV embedding, never an all-padding row
    for (; n < this.width; n++) out[at + n] = PAD_INDEX;
    return unknown;
  }

  /** Write a vocabulary item's stored value (candidate group): what `write` gave it at export. */
  writeItem(out: Int32Array | Float32Array, row: number, itemPosition: number): void {
    const s = this.spec;
    if (s.kind === 'dense') {
      const v = s.itemValues?.[itemPosition];
      out[row] = v === null || v === undefined ? 0 : denseInput(s, v);
      return;
    }
    const at = row * this.width;
    if (s.kind === 'sparse') {
      out[at] = s.itemValues?.[itemPosition] ?? OOV_INDEX;
      return;
    }
    const values = s.itemValues?.[itemPosition] ?? [];
    const n = Math.min(values.length, this.width);
    for (let i = 0; i < n; i++) out[at + i] = values[i];
    if (n === 0) out[at] = OOV_INDEX;
    for (let i = Math.max(n, 1); i < this.width; i++) out[at + i] = PAD_INDEX;
  }

  /** Indices of a value as stored in `itemValues` (export): sparse index, multi index list. */
  storedItemValue(value: string | string[] | number | undefined): number | number[] | null {
    const s = this.spec;
    if (s.kind === 'dense') return typeof value === 'number' ? value : null;
    if (s.kind === 'sparse') return (typeof value === 'string' ? this.index.get(value) : undefined) ?? OOV_INDEX;
    const values = value === undefined ? [] : Array.isArray(value) ? value : [String(value)];
    return values.map((v) => this.index.get(v)).filter((i): i is number => i !== undefined).slice(0, s.maxValues);
  }
}

const NAME = /^[a-z][a-z0-9_]{0,31}$/;

export function validateFeature(spec: FeatureSpec): void {
  const fail = (why: string): never => {
    throw new Error(`invalid feature "${spec.name}": ${why}`);
  };
  if (!NAME.test(spec.name)) fail('name must match [a-z][a-z0-9_]{0,31}');
  if (!(FEATURE_GROUPS as readonly string[]).includes(spec.group)) fail(`unknown group ${String(spec.group)}`);
  if ('derive' in spec.source && spec.group !== 'context') fail('derived features belong to the context group');
  if (spec.kind === 'dense') {
    if (!Number.isFinite(spec.mean) || !(spec.std > 0)) fail('dense needs a finite mean and a positive std');
    if ((spec.min === undefined) !== (spec.max === undefined)) fail('dense min and max come together');
    if (spec.min !== undefined && spec.max !== undefined) {
      if (!(spec.min <= spec.max)) fail('dense min must not exceed max');
      // The bounds' z-scores are graph inputs: they must be finite in float32.
      for (const b of [spec.min, spec.max]) if (!Number.isFinite(Math.fround((b - spec.mean) / spec.std))) fail(`dense bound ${b} overflows float32 after normalisation`);
    }
    if (spec.itemValues && spec.group !== 'candidate') fail('only candidate features store item values');
    return;
  }
  if (!Number.isInteger(spec.embeddingDim) || spec.embeddingDim < 1) fail('embeddingDim must be a positive integer');
  if (new Set(spec.vocabulary).size !== spec.vocabulary.length) fail('vocabulary must be unique');
  if (spec.kind === 'multi' && (!Number.isInteger(spec.maxValues) || spec.maxValues < 1)) fail('maxValues must be a positive integer');
  if (spec.itemValues && spec.group !== 'candidate') fail('only candidate features store item values');
  const max = spec.vocabulary.length + FIRST_INDEX - 1;
  const check = (i: number) => {
    if (!Number.isInteger(i) || i < OOV_INDEX || i > max) fail(`item value index ${i} is out of range`);
  };
  if (spec.kind === 'sparse') spec.itemValues?.forEach(check);
  else spec.itemValues?.forEach((list) => list.forEach(check));
}

/** Sum of the model-side widths of the features of `groups`. */
export function groupWidth(specs: readonly FeatureSpec[], groups: readonly FeatureGroup[]): number {
  return specs.filter((s) => groups.includes(s.group)).reduce((w, s) => w + vectorWidth(s), 0);
}
