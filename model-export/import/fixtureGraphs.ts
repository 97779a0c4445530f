/**
 * Small graphs in the shapes other trainers export, for the importer's tests and its docs: a toy
 * interest model (mean history embedding · candidate embedding, plus a category term, then a
 * Sigmoid), in serving shape and in training shape, with the same weights so both compute the same
 * function. Options break one thing at a time (an input name, an axis, an operator, the Sigmoid).
 */
import { GraphBuilder, type Dim, type ElemType } from '../onnx/graphBuilder.js';
import { FIRST_INDEX, type FeatureContractSpec } from '../../contract/featureContract.js';
import { vocabFileOf, type VocabFile } from './vocab.js';

export const FIXTURE_DIM = 4;

export function fixtureVocab(items = 30, categories = 4, maxHistory = 8): VocabFile {
  const spec: FeatureContractSpec = {
    formatVersion: 2,
    maxHistory,
    padding: 'right',
    truncation: 'keep-most-recent',
    padIndex: 0,
    oovIndex: 1,
    items: Array.from({ length: items }, (_, i) => `item-${i}`),
    categories: Array.from({ length: categories }, (_, j) => `cat-${j}`),
    itemCategories: Array.from({ length: items }, (_, i) => FIRST_INDEX + (i % categories)),
    vocabularyRule: 'fixture',
  };
  return vocabFileOf(spec);
}

export interface FixtureOptions {
  shape?: 'serving' | 'training';
  /** Input names (default: the serving names). */
  names?: Partial<Record<'hist_item' | 'hist_cat' | 'cand_item' | 'cand_cat' | 'score', string>>;
  /** Index dtype of the four inputs. */
  indexType?: 'int32' | 'int64' | 'float32';
  /** Override one input's declared shape. */
  shapes?: Partial<Record<'hist_item' | 'hist_cat' | 'cand_item' | 'cand_cat', Dim[]>>;
  /** Leave out the final Sigmoid (the output is a logit). */
  logit?: boolean;
  /** Declare score [C, 1] (serving) / [B, 1] (training) instead of [C] / [B]. */
  scoreColumn?: boolean;
  /** No category inputs (a model of item ids only). */
  noCategories?: boolean;
  /** Rows of the item table (default: vocabulary + 2). */
  itemRows?: number;
  /** An extra node between the logit and the Sigmoid: { op, domain } (an unsupported operator). */
  extraOp?: { opType: string; domain?: string; viaDouble?: boolean };
  /** Also output `attention` [C, T] / [B, T]: softmax over T of history · candidate. */
  attention?: boolean;
  /** Also output this tensor (the logit), which the serving signature does not know. */
  extraOutput?: string;
  /** An extra initializer of this many float32 values (a file over the asset limit). */
  padFloats?: number;
  vocab?: VocabFile;
}

/** A deterministic weight table. */
function table(rows: number, dim: number, seed: number): Float32Array {
  return Float32Array.from({ length: rows * dim }, (_, i) => Math.sin(i * 0.7 + seed) * 0.5);
}

export function fixtureGraph(o: FixtureOptions = {}): Uint8Array {
  const vocab = o.vocab ?? fixtureVocab();
  const training = o.shape === 'training';
  const g = new GraphBuilder('fixture');
  const n = { hist_item: 'hist_item', hist_cat: 'hist_cat', cand_item: 'cand_item', cand_cat: 'cand_cat', score: 'score', ...o.names };
  const t: ElemType = o.indexType ?? 'int32';
  const shape = (k: keyof NonNullable<FixtureOptions['shapes']>, d: Dim[]) => o.shapes?.[k] ?? d;
  const hi = g.input(n.hist_item, t, shape('hist_item', training ? ['B', 'T'] : ['T']));
  const hc = o.noCategories ? undefined : g.input(n.hist_cat, t, shape('hist_cat', training ? ['B', 'T'] : ['T']));
  const ci = g.input(n.cand_item, t, shape('cand_item', training ? ['B'] : ['C']));
  const cc = o.noCategories ? undefined : g.input(n.cand_cat, t, shape('cand_cat', training ? ['B'] : ['C']));
  const itemTable = g.float32('emb.item', table(o.itemRows ?? vocab.items.length + FIRST_INDEX, FIXTURE_DIM, 1), [o.itemRows ?? vocab.items.length + FIRST_INDEX, FIXTURE_DIM]);
  const catTable = g.float32('emb.category', table(vocab.categories.length + FIRST_INDEX, FIXTURE_DIM, 2), [vocab.categories.length + FIRST_INDEX, FIXTURE_DIM]);
  const histAxis = training ? 1 : 0;
  // history summary: mean over T of item + category embeddings → [1, d] (serving) / [B, d] (training)
  const hist = hc ? g.op('Add', [g.op('Gather', [itemTable, hi]), g.op('Gather', [catTable, hc])]) : g.op('Gather', [itemTable, hi]);
  const summary = g.op('ReduceMean', [hist], { axes: [histAxis], keepdims: training ? 0 : 1 });
  const cand = cc ? g.op('Add', [g.op('Gather', [itemTable, ci]), g.op('Gather', [catTable, cc])]) : g.op('Gather', [itemTable, ci]); // [C, d] / [B, d]
  const product = g.op('Mul', [cand, summary]); // broadcast [C, d] × [1, d]
  let logit = g.op('ReduceSum', [product, g.int64('axis1', [1])], { keepdims: 0 }); // [C] / [B]
  logit = g.op('Add', [logit, g.float('bias', [0.1], [])]);
  if (o.extraOp) {
    const x = o.extraOp.viaDouble ? g.op('Cast', [logit], { to: 11 }) : logit;
    const y = g.op(o.extraOp.opType, [x]);
    if (o.extraOp.domain) setDomain(g, o.extraOp.domain);
    logit = o.extraOp.viaDouble ? g.op('Cast', [y], { to: 1 }) : y;
  }
  if (o.padFloats) logit = g.op('Add', [logit, g.op('ReduceMin', [g.float32('padding.weights', new Float32Array(o.padFloats), [o.padFloats])], { keepdims: 0 })]);
  if (o.extraOutput) g.output(logit, o.extraOutput, 'float32', [training ? 'B' : 'C']);
  if (o.attention) {
    // serving: [C, d] · [T, d]ᵀ → [C, T]; training: Σ_d [B, T, d] × [B, 1, d] → [B, T]
    const affinity = training
      ? g.op('ReduceSum', [g.op('Mul', [hist, g.op('Unsqueeze', [cand, g.int64('axis1', [1])])]), g.int64('axis2', [2])], { keepdims: 0 })
      : g.op('MatMul', [cand, g.op('Transpose', [hist], { perm: [1, 0] })]);
    g.output(g.op('Softmax', [affinity], { axis: 1 }), 'attention', 'float32', [training ? 'B' : 'C', 'T']);
  }
  let out = o.logit ? logit : g.op('Sigmoid', [logit]);
  if (o.scoreColumn) out = g.op('Unsqueeze', [out, g.int64('axis1', [1])]);
  g.output(out, n.score, 'float32', o.scoreColumn ? [training ? 'B' : 'C', 1] : [training ? 'B' : 'C']);
  return g.toBytes('import fixture');
}

/** Sets the domain of the last node added (GraphBuilder writes the default domain). */
function setDomain(g: GraphBuilder, domain: string): void {
  const nodes = (g as unknown as { nodes: Array<{ domain: string }> }).nodes;
  nodes[nodes.length - 1].domain = domain;
}
