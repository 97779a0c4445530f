/**
 * Multiply-adds of one DIN request (the MatMul nodes of model-export/onnx/exportDin.ts), as a
 * function of the history length T and the candidate count C. With D = 2 × embedding dim (width of
 * q and k), attention hidden sizes h1, h2 and MLP hidden sizes m1, m2:
 *
 *   factored = C·T·(D·h1 + h1·h2 + h2 + D)       p_term q·K', attention layer 2, output, pooling
 *            + C·(D·h1 + 2D·m1 + m1·m2 + m2)     q_term, MLP (both halves of layer 1), 2, output
 *            + T·D·h1                            k_term
 *   tiled    = C·T·(4D·h1 + h1·h2 + h2 + D)      first layer on the [C, T, 4D] concat, then as above
 *            + C·(2D·m1 + m1·m2 + m2)
 *
 * Element-wise work (the k⊙W_p product of the factored form, D·T·h1 multiplies; the q−k and q⊙k of
 * the tiled form; sigmoids, Dice) is not counted: the figure is the GEMM work a BLAS would do.
 * Default sizes (D = 32, h1 = 80, h2 = 40, m = 200-80), T = 50, C = 100: 32.4 M factored, 70.4 M tiled.
 */
import type { ModelConfig } from '../model-export/models/model.js';

export interface DinSizes {
  D: number;
  h1: number;
  h2: number;
  m1: number;
  m2: number;
}

export function dinSizes(config: Pick<ModelConfig, 'embeddingDim' | 'attentionHidden' | 'mlpHidden'>): DinSizes {
  if (config.mlpHidden.length !== 2) throw new Error(`the MAC formula assumes a 2-layer MLP, got ${config.mlpHidden.length}`);
  return { D: 2 * config.embeddingDim, h1: config.attentionHidden[0], h2: config.attentionHidden[1], m1: config.mlpHidden[0], m2: config.mlpHidden[1] };
}

export function dinMacs(s: DinSizes, T: number, C: number, form: 'factored' | 'tiled' = 'factored'): number {
  const { D, h1, h2, m1, m2 } = s;
  const mlp = 2 * D * m1 + m1 * m2 + m2;
  if (form === 'tiled') return C * T * (4 * D * h1 + h1 * h2 + h2 + D) + C * mlp;
  return C * T * (D * h1 + h1 * h2 + h2 + D) + C * (D * h1 + mlp) + T * D * h1;
}
