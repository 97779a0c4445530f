/**
 * The multi-task head (layers/multiTask.ts) in the serving graph: the same layout (`layoutOf`), so
 * experts, gates and towers read the same weights by name. The head's input arrives as parts
 * ([C, w] per candidate, or [1, w] once per request: user and context), and every level-0 product
 * is split by rows into one MatMul per part, as mlpHead does: request-only work stays [1, ·] and
 * broadcasts, so the graph stays factored.
 *
 * Outputs: pCTR and pCVR from the towers, and pCTCVR = pCTR · pCVR (ESMM).
 */
import { layoutOf, towerSpec, type MultiTaskSpec } from '../layers/multiTask.js';
import type { GraphBuilder } from './graphBuilder.js';
import { mlpLogit } from './servingLayers.js';
import { rowsOf, weightOf, type WeightMap } from './weights.js';

export interface HeadPart {
  tensor: string;
  width: number;
}

/** x·W over the parts of x, W = `name` [Σ widths, units]: Σ_j part_j · W[rows of j]. */
function partsMatMul(g: GraphBuilder, w: WeightMap, name: string, parts: readonly HeadPart[]): string {
  let row = 0;
  const terms = parts.map((p, j) => {
    const slice = rowsOf(w, name, row, row + p.width);
    row += p.width;
    return g.op('MatMul', [p.tensor, g.weight(`${name}.part${j}`, slice.data, slice.dims)], {}, 'mt_part');
  });
  const total = weightOf(w, name).shape[0];
  if (row !== total) throw new Error(`${name}: parts cover ${row} rows of ${total}`);
  return terms.reduce((acc, t) => g.op('Add', [acc, t], {}, 'mt_sum'));
}

export function multiTaskHead(g: GraphBuilder, w: WeightMap, s: MultiTaskSpec, x: readonly HeadPart[]): { ctr: string; cvr: string; ctcvr: string } {
  const axis1 = g.int64('mt.axis1', [1]);
  const axis2 = g.int64('mt.axis2', [2]);
  const linear = (name: string, input: readonly HeadPart[]) => partsMatMul(g, w, name, input);
  let taskIn: HeadPart[][] = Array.from({ length: s.tasks }, () => [...x]);
  let sharedIn: HeadPart[] = [...x];
  layoutOf(s).forEach((level, j) => {
    const inputOf = (source: string): readonly HeadPart[] => (source === 'x' ? x : source === 'shared' ? sharedIn : taskIn[Number(source.slice(5))]);
    const experts = new Map<string, string>();
    for (const [e, source] of level.inputs) {
      const b = weightOf(w, `${s.name}.${e}.bias`);
      const z = g.op('Add', [linear(`${s.name}.${e}.kernel`, inputOf(source)), g.weight(`${s.name}.${e}.bias`, b.data, b.shape)], {}, 'expert_z');
      experts.set(e, g.op('Relu', [z], {}, 'expert')); // [C, units] (or [1, units] if x were request-only)
    }
    const mix = (names: string[], gate: string, gateInput: readonly HeadPart[]): HeadPart => {
      if (s.kind === 'shared-bottom') return { tensor: experts.get(names[0])!, width: s.expertUnits };
      const weights = g.op('Softmax', [linear(`${s.name}.l${j}.${gate}.kernel`, gateInput)], { axis: 1 }, 'gate'); // [C, n]
      const stacked = g.op('Concat', names.map((e) => g.op('Unsqueeze', [experts.get(e)!, axis1])), { axis: 1 }, 'experts'); // [C, n, units]
      const weighted = g.op('Mul', [stacked, g.op('Unsqueeze', [weights, axis2])], {}, 'gated'); // [C, n, units]
      return { tensor: g.op('ReduceSum', [weighted, axis1], { keepdims: 0 }, 'mixture'), width: s.expertUnits }; // Σ_i w_i·E_i: [C, units]
    };
    const nextTask = level.taskGates.map((names, k) => [mix(names, `gate${k}`, j === 0 ? x : taskIn[k])]);
    if (level.sharedGate) sharedIn = [mix(level.sharedGate, 'gateS', j === 0 ? x : sharedIn)];
    taskIn = nextTask;
  });
  const [ctr, cvr] = taskIn.map((h, k) => g.op('Sigmoid', [mlpLogit(g, w, towerSpec(s, k), h)], {}, k === 0 ? 'p_ctr' : 'p_cvr')); // [C]
  return { ctr, cvr, ctcvr: g.op('Mul', [ctr, cvr], {}, 'p_ctcvr') };
}
