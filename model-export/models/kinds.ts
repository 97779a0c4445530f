/**
 * The model kinds, each registered once: how to create it, its default configuration, its ONNX
 * builder, whether int8 export is implemented, whether the worker warms ORT up with a start graph
 * of it, and what its training needs. A new kind is one entry here (and its name in
 * contract/manifest.ts MODEL_TYPES, which the worker reads without tfjs); `satisfies` makes a
 * missing entry a type error.
 */
import type { ModelType } from '../../contract/manifest.js';
import type { GraphBuilder, ItemRowPlacement } from '../onnx/graphBuilder.js';
import { buildBaseGraph } from '../onnx/exportBase.js';
import { buildDienGraph } from '../onnx/exportDien.js';
import { buildDinGraph } from '../onnx/exportDin.js';
import { buildLrGraph } from '../onnx/exportLr.js';
import type { WeightMap } from '../onnx/weights.js';
import { BaseModel } from './base.js';
import { DienModel } from './dien/dien.js';
import { DinModel } from './din.js';
import { LrModel } from './lr.js';
import type { CtrModel, ModelConfig } from './model.js';
import type { MultiTaskConfig, MultiTaskKind } from '../layers/multiTask.js';

export interface ModelKind {
  /** One line for --help and docs. */
  description: string;
  create(config: ModelConfig, seed: number): CtrModel;
  /** Settings beyond the shared defaults (embeddings 16 + 16, attention 80-40, MLP 200-80 with Dice). */
  defaults: Partial<ModelConfig>;
  /** The serving graph (onnx/); `quantize` only when `int8` is true. */
  buildGraph(model: CtrModel, weights: WeightMap, options: { quantize?: 'int8'; itemRows?: ItemRowPlacement }): GraphBuilder;
  /** Item rows can live outside the graph (contract/itemRows.ts). */
  externalItemRows: boolean;
  /** int8 export implemented. */
  int8: boolean;
  /** Feature columns (user, candidate, context) supported. */
  features: boolean;
  /** The worker runs a tiny untrained graph of this kind at start (onnx/startGraphs.ts) to warm ORT's kernels up. */
  startGraph?: Partial<ModelConfig>;
  /** Training needs per-position negative sequences (DIEN's auxiliary loss). */
  needsNegativeSequences(config: Pick<ModelConfig, 'auxWeight' | 'backbone'>): boolean;
}

const never = () => false;

export const MODEL_KINDS: Readonly<Record<ModelType, ModelKind>> = {
  lr: {
    description: 'logistic regression on the one-hot ids (the DIN paper’s first baseline)',
    create: (config, seed) => new LrModel(config, seed),
    defaults: {},
    buildGraph: (model, w) => buildLrGraph(model as LrModel, w),
    int8: false,
    externalItemRows: false,
    features: false,
    needsNegativeSequences: never,
  },
  base: {
    description: 'BaseModel (Embedding & MLP, sum-pooled history, PReLU)',
    create: (config, seed) => new BaseModel(config, seed),
    defaults: { mlpActivation: 'prelu' },
    buildGraph: (model, w, o) => buildBaseGraph(model as BaseModel, w, o),
    int8: true,
    externalItemRows: true,
    features: true,
    needsNegativeSequences: never,
  },
  din: {
    description: 'DIN (local activation unit, Dice)',
    create: (config, seed) => new DinModel(config, seed),
    defaults: {},
    buildGraph: (model, w, o) => buildDinGraph(model as DinModel, w, o),
    int8: true,
    externalItemRows: true,
    features: true,
    startGraph: { embeddingDim: 8, mlpHidden: [64, 4], attentionHidden: [8, 4] },
    needsNegativeSequences: never,
  },
  dien: {
    description: 'DIEN (GRU interest extractor with auxiliary loss, AUGRU)',
    create: (config, seed) => new DienModel(config, seed),
    defaults: { gruHidden: 32, auxWeight: 1, auxHidden: [100, 50] },
    buildGraph: (model, w, o) => buildDienGraph(model as DienModel, w, { augru: 'scan', ...o }),
    int8: true,
    externalItemRows: true,
    features: true,
    startGraph: { embeddingDim: 8, mlpHidden: [64, 4], attentionHidden: [8, 4], gruHidden: 8, auxHidden: [4, 2] },
    needsNegativeSequences: (config) => (config.auxWeight ?? 1) > 0,
  },
  'shared-bottom': multiTaskKind('shared-bottom', 'shared-bottom multi-task baseline: one shared expert, a tower per task (CTR, CVR; ESMM)', { sharedExperts: 1 }),
  mmoe: multiTaskKind('mmoe', 'MMoE (Ma et al., KDD 2018): 4 shared experts, a softmax gate per task', { sharedExperts: 4 }),
  cgc: multiTaskKind('cgc', 'CGC (PLE paper, one level): 2 experts per task + 2 shared, gates over own + shared', { levels: 1 }),
  // The start graph of the multi-task head (over DIN): its operators cover every head kind's.
  ple: { ...multiTaskKind('ple', 'PLE (Tang et al., RecSys 2020): 2 CGC levels with a shared gate between them', { levels: 2 }), startGraph: { embeddingDim: 8, mlpHidden: [64, 4], attentionHidden: [8, 4], multiTask: { kind: 'ple', levels: 2, taskExperts: 1, sharedExperts: 1, expertUnits: 4, towerHidden: [4], taskWeights: [1, 1] } } },
};

/**
 * A multi-task kind: its head over the backbone's interest vector (`backbone`, default DIN), the
 * backbone's graph builder with the head in place of the MLP. Defaults: experts of 128 ReLU units,
 * towers 64-1, equal loss weights (ESMM: click and click ∧ conversion).
 */
function multiTaskKind(kind: MultiTaskKind, description: string, head: Partial<MultiTaskConfig>): ModelKind {
  const multiTask: MultiTaskConfig = { kind, levels: 1, taskExperts: 2, sharedExperts: 2, expertUnits: 128, towerHidden: [64], taskWeights: [1, 1], ...head };
  return {
    description,
    create: (config, seed) => (config.backbone === 'dien' ? new DienModel(config, seed) : new DinModel(config, seed)),
    defaults: { multiTask, backbone: 'din', gruHidden: 32, auxWeight: 1, auxHidden: [100, 50] },
    buildGraph: (model, w, o) => (model instanceof DienModel ? buildDienGraph(model, w, { augru: 'scan', ...o }) : buildDinGraph(model as DinModel, w, o)),
    int8: true,
    externalItemRows: true,
    features: true,
    needsNegativeSequences: (config) => (config as ModelConfig).backbone === 'dien' && (config.auxWeight ?? 1) > 0,
  };
}

export function kindOf(type: ModelType): ModelKind {
  return MODEL_KINDS[type];
}
