/**
 * Explanations: for each candidate, the history behaviours with the largest attention weight — the
 * weights DIN's local activation unit (eq. 3) or DIEN's evolution attention (eq. 12) pooled the
 * history with for that candidate. Read from the graph's `attention` output [C, T].
 */
import { canonicalId, type BehaviourRef, type RawId } from '../../contract/featureContract.js';

export const EXPLAIN_TOP = 3;

export interface Because {
  /** The behaviour's item id, as sent. */
  item: string;
  /** Its index in the request's `history` array. */
  position: number;
  /** Attention weight (DIN: unnormalised activation; DIEN: softmax share). */
  weight: number;
}

/**
 * Top `EXPLAIN_TOP` real behaviours per candidate, weight descending (ties: most recent first).
 * `attention` is [C, T] row-major; positions ≥ `kept` are padding and never reported.
 */
export function topBehaviours(
  history: ReadonlyArray<RawId | BehaviourRef>,
  historyStart: number,
  kept: number,
  attention: Float32Array,
  candidates: number,
): Because[][] {
  const T = attention.length / candidates;
  const ids = Array.from({ length: kept }, (_, t) => {
    const ref = history[historyStart + t];
    return canonicalId(typeof ref === 'object' ? ref.item : ref);
  });
  const out: Because[][] = [];
  for (let c = 0; c < candidates; c++) {
    const row = attention.subarray(c * T, c * T + kept);
    const order = Array.from({ length: kept }, (_, t) => t).sort((a, b) => row[b] - row[a] || b - a);
    out.push(order.slice(0, EXPLAIN_TOP).map((t) => ({ item: ids[t], position: historyStart + t, weight: row[t] })));
  }
  return out;
}
