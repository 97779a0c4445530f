/** The serving signature every exported model follows (names from contract/manifest.ts). */
import { SERVING_INPUTS, SERVING_OUTPUTS, TASK_OUTPUTS, type ModelManifest } from '../../contract/manifest.js';
import type { GraphBuilder } from './graphBuilder.js';

export interface ServingInputs {
  historyItems: string;
  historyCategories: string;
  candidateItems: string;
  candidateCategories: string;
}

/** T = kept history length (≥ 1, right-padded), C = candidate count. */
const SIGNATURE: Pick<ModelManifest, 'inputs' | 'outputs'> = {
  inputs: [
    { name: SERVING_INPUTS.historyItems, dtype: 'int32', shape: ['T'] },
    { name: SERVING_INPUTS.historyCategories, dtype: 'int32', shape: ['T'] },
    { name: SERVING_INPUTS.candidateItems, dtype: 'int32', shape: ['C'] },
    { name: SERVING_INPUTS.candidateCategories, dtype: 'int32', shape: ['C'] },
  ],
  outputs: [{ name: SERVING_OUTPUTS.scores, dtype: 'float32', shape: ['C'] }],
};

const ATTENTION_OUTPUT = { name: SERVING_OUTPUTS.attention, dtype: 'float32', shape: ['C', 'T'] } as const;

/** The manifest's `inputs`/`outputs` for a graph, read from the graph itself (feature inputs follow the four behaviour inputs). */
export function signatureOf(g: GraphBuilder): Pick<ModelManifest, 'inputs' | 'outputs'> {
  const hasAttention = g.outputNames().includes(SERVING_OUTPUTS.attention);
  const features = g.inputList().slice(SIGNATURE.inputs.length).map((i) => ({ name: i.name, dtype: i.dtype as 'int32' | 'float32', shape: [...i.shape] }));
  const tasks = TASK_OUTPUTS.filter((t) => g.outputNames().includes(t)).map((name) => ({ name, dtype: 'float32' as const, shape: ['C'] }));
  return {
    inputs: [...SIGNATURE.inputs, ...features],
    outputs: [...SIGNATURE.outputs, ...(hasAttention ? [{ ...ATTENTION_OUTPUT, shape: [...ATTENTION_OUTPUT.shape] }] : []), ...tasks],
  };
}

/** Multi-task models: `score` = pCTR, and every task's probability as a named output [C]. */
export function taskOutputs(g: GraphBuilder, p: Record<(typeof TASK_OUTPUTS)[number], string>): void {
  servingOutput(g, p.ctr);
  for (const name of TASK_OUTPUTS) g.output(p[name], name, 'float32', ['C']);
}

export function servingInputs(g: GraphBuilder): ServingInputs {
  return {
    historyItems: g.input(SERVING_INPUTS.historyItems, 'int32', ['T']),
    historyCategories: g.input(SERVING_INPUTS.historyCategories, 'int32', ['T']),
    candidateItems: g.input(SERVING_INPUTS.candidateItems, 'int32', ['C']),
    candidateCategories: g.input(SERVING_INPUTS.candidateCategories, 'int32', ['C']),
  };
}

export function servingOutput(g: GraphBuilder, scores: string): void {
  g.output(scores, SERVING_OUTPUTS.scores, 'float32', ['C']);
}

/** The optional explanation output: attention weights [C, T], 0 on padding. */
export function attentionOutput(g: GraphBuilder, weights: string): void {
  g.output(weights, SERVING_OUTPUTS.attention, 'float32', ['C', 'T']);
}
