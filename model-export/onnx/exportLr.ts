/** LR → ONNX (serving shape): the history's summed weight is one scalar, added to every candidate's. */
import { LR_TABLES, type LrModel } from '../models/lr.js';
import { GraphBuilder } from './graphBuilder.js';
import { historyMask } from './servingLayers.js';
import { servingInputs, servingOutput } from './servingSignature.js';
import { weightOf, type WeightMap } from './weights.js';

export function buildLrGraph(_model: LrModel, w: WeightMap): GraphBuilder {
  const g = new GraphBuilder('lr');
  const x = servingInputs(g);
  const table = (name: string) => {
    const t = weightOf(w, name);
    return g.weight(name, t.data, [t.shape[0]]); // [V, 1] → [V]
  };
  const gather = (name: string, ids: string) => g.op('Gather', [table(name), ids], { axis: 0 });
  const candidate = g.op('Add', [gather(LR_TABLES.candidateItem, x.candidateItems), gather(LR_TABLES.candidateCategory, x.candidateCategories)], {}, 'cand_w'); // [C]
  const behaviours = g.op('Add', [gather(LR_TABLES.historyItem, x.historyItems), gather(LR_TABLES.historyCategory, x.historyCategories)], {}, 'hist_w'); // [T]
  const masked = g.op('Mul', [behaviours, historyMask(g, x.historyItems)]); // [T]
  const history = g.op('ReduceSum', [masked, g.int64('axes0', [0])], { keepdims: 1 }, 'hist_sum'); // [1]
  const bias = weightOf(w, LR_TABLES.bias);
  const logit = g.op('Add', [g.op('Add', [candidate, history]), g.weight(LR_TABLES.bias, bias.data, [1])], {}, 'logit'); // [C]
  servingOutput(g, g.op('Sigmoid', [logit], {}, 'prob'));
  return g;
}
