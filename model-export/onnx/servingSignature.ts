/** The serving signature every exported model follows (names from contract/manifest.ts). */
import { SERVING_INPUTS, SERVING_OUTPUTS, type ModelManifest } from '../../contract/manifest.js';
import type { GraphBuilder } from './graphBuilder.js';

export interface ServingInputs {
  historyItems: string;
  historyCategories: string;
  candidateItems: string;
  candidateCategories: string;
}

/** T = kept history length (≥ 1, right-padded), C = candidate count. */
export const SIGNATURE: Pick<ModelManifest, 'inputs' | 'outputs'> = {
  inputs: [
    { name: SERVING_INPUTS.historyItems, dtype: 'int32', shape: ['T'] },
    { name: SERVING_INPUTS.historyCategories, dtype: 'int32', shape: ['T'] },
    { name: SERVING_INPUTS.candidateItems, dtype: 'int32', shape: ['C'] },
    { name: SERVING_INPUTS.candidateCategories, dtype: 'int32', shape: ['C'] },
  ],
  outputs: [{ name: SERVING_OUTPUTS.scores, dtype: 'float32', shape: ['C'] }],
};

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
