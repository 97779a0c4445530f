/**
 * The probability probe: golden and seeded random requests, encoded by the worker's own encoder,
 * run through onnxruntime-node. Every score (and task output) must be finite and within [0, 1];
 * attention finite; each output the size the signature says ([C], [C, T]).
 */
import type { FeatureContract } from '../../contract/featureContract.js';
import { goldenMismatch, goldenRequestsFor, type Golden, type GoldenOutput, type GoldenRequestInput } from '../../contract/goldenRequests.js';
import { SERVING_OUTPUTS, TASK_OUTPUTS } from '../../contract/manifest.js';
import { SCORE_LIMITS } from '../../core/schema/score.schema.js';
import { encodeForModel } from '../../core/encode/rowFeeds.js';
import type { ServingFeeds } from '../../core/runtime/scoringSession.js';
import { nodeSessionOptions } from '../onnx/nodeSessionOptions.js';
import { OperatorRefusal, ProbabilityRefusal, RunRefusal, SignatureRefusal } from './refusal.js';

type TensorCtor = new (type: 'int32' | 'float32', data: Int32Array | Float32Array, dims: readonly number[]) => unknown;

/** Feeds as tensors of either onnxruntime (node or web). */
export function feedTensors(Tensor: TensorCtor, f: ServingFeeds): Record<string, unknown> {
  return {
    hist_item: new Tensor('int32', f.historyItems, [f.historyItems.length]),
    hist_cat: new Tensor('int32', f.historyCategories, [f.historyCategories.length]),
    cand_item: new Tensor('int32', f.candidateItems, [f.candidateItems.length]),
    cand_cat: new Tensor('int32', f.candidateCategories, [f.candidateCategories.length]),
    ...Object.fromEntries((f.features ?? []).map((x) => [x.input, new Tensor(x.dtype, x.data, [...x.dims])])),
  };
}

/** Deterministic requests over the vocabulary: history lengths 1, H and between; 1 to 64 candidates; unknown ids among them. */
export function probeRequests(contract: FeatureContract, count = 8): GoldenRequestInput[] {
  let state = 0x2f6b_1d3a;
  const next = () => ((state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
  const items = contract.spec.items;
  const id = () => (items.length === 0 || next() < 0.05 ? `probe-unknown-${Math.floor(next() * 1e6)}` : items[Math.floor(next() * items.length)]);
  const H = contract.spec.maxHistory;
  const lengths = [1, H, H + 3, 0, Math.ceil(H / 2)];
  const counts = [1, 2, 17, 64, 5];
  return Array.from({ length: count }, (_, i) => ({
    history: Array.from({ length: lengths[i % lengths.length] ?? Math.floor(next() * H) }, id),
    candidates: Array.from({ length: counts[i % counts.length] }, id),
    time: 1_767_268_800 + i * 3_600,
    route: 'probe',
  }));
}

/**
 * The indices a random probe may miss, each in a request of its own so a refusal's T and C point at
 * it: the history that is padding only (an empty history: a masked mean divides by 0), the unknown
 * index 1, the first item (index 2) and the largest item index (a table one row short, or a
 * graph-internal table the static check cannot see, reads past its end), with the item of the
 * largest category index; and the largest request (maxHistory positions, SCORE_LIMITS.maxCandidates
 * candidates). Hashed ids (no vocabulary) get unknown ids only: every id hashes to some row.
 */
export function edgeRequests(contract: FeatureContract): GoldenRequestInput[] {
  const items = contract.spec.items;
  const H = contract.spec.maxHistory;
  const base = { time: 1_767_268_800, route: 'probe-edge' };
  const unknown = 'probe-edge-unknown-item';
  const last = items.at(-1);
  const cats = contract.spec.itemCategories;
  // (a loop, not Math.max(...cats): a spread of a large vocabulary overflows the call stack)
  const maxCat = items[cats.reduce((best, c, i) => (c > cats[best] ? i : best), 0)];
  const known = [...new Set([items[0], last, maxCat].filter((x): x is string => x !== undefined))];
  return [
    { ...base, history: [], candidates: [unknown] },
    { ...base, history: [], candidates: [...known, unknown] },
    { ...base, history: [unknown], candidates: [unknown] },
    ...(known.length ? [{ ...base, history: Array.from({ length: H }, (_, i) => known[i % known.length]), candidates: known }] : []),
    ...(last !== undefined ? [{ ...base, history: [last], candidates: [last] }] : []),
    // The most candidates a request may carry, with the longest history: a size baked in at trace time fails here.
    { ...base, history: Array.from({ length: H }, (_, i) => items[(i * 7) % Math.max(1, items.length)] ?? unknown), candidates: Array.from({ length: SCORE_LIMITS.maxCandidates }, (_, i) => items[(i * 13) % Math.max(1, items.length)] ?? `${unknown}-${i}`) },
  ];
}

export interface ProbeResult {
  requests: number;
  /** Probability outputs whose every value was the same over all probe requests (a graph that ignores its inputs?). */
  constant: Array<{ output: string; value: number }>;
  /** min/max over every probability output value. */
  min: number;
  max: number;
}

/** Runs the probe with onnxruntime-node; refuses with the output's name when a value is not a probability. */
export async function probeProbabilities(onnx: Uint8Array, contract: FeatureContract, addSigmoidAvailable = true): Promise<ProbeResult> {
  const ort = await import('onnxruntime-node');
  // Fatal logs only: a kernel error becomes a one-line refusal, not also an onnxruntime log line.
  const session = await ort.InferenceSession.create(onnx, nodeSessionOptions({ logSeverityLevel: 4 }));
  try {
    const probabilities = [SERVING_OUTPUTS.scores, ...TASK_OUTPUTS].filter((n) => session.outputNames.includes(n));
    const fetches = [...probabilities, ...(session.outputNames.includes(SERVING_OUTPUTS.attention) ? [SERVING_OUTPUTS.attention] : [])];
    const stats = new Map(probabilities.map((n) => [n, { min: Infinity, max: -Infinity, bad: 0, nan: undefined as string | undefined }]));
    const requests = [...goldenRequestsFor(contract), ...probeRequests(contract), ...edgeRequests(contract)];
    for (const request of requests) {
      const { feeds } = await encodeForModel({ contract }, request, { time: request.time, route: request.route });
      const C = feeds.candidateItems.length;
      const T = feeds.historyItems.length;
      let out: Record<string, { data: unknown }>;
      try {
        out = await session.run(feedTensors(ort.Tensor as unknown as TensorCtor, feeds) as never, fetches);
      } catch (e) {
        const message = String((e as Error).message).replace(/\s+/g, ' ');
        const bounds = /running (\w+) node\. Name:'([^']*)' Status Message: indices element out of data bounds, idx=(-?\d+) must be within the inclusive range \[-?\d+,(\d+)\]/.exec(message);
        if (bounds) {
          const rows = Number(bounds[4]) + 1;
          throw new OperatorRefusal(bounds[1], `(node "${bounds[2]}") reads index ${bounds[3]} of a ${rows}-row table on a request with T = ${T}, C = ${C}: ${itemSpace(contract)} and ${contract.spec.categories.length} categories, indices up to ${contract.spec.categories.length + 1} (0 = padding, 1 = unknown, items[i] = i + 2)`, 'pass the vocabulary the model was trained with (its table needs vocabulary + 2 rows), or retrain with tables sized for this vocabulary');
        }
        const dims = /Got invalid dimensions for input: (\S+) for the following indices index: (\d+) Got: (\d+) Expected: (\d+)/.exec(message);
        if (dims) throw new SignatureRefusal(dims[1], `has axis ${dims[2]} fixed at ${dims[4]} in the graph, and a request with T = ${T}, C = ${C} feeds ${dims[3]}`, `make that axis dynamic in the export (dynamic_axes={'${dims[1]}': {${dims[2]}: '...'}})`);
        throw new RunRefusal('run', `onnxruntime-node fails on a request with T = ${T} history positions and C = ${C} candidates: ${String((e as Error).message).replace(/\s+/g, ' ').slice(0, 400)}`, 'make every axis of the export dynamic (T from 1 to maxHistory, C from 1 up) and avoid shape constants baked in at trace time');
      }
      for (const name of fetches) {
        const data = out[name].data as Float32Array;
        const want = name === SERVING_OUTPUTS.attention ? C * T : C;
        if (data.length !== want) throw new SignatureRefusal(name, `has ${data.length} values for a request with C = ${C}, T = ${T}; expected ${want} (${name === SERVING_OUTPUTS.attention ? '[C, T]' : '[C]'})`, `make ${name} ${name === SERVING_OUTPUTS.attention ? 'one weight per candidate and history position' : 'one probability per candidate'}`);
        if (name === SERVING_OUTPUTS.attention) {
          // Same size either way round: a [T, C] attention passes the count and is then read as [C, T].
          const dims = (out[name] as { dims?: readonly number[] }).dims ?? [];
          if (C !== T && (dims.length !== 2 || dims[0] !== C || dims[1] !== T)) throw new SignatureRefusal(name, `is [${dims.join(', ')}] for a request with C = ${C} candidates and T = ${T} history positions; serving attention is [C, T] = [${C}, ${T}]`, dims[0] === T && dims[1] === C ? 'transpose it to [C, T] in the export (one row of history weights per candidate)' : 'export attention as [C, T], one row of history weights per candidate');
          const i = data.findIndex((v) => !Number.isFinite(v));
          if (i >= 0) throw new ProbabilityRefusal(name, NaN, NaN, `value ${i} is ${data[i]} (not finite) for a request with C = ${C}, T = ${T}`, 'mask padding positions before the softmax without -inf arithmetic that yields NaN (e.g. add a large negative, not -inf)');
          continue;
        }
        const s = stats.get(name)!;
        for (const [c, v] of data.entries()) {
          if (!(v >= 0 && v <= 1)) s.bad++;
          if (Number.isNaN(v) && s.nan === undefined) s.nan = nanWhere(feeds, c);
          if (v < s.min || Number.isNaN(v)) s.min = Number.isNaN(v) ? NaN : Math.min(s.min, v);
          if (v > s.max) s.max = v;
        }
      }
    }
    for (const [name, s] of stats) {
      if (s.nan !== undefined) {
        throw new ProbabilityRefusal(name, s.min, s.max, `is NaN (${s.bad} values outside [0, 1] or not finite over ${requests.length} probe requests), first ${s.nan}`, 'a NaN comes from the graph, not from a missing Sigmoid: guard what an empty history (all padding), the unknown index 1 or the largest index makes 0 or infinite (a masked mean dividing by a count of 0, a log of 0, a -inf mask), e.g. divide by max(count, 1)');
      }
      if (s.bad > 0) {
        throw new ProbabilityRefusal(
          name,
          s.min,
          s.max,
          `is not a probability: ${s.bad} values outside [0, 1] (or not finite) over ${requests.length} probe requests, min ${s.min}, max ${s.max}`,
          `end the graph with a Sigmoid (the worker serves click probabilities)${addSigmoidAvailable ? ', or pass --add-sigmoid if the output is a logit' : ''}`,
        );
      }
    }
    await checkCandidateIndependence(session, ort.Tensor as unknown as TensorCtor, contract, requests[0], probabilities);
    const all = [...stats.values()];
    const constant = [...stats].filter(([, s]) => s.min === s.max).map(([output, s]) => ({ output, value: s.min }));
    return { requests: requests.length, constant, min: Math.min(...all.map((s) => s.min)), max: Math.max(...all.map((s) => s.max)) };
  } finally {
    await session.release();
  }
}

/**
 * Score difference tolerated between a candidate scored with others and alone. Not float noise:
 * the repo's own int8 models quantise activations per request (DynamicQuantizeLinear, one scale
 * per tensor: model-export/onnx/quantizedMatMul.ts), which moves a score by ~2e-4 with the other
 * candidates (measured on din-movielens-features and ple-movielens); a softmax across candidates
 * moves it by tenths.
 */
export const INDEPENDENCE_TOLERANCE = 0.01;

/**
 * One candidate's probability must not depend on the other candidates of the request: the worker
 * scores candidates in any grouping (cascade stages, budgets cutting the list). A softmax or a
 * normalisation across candidates passes the [0, 1] probe but scores a candidate differently
 * beside different ones. Each candidate of `request` is scored alone and compared.
 */
async function checkCandidateIndependence(session: { run: (feeds: never, fetches: string[]) => Promise<Record<string, { data: unknown }>> }, Tensor: TensorCtor, contract: FeatureContract, request: GoldenRequestInput, outputs: string[]): Promise<void> {
  if (request.candidates.length < 2 || outputs.length === 0) return;
  const circumstances = { time: request.time, route: request.route };
  const together = await session.run(feedTensors(Tensor, (await encodeForModel({ contract }, request, circumstances)).feeds) as never, outputs);
  for (const [c, candidate] of request.candidates.entries()) {
    const alone = await session.run(feedTensors(Tensor, (await encodeForModel({ contract }, { ...request, candidates: [candidate] }, circumstances)).feeds) as never, outputs);
    for (const name of outputs) {
      const a = (together[name].data as Float32Array)[c];
      const b = (alone[name].data as Float32Array)[0];
      if (!(Math.abs(a - b) <= INDEPENDENCE_TOLERANCE)) {
        throw new SignatureRefusal(name, `of candidate ${c} is ${a} scored with ${request.candidates.length - 1} other candidates and ${b} scored alone (same history): one candidate's value depends on the others (a softmax or normalisation across candidates, batch statistics?)`, 'compute each candidate\'s probability from the history and that candidate only (normalise over history positions, not candidates; BatchNorm in eval mode): the worker scores candidates in any grouping');
      }
    }
  }
}

/** The item index space, for a refusal: a vocabulary's, or hashed buckets'. */
function itemSpace(contract: FeatureContract): string {
  const hashed = contract.spec.itemIds;
  if (hashed) return `item ids are hashed into ${hashed.buckets} buckets, indices up to ${hashed.buckets + 1} (the manifest's itemIds)`;
  return `the vocabulary has ${contract.spec.items.length} items, indices up to ${contract.spec.items.length + 1}`;
}

/** Where a NaN score came from, for the refusal: the candidate's indices and what the history was. */
function nanWhere(f: ServingFeeds, c: number): string {
  const T = f.historyItems.length;
  const known = Array.from(f.historyItems).filter((i) => i > 0).length;
  const what = (i: number) => (i === 0 ? ' (padding)' : i === 1 ? ' (the unknown index)' : '');
  const history = known === 0 ? 'padding only (an empty history)' : `${known} known of ${T} positions`;
  return `for candidate ${c} (cand_item ${f.candidateItems[c]}${what(f.candidateItems[c])}, cand_cat ${f.candidateCategories[c]}${what(f.candidateCategories[c])}) of a request with C = ${f.candidateItems.length}, T = ${T}, history ${history}`;
}

/**
 * Replays the golden requests in onnxruntime-web's wasm build, as the worker does at load: a graph
 * whose kernels differ between the runtimes by more than the tolerance would be refused there.
 */
export async function replayGoldenInWasm(ort: typeof import('onnxruntime-web'), session: import('onnxruntime-web').InferenceSession, golden: Golden, contract: FeatureContract): Promise<void> {
  for (const [i, request] of golden.requests.entries()) {
    const { feeds } = await encodeForModel({ contract }, request, { time: request.time, route: request.route });
    const names = Object.keys(request.expected) as GoldenOutput[];
    const out = await session.run(feedTensors(ort.Tensor as unknown as TensorCtor, feeds) as never, names);
    const actual = Object.fromEntries(names.map((n) => [n, out[n].data as Float32Array]));
    const mismatch = goldenMismatch(request, i, actual, golden.tolerance);
    if (mismatch) {
      const output = names.find((n) => goldenMismatch({ ...request, expected: { [n]: request.expected[n] } }, i, actual, golden.tolerance)) ?? 'score';
      throw new RunRefusal(output, `onnxruntime-web's wasm build and onnxruntime-node disagree: ${mismatch}; the worker replays these golden requests at load and would refuse the model`, 'avoid kernels whose results differ between the runtimes (quantize-dequantize (QDQ) int8 graphs fuse differently: export float32 weights, or int8 weights stored as Cast × scale as this repo does)');
    }
  }
}
