/**
 * Multi-task heads over one input x (the interest vector for the candidate + candidate + user and
 * context vectors), two tasks: click (CTR) and conversion (CVR). Experts and gates are written once
 * here; the four kinds differ only in how they are wired:
 *
 * - shared-bottom: one shared expert, then a tower per task;
 * - MMoE (Ma et al., KDD 2018): n shared experts; per task k a gate g^k(x) = softmax(W_g^k x) and
 *   f^k(x) = Σ_i g^k(x)_i · E_i(x), then tower k;
 * - CGC (Tang et al., RecSys 2020, PLE paper eq. 1–4): per task m_k task-specific experts plus m_s
 *   shared ones; task k's gate is a softmax over its own experts and the shared ones,
 *   g^k(x) = w^k(x)·S^k(x), y^k = t^k(g^k(x));
 * - PLE (same paper, eq. 5–6): L CGC levels; level j's task-k experts read g^{k,j−1}, its shared
 *   experts read the shared output of level j−1, which a shared gate over ALL experts of the level
 *   computes — at every level but the last (as in the seed's code: the last level has no shared
 *   output). CGC is PLE with L = 1.
 *
 * An expert is one dense layer with ReLU (the seed's DNN experts with one layer); a tower is an
 * MLP (hidden ReLU layers, then one logit).
 */
import * as tf from '@tensorflow/tfjs';
import { matMul } from './matmul.js';
import { applyMlp, createMlp, type MlpSpec } from './mlp.js';
import type { ParamStore } from './params.js';

export const MULTI_TASK_KINDS = ['shared-bottom', 'mmoe', 'cgc', 'ple'] as const;
export type MultiTaskKind = (typeof MULTI_TASK_KINDS)[number];

/** ModelConfig.multiTask: the head's shape and the tasks' loss weights. */
export interface MultiTaskConfig {
  kind: MultiTaskKind;
  levels: number;
  taskExperts: number;
  sharedExperts: number;
  expertUnits: number;
  towerHidden: number[];
  /** Loss weights of the two tasks: w_ctr·L(click, pCTR) + w_ctcvr·L(click ∧ conversion, pCTR·pCVR) (ESMM). */
  taskWeights: [number, number];
}

/** The tasks' names, in head order; the serving graph's outputs add their product `ctcvr`. */
export const TASKS = ['ctr', 'cvr'] as const;

export function multiTaskSpecOf(c: MultiTaskConfig, inputs: number): MultiTaskSpec {
  return { name: 'mt', kind: c.kind, inputs, tasks: TASKS.length, levels: c.levels, taskExperts: c.taskExperts, sharedExperts: c.sharedExperts, expertUnits: c.expertUnits, towerHidden: c.towerHidden };
}

export interface MultiTaskSpec {
  name: string;
  kind: MultiTaskKind;
  /** Width of x. */
  inputs: number;
  tasks: number;
  /** PLE levels (CGC: 1; ignored by MMoE and shared-bottom). */
  levels: number;
  /** Experts per task per level (CGC/PLE). */
  taskExperts: number;
  /** Shared experts per level (CGC/PLE), or MMoE's experts. */
  sharedExperts: number;
  expertUnits: number;
  towerHidden: number[];
}

/** Expert names of one level: task k's own, then the shared ones (the order S^k concatenates them in). */
export interface LevelLayout {
  /** Per task, the expert names its gate mixes (own, then shared). */
  taskGates: string[][];
  /** The shared gate's experts (all of the level), or undefined (last level, MMoE, shared-bottom). */
  sharedGate?: string[];
  /** Per expert, what it reads: `x` (level 0 input), `task:k` (task k's previous output) or `shared`. */
  inputs: Map<string, string>;
}

/** The wiring of every level: the one description both tfjs and the ONNX exporter follow. */
export function layoutOf(s: MultiTaskSpec): LevelLayout[] {
  const tasks = [...Array(s.tasks).keys()];
  const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  if (s.kind === 'shared-bottom') {
    return [{ taskGates: tasks.map(() => ['e0']), inputs: new Map([['e0', 'x']]) }];
  }
  if (s.kind === 'mmoe') {
    const experts = names('e', s.sharedExperts);
    return [{ taskGates: tasks.map(() => experts), inputs: new Map(experts.map((e) => [e, 'x'])) }];
  }
  const levels = s.kind === 'cgc' ? 1 : s.levels;
  return Array.from({ length: levels }, (_, j) => {
    const own = tasks.map((k) => names(`l${j}.t${k}.e`, s.taskExperts));
    const shared = names(`l${j}.s.e`, s.sharedExperts);
    const inputs = new Map<string, string>();
    tasks.forEach((k) => own[k].forEach((e) => inputs.set(e, j === 0 ? 'x' : `task:${k}`)));
    shared.forEach((e) => inputs.set(e, j === 0 ? 'x' : 'shared'));
    return {
      taskGates: tasks.map((k) => [...own[k], ...shared]),
      ...(j < levels - 1 ? { sharedGate: [...own.flat(), ...shared] } : {}),
      inputs,
    };
  });
}

/** Input width of level j's experts and gates. */
export function levelInputs(s: MultiTaskSpec, j: number): number {
  return j === 0 ? s.inputs : s.expertUnits;
}

export function towerSpec(s: MultiTaskSpec, k: number): MlpSpec {
  return { name: `${s.name}.tower${k}`, inputs: s.expertUnits, hidden: s.towerHidden, activation: 'relu', outputs: 1 };
}

export function createMultiTask(store: ParamStore, s: MultiTaskSpec): void {
  layoutOf(s).forEach((level, j) => {
    const width = levelInputs(s, j);
    for (const e of level.inputs.keys()) {
      store.dense(`${s.name}.${e}.kernel`, width, s.expertUnits);
      store.constant(`${s.name}.${e}.bias`, [s.expertUnits], 0);
    }
    if (s.kind === 'shared-bottom') return;
    level.taskGates.forEach((experts, k) => store.dense(`${s.name}.l${j}.gate${k}.kernel`, width, experts.length));
    if (level.sharedGate) store.dense(`${s.name}.l${j}.gateS.kernel`, width, level.sharedGate.length);
  });
  for (let k = 0; k < s.tasks; k++) createMlp(store, towerSpec(s, k));
}

/** x [B, inputs] → per task logits [B]. */
export function applyMultiTask(store: ParamStore, s: MultiTaskSpec, x: tf.Tensor2D): tf.Tensor1D[] {
  const p = (n: string) => store.get(`${s.name}.${n}`) as tf.Tensor2D;
  let taskIn: tf.Tensor2D[] = Array.from({ length: s.tasks }, () => x);
  let sharedIn: tf.Tensor2D = x;
  layoutOf(s).forEach((level, j) => {
    const inputOf = (source: string) => (source === 'x' ? x : source === 'shared' ? sharedIn : taskIn[Number(source.slice(5))]);
    const out = new Map<string, tf.Tensor2D>();
    for (const [e, source] of level.inputs) out.set(e, tf.relu(tf.add(matMul(inputOf(source), p(`${e}.kernel`)), p(`${e}.bias`))) as tf.Tensor2D); // [B, units]
    // Gate input: what the gate's task (or the shared path) reads at this level.
    const mix = (experts: string[], gate: string, gateInput: tf.Tensor2D): tf.Tensor2D => {
      if (s.kind === 'shared-bottom') return out.get(experts[0])!;
      const w = tf.softmax(matMul(gateInput, p(`l${j}.${gate}.kernel`))); // [B, n]
      const stacked = tf.stack(experts.map((e) => out.get(e)!), 1); // [B, n, units]
      return tf.sum(tf.mul(stacked, tf.expandDims(w, 2)), 1) as tf.Tensor2D; // Σ_i w_i·E_i
    };
    const nextTask = level.taskGates.map((experts, k) => mix(experts, `gate${k}`, j === 0 ? x : taskIn[k]));
    if (level.sharedGate) sharedIn = mix(level.sharedGate, 'gateS', j === 0 ? x : sharedIn);
    taskIn = nextTask;
  });
  return taskIn.map((h, k) => applyMlp(store, towerSpec(s, k), h, false).reshape([-1]) as tf.Tensor1D);
}
