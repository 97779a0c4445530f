/**
 * The serving signature check, and the rewrites that bring a graph to it.
 *
 * Serving signature (contract/manifest.ts): inputs hist_item, hist_cat [T] and cand_item, cand_cat
 * [C], int32 (plus the feature inputs of a format-2 contract); outputs score [C] float32, optional
 * attention [C, T], optional task outputs ctr, cvr, ctcvr [C]. One request is one user: the
 * history is given once, not once per candidate.
 *
 * Rewrites (each recorded in the returned notes, none silent):
 * - `--map from=to` renames inputs and outputs;
 * - int64 behaviour inputs (PyTorch's default index type) get an int32 input and a Cast to int64;
 * - a graph in training shape (hist [B, T], cand [B] or [B, 1], score [B] or [B, 1]) is wrapped:
 *   the serving inputs hist [T] are Unsqueezed and Expanded to [C, T] (C = the candidate count),
 *   so every candidate row sees the same history, and a [C, 1] score is Squeezed to [C];
 * - a serving-shape graph whose score is [C, 1] gets a Squeeze;
 * - outputs other than score, attention and the task outputs are dropped (the worker never
 *   fetches them; onnxruntime then prunes their nodes);
 * - `--add-sigmoid`: a Sigmoid after score, for graphs that end in a logit.
 * Everything else that does not fit is refused with the tensor's name and the fix.
 */
import type { ModelProto, ValueInfoProto } from 'onnx-buf';
import type { FeatureContractSpec } from '../../contract/featureContract.js';
import { FeatureEncoder, inputNamesOf } from '../../contract/features.js';
import { SERVING_INPUTS, SERVING_OUTPUTS, TASK_OUTPUTS, servingInputNames, type ModelManifest } from '../../contract/manifest.js';
import { allGraphs, allNodes, axesNode, defaultOpset, int64Initializer, node, realInputs, renameReads, renameTensor, showDims, TensorProto_DataType, tensorType, valueInfo, type Dim } from './onnxGraph.js';
import { SignatureRefusal } from './refusal.js';

const HISTORY = [SERVING_INPUTS.historyItems, SERVING_INPUTS.historyCategories] as const;
const CANDIDATES = [SERVING_INPUTS.candidateItems, SERVING_INPUTS.candidateCategories] as const;
const BEHAVIOUR: readonly string[] = [...HISTORY, ...CANDIDATES];
export const ALLOWED_OUTPUTS: readonly string[] = [SERVING_OUTPUTS.scores, SERVING_OUTPUTS.attention, ...TASK_OUTPUTS];

export interface SignatureOptions {
  /** Renames applied first: graph input or output name → serving name. */
  map?: Record<string, string>;
  /** Append a Sigmoid to `score` (and the task outputs): for graphs whose outputs are logits. */
  addSigmoid?: boolean;
  /** Refuse a training-shape graph instead of rewriting it. */
  noRewrite?: boolean;
}

export interface SignatureResult {
  /** One line per rewrite applied (empty: the graph is served as given, byte for byte). */
  rewrites: string[];
  /** What the manifest declares. */
  signature: Pick<ModelManifest, 'inputs' | 'outputs'>;
  shape: 'serving' | 'training';
}

/** Every tensor name of the graph and its subgraphs: inputs, outputs, initializers, node inputs and outputs. */
function tensorNames(g: NonNullable<ModelProto['graph']>): Set<string> {
  const names = new Set<string>();
  for (const x of allGraphs(g)) {
    for (const v of [...x.input, ...x.output, ...x.valueInfo, ...x.initializer]) names.add(v.name);
    for (const n of x.node) for (const t of [...n.input, ...n.output]) if (t) names.add(t);
  }
  return names;
}

const isFixed = (d: Dim): d is number => typeof d === 'number';
const EXPORT_HINT = "torch.onnx.export(..., input_names=['hist_item', 'hist_cat', 'cand_item', 'cand_cat'], output_names=['score'], dynamic_axes={'hist_item': {0: 'T'}, 'hist_cat': {0: 'T'}, 'cand_item': {0: 'C'}, 'cand_cat': {0: 'C'}, 'score': {0: 'C'}})";

/** Checks `model` against the serving signature for `spec`, rewriting it in place where it can (see the module comment). */
export function conformSignature(model: ModelProto, spec: FeatureContractSpec, o: SignatureOptions = {}): SignatureResult {
  const g = model.graph!;
  const rewrites: string[] = [];
  const features = spec.features ?? [];
  const expected = servingInputNames(features);

  // 0. Names listed twice: onnxruntime refuses ("Duplicate definition-site"), say which.
  for (const [list, what] of [[g.input, 'input'], [g.output, 'output']] as const) {
    const dup = list.find((v, i) => list.findIndex((w) => w.name === v.name) !== i);
    if (dup) throw new SignatureRefusal(dup.name, `is listed twice as a graph ${what}`, `list every graph ${what} once (input_names/output_names in the export, or remove the duplicate ValueInfo)`);
  }

  // 0b. A serving input that also has an initializer (a default value, IR ≥ 4): realInputs hides it.
  const initialized = new Set(g.initializer.map((t) => t.name));
  for (const v of g.input) {
    const name = o.map?.[v.name] ?? v.name;
    if (initialized.has(v.name) && (expected.includes(name) || BEHAVIOUR.includes(name))) {
      throw new SignatureRefusal(v.name, 'is a graph input with an initializer of the same name (a default value): the worker feeds it on every request, so the initializer is never used and the graph\'s declared inputs are ambiguous', `remove the initializer "${v.name}" from the export (keep_initializers_as_inputs=False in torch.onnx.export)`);
    }
  }

  // 1. Renames, all at once: a swap (--map a=b,b=a) is two renames, not a collision.
  const renames = Object.entries(o.map ?? {}).filter(([from, to]) => from !== to);
  {
    const inputNames = realInputs(g).map((i) => i.name);
    const outputNames = g.output.map((x) => x.name);
    for (const [from] of Object.entries(o.map ?? {})) {
      if (!inputNames.includes(from) && !outputNames.includes(from)) {
        throw new SignatureRefusal(from, `--map names it, but the graph has no input or output "${from}" (inputs: ${inputNames.join(', ')}; outputs: ${outputNames.join(', ')})`, 'map one of the graph\'s own input or output names');
      }
    }
    const target = new Map<string, string>();
    for (const [from, to] of renames) {
      const other = target.get(to);
      if (other !== undefined) throw new SignatureRefusal(to, `--map ${other}=${to} and --map ${from}=${to} both rename to "${to}"`, `map each graph tensor to its own name; drop one of the two mappings`);
      target.set(to, from);
    }
    const froms = new Set(renames.map(([from]) => from));
    const names = tensorNames(g);
    for (const [from, to] of renames) {
      if (names.has(to) && !froms.has(to)) {
        const kind = inputNames.includes(to) ? 'an input' : outputNames.includes(to) ? 'an output' : g.initializer.some((t) => t.name === to) ? 'an initializer' : 'an intermediate tensor';
        throw new SignatureRefusal(to, `--map ${from}=${to}: the graph already has ${kind} "${to}"`, `map "${to}" away too (--map ${to}=<other>), or drop this mapping`);
      }
    }
    renames.forEach(([from], i) => renameTensor(g, from, `import.map.${i}`));
    renames.forEach(([from, to], i) => {
      renameTensor(g, `import.map.${i}`, to);
      rewrites.push(`renamed ${from} → ${to}`);
    });
  }

  // 2. Input names. A behaviour input the graph never had (a model without categories: exporters
  // drop inputs no node reads) is added, unread, so the worker's feeds match.
  let inputs = new Map(realInputs(g).map((i) => [i.name, i]));
  let missing = expected.filter((n) => !inputs.has(n));
  const unread = new Set<string>();
  const extra = [...inputs.keys()].filter((n) => !expected.includes(n));
  if (!extra.length && missing.length && missing.every((n) => BEHAVIOUR.includes(n) && !allNodes(g).some((x) => x.input.includes(n)))) {
    for (const n of missing) {
      // Shaped like its counterpart (hist_cat like hist_item, …), so the axis checks see one shape.
      const isHistory = HISTORY.includes(n as never);
      const twin = (isHistory ? HISTORY : CANDIDATES).find((x) => x !== n)!;
      const twinDims = inputs.has(twin) ? tensorType(inputs.get(twin)!).dims : undefined;
      const fallback = isHistory ? 'T' : 'C';
      g.input.push(valueInfo(n, TensorProto_DataType.INT32, twinDims?.map((d, i) => d ?? (i === 0 && twinDims.length === 2 ? 'B' : fallback)) ?? [fallback]));
      rewrites.push(`${n}: added as an input the graph does not read (the worker feeds it)`);
      unread.add(n);
    }
    inputs = new Map(realInputs(g).map((i) => [i.name, i]));
    missing = [];
  }
  if (missing.length || extra.length) {
    const has = [...inputs.keys()].join(', ');
    if (extra.length && missing.length) {
      throw new SignatureRefusal(extra[0], `is not a serving input name; the graph lacks ${missing.map((m) => `"${m}"`).join(', ')} (its inputs: ${has}; serving inputs: ${expected.join(', ')})`, `rename it in the export (input_names=[${expected.map((e) => `'${e}'`).join(', ')}]) or pass --map ${extra[0]}=${missing[0]}`);
    }
    if (extra.length) throw new SignatureRefusal(extra[0], `is an input the worker never feeds (serving inputs: ${expected.join(', ')})`, 'remove it from the export, or declare the feature in the vocabulary (a manifest with features)');
    throw new SignatureRefusal(missing[0], `is missing: the worker feeds ${expected.join(', ')} and the graph takes ${has}`, `add the input to the export (every serving input, even one the model ignores) or --map <graph input>=${missing[0]}`);
  }

  // 3. Behaviour input dtypes and ranks.
  const types = Object.fromEntries(BEHAVIOUR.map((n) => [n, tensorType(inputs.get(n)!)]));
  for (const n of BEHAVIOUR) {
    const t = types[n];
    if (t.dtype !== 'int32' && t.dtype !== 'int64') throw new SignatureRefusal(n, `is ${t.dtype}; the worker feeds int32 indices`, 'export the index inputs as int32 (or int64: the importer adds the cast)');
    if (!t.dims) throw new SignatureRefusal(n, 'has no declared shape', `export with shapes (${EXPORT_HINT})`);
    if (t.dims.length < 1 || t.dims.length > 2) throw new SignatureRefusal(n, `is ${showDims(t.dims)}, rank ${t.dims.length}; serving takes ${HISTORY.includes(n as never) ? '[T]' : '[C]'}`, `export it as ${HISTORY.includes(n as never) ? '[T] (or [B, T] in training shape)' : '[C] (or [B] in training shape)'}`);
  }
  const histRank = types[SERVING_INPUTS.historyItems].dims!.length;
  for (const n of HISTORY) if (types[n].dims!.length !== histRank) throw new SignatureRefusal(n, `is ${showDims(types[n].dims)} but ${SERVING_INPUTS.historyItems} is ${showDims(types[SERVING_INPUTS.historyItems].dims)}`, 'give both history inputs the same shape, [T] (serving) or [B, T] (training)');
  const training = histRank === 2;
  if (training && o.noRewrite) throw new SignatureRefusal(SERVING_INPUTS.historyItems, `is ${showDims(types[SERVING_INPUTS.historyItems].dims)}: the graph is in training shape (batch × history) and --no-rewrite was given`, `export in serving shape: hist_item, hist_cat [T] and cand_item, cand_cat [C], score [C] (${EXPORT_HINT}), or drop --no-rewrite to let the importer Expand the history to [C, T]`);
  if (training && features.length) throw new SignatureRefusal(SERVING_INPUTS.historyItems, `is ${showDims(types[SERVING_INPUTS.historyItems].dims)} (training shape) in a model with feature inputs; the training-shape rewrite covers the four behaviour inputs only`, `export in serving shape (${EXPORT_HINT}, feature inputs [T]/[C]/[1])`);

  // 3b. Feature inputs (a manifest with features): dtype, rank and fixed sizes as the worker's encoder feeds them.
  if (features.length) {
    for (const want of signatureFor(spec, []).inputs.slice(BEHAVIOUR.length)) {
      const t = tensorType(inputs.get(want.name)!);
      const wantShape = `[${want.shape.join(', ')}]`;
      const fix = `export ${want.name} as ${want.dtype} ${wantShape} (the feature's encoder: contract/features.ts)${typeof want.shape[0] === 'string' ? `, e.g. dynamic_axes={'${want.name}': {0: '${want.shape[0]}'}}` : ''}`;
      if (t.dtype !== want.dtype) throw new SignatureRefusal(want.name, `is ${t.dtype}; the worker feeds this feature as ${want.dtype} ${wantShape}`, fix);
      if (!t.dims) continue; // undeclared: the probe feeds it
      if (t.dims.length !== want.shape.length) throw new SignatureRefusal(want.name, `is ${showDims(t.dims)}, rank ${t.dims.length}; the worker feeds ${wantShape}`, fix);
      t.dims.forEach((d, i) => {
        const w = want.shape[i];
        if (isFixed(d) && d !== w) throw new SignatureRefusal(want.name, `is ${showDims(t.dims)}: axis ${i} fixed at ${d} where the worker feeds ${typeof w === 'number' ? w : `${w} (${w === 'T' ? 'history length' : 'candidate count'}, per request)`}`, fix);
      });
    }
  }

  // 4. Outputs.
  const outputNames = g.output.map((x) => x.name);
  if (!outputNames.includes(SERVING_OUTPUTS.scores)) {
    throw new SignatureRefusal(SERVING_OUTPUTS.scores, `is missing: the graph outputs ${outputNames.join(', ')}`, `name the probability output "score" in the export (output_names=['score']) or --map <output>=score`);
  }
  const dropped = g.output.filter((x) => !ALLOWED_OUTPUTS.includes(x.name));
  if (dropped.length) {
    g.output = g.output.filter((x) => ALLOWED_OUTPUTS.includes(x.name));
    rewrites.push(`dropped output${dropped.length > 1 ? 's' : ''} ${dropped.map((x) => x.name).join(', ')} (the worker fetches only ${ALLOWED_OUTPUTS.join(', ')})`);
  }
  const outTypes = new Map(g.output.map((x) => [x.name, tensorType(x)]));
  for (const [name, t] of outTypes) {
    if (t.dtype !== 'float32') throw new SignatureRefusal(name, `is ${t.dtype}; the worker reads float32`, 'cast the output to float32 in the export');
  }

  // 5. Axes. A history axis fixed at maxHistory is padded to (the graph was traced with padded histories).
  const padTo = fixedHistory(model, types, training, spec.maxHistory, o.noRewrite);
  const batch = training ? trainingBatch(types, padTo) : undefined;
  if (!training) checkServingAxes(types, outTypes, padTo);
  else checkTrainingOutputs(outTypes, batch!);

  // 6. Rewrites: int64 casts and the training shape wrap (one pass over the four inputs).
  const candItem = SERVING_INPUTS.candidateItems;
  const prologue: ReturnType<typeof node>[] = [];
  const newInputs = new Map<string, ValueInfoProto>();
  for (const n of BEHAVIOUR) {
    const t = types[n];
    const isHistory = HISTORY.includes(n as never);
    if (unread.has(n)) {
      newInputs.set(n, valueInfo(n, TensorProto_DataType.INT32, [isHistory ? 'T' : 'C']));
      continue;
    }
    const wrap = training && (isHistory || t.dims!.length === 2);
    if (!wrap && t.dtype === 'int32' && !(padTo !== undefined && isHistory)) {
      // A training-shape candidate [B] read as is: declared [C], so a batch axis fixed at 1 takes C candidates.
      if (training && isFixed(t.dims![0])) {
        newInputs.set(n, valueInfo(n, TensorProto_DataType.INT32, ['C']));
        rewrites.push(`${n}: declared [C] (the graph had its batch axis fixed at ${String(t.dims![0])})`);
      }
      continue;
    }
    const inner = `${n}.imported`;
    renameReads(g, n, inner);
    let x = n;
    const step = (suffix: string) => `${n}.${suffix}`;
    if (t.dtype === 'int64') {
      prologue.push(node('Cast', [x], [step('int64')], { to: TensorProto_DataType.INT64 }));
      x = step('int64');
      rewrites.push(`${n}: int32 input, Cast to int64 for the graph`);
    }
    if (padTo !== undefined && isHistory) {
      // [T] → [H]: pads = [0, H - T], padding index 0 on the right, as the graph was traced.
      prologue.push(node('Shape', [SERVING_INPUTS.historyItems], [HISTORY_LENGTH]));
      prologue.push(node('Sub', [int64Initializer(g, 'import.maxHistory', [padTo]), HISTORY_LENGTH], ['import.historyMissing']));
      prologue.push(node('Concat', [int64Initializer(g, 'import.zero', [0]), 'import.historyMissing'], ['import.historyPads'], { axis: 0 }));
      prologue.push(node('Pad', [x, 'import.historyPads'], [step('padded')]));
      x = step('padded');
      rewrites.push(`${n}: serving [T], padded with 0 to the fixed history length ${padTo} the graph was exported with`);
    }
    if (training && isHistory) {
      // [T] → [1, T] → [C, T]: shape = Concat(Shape(cand_item), Shape(hist)).
      prologue.push(axesNode(model, 'Unsqueeze', x, step('row'), [0]));
      prologue.push(node('Shape', [candItem], [`${candItem}.shape`]));
      prologue.push(node('Shape', [x], [step('shape')]));
      prologue.push(node('Concat', [`${candItem}.shape`, step('shape')], [step('expandShape')], { axis: 0 }));
      prologue.push(node('Expand', [step('row'), step('expandShape')], [step('perCandidate')]));
      x = step('perCandidate');
      rewrites.push(`${n}: serving [T], Expanded to the training shape [C, ${padTo ?? 'T'}] (one history row per candidate)`);
    } else if (training && t.dims!.length === 2) {
      prologue.push(axesNode(model, 'Unsqueeze', x, step('column'), [1]));
      x = step('column');
      rewrites.push(`${n}: serving [C], Unsqueezed to the training shape [C, 1]`);
    }
    prologue.push(node('Identity', [x], [inner]));
    newInputs.set(n, valueInfo(n, TensorProto_DataType.INT32, [isHistory ? 'T' : 'C']));
  }
  // Shape(cand_item) appears once even when both history inputs need it.
  const seen = new Set<string>();
  g.node = [...prologue.filter((p) => (seen.has(p.output[0]) ? false : (seen.add(p.output[0]), true))), ...g.node];
  g.input = g.input.map((i) => newInputs.get(i.name) ?? i);

  // 7. Output rewrites: Squeeze a trailing [.., 1], Sigmoid, fix declared shapes.
  const scoreLike = [SERVING_OUTPUTS.scores, ...TASK_OUTPUTS] as string[];
  const epilogue: ReturnType<typeof node>[] = [];
  for (const out of g.output) {
    const t = outTypes.get(out.name)!;
    const squeeze = scoreLike.includes(out.name) && t.dims?.length === 2;
    const sigmoid = o.addSigmoid && scoreLike.includes(out.name);
    if (sigmoid && endsInSigmoid(g, out.name)) throw new SignatureRefusal(out.name, 'already ends in a Sigmoid: --add-sigmoid would squash its probabilities into [0.5, 0.73]', 'drop --add-sigmoid');
    const slice = padTo !== undefined && out.name === SERVING_OUTPUTS.attention;
    if (squeeze || sigmoid || slice) {
      const inner = `${out.name}.imported`;
      renameTensor(g, out.name, inner);
      out.name = inner; // renameTensor renamed the ValueInfo too; restore below
      let x = inner;
      if (squeeze) {
        epilogue.push(axesNode(model, 'Squeeze', x, `${inner}.squeezed`, [1]));
        x = `${inner}.squeezed`;
        rewrites.push(`${out.name.replace('.imported', '')}: Squeezed [C, 1] to [C]`);
      }
      if (slice) {
        // [C, H] → [C, T]: the positions the request has.
        epilogue.push(node('Slice', [x, int64Initializer(g, 'import.zero', [0]), HISTORY_LENGTH, int64Initializer(g, 'import.axes.1', [1])], [`${inner}.sliced`]));
        x = `${inner}.sliced`;
        rewrites.push(`attention: [C, ${padTo}] sliced to the request's [C, T]`);
      }
      if (sigmoid) {
        epilogue.push(node('Sigmoid', [x], [`${inner}.sigmoid`]));
        x = `${inner}.sigmoid`;
        rewrites.push(`${out.name.replace('.imported', '')}: Sigmoid added (--add-sigmoid)`);
      }
      const name = out.name.replace('.imported', '');
      epilogue.push(node('Identity', [x], [name]));
      out.name = name;
    }
  }
  g.node.push(...epilogue);
  if (training || epilogue.length) {
    g.output = g.output.map((x) => valueInfo(x.name, TensorProto_DataType.FLOAT, x.name === SERVING_OUTPUTS.attention ? ['C', 'T'] : ['C']));
    // Stale value infos of the renamed outputs would contradict the new shapes.
    const outs = new Set(g.output.map((x) => x.name));
    g.valueInfo = g.valueInfo.filter((v) => !outs.has(v.name));
  }
  return { rewrites, signature: signatureFor(spec, g.output.map((x) => x.name)), shape: training ? 'training' : 'serving' };
}

const HISTORY_LENGTH = 'import.historyLength';

/** Whether `tensor` is produced by a Sigmoid (through Identity, Reshape, Squeeze or Unsqueeze). */
function endsInSigmoid(g: NonNullable<ModelProto['graph']>, tensor: string): boolean {
  const producer = g.node.find((n) => n.output.includes(tensor));
  if (!producer) return false;
  if (producer.opType === 'Sigmoid') return true;
  return ['Identity', 'Reshape', 'Squeeze', 'Unsqueeze', 'Flatten'].includes(producer.opType) && endsInSigmoid(g, producer.input[0]);
}

/**
 * The fixed history length to pad requests to, when the graph's history axis is fixed (traced
 * without a dynamic T) at the vocabulary's maxHistory; undefined when it is dynamic. Any other
 * fixed length is refused.
 */
function fixedHistory(model: ModelProto, types: Record<string, ReturnType<typeof tensorType>>, training: boolean, maxHistory: number, noRewrite?: boolean): number | undefined {
  const axis = training ? 1 : 0;
  const sizes = HISTORY.map((n) => types[n].dims![axis]);
  if (!sizes.some(isFixed)) return undefined;
  const n = HISTORY[sizes.findIndex(isFixed)];
  const d = types[n].dims!;
  const dynamic = training ? `{0: 'B', 1: 'T'}` : `{0: 'T'}`;
  if (!sizes.every(isFixed) || sizes[0] !== sizes[1]) throw new SignatureRefusal(n, `is ${showDims(d)} but ${HISTORY.find((h) => h !== n)} is ${showDims(types[HISTORY.find((h) => h !== n)!].dims)}: the two history inputs always have the same length`, `export both with dynamic_axes={'${HISTORY[0]}': ${dynamic}, '${HISTORY[1]}': ${dynamic}}`);
  const H = sizes[0] as number;
  const where = `a fixed size where the serving signature has the symbolic axis T (history length, 1 to maxHistory)`;
  if (H !== maxHistory) throw new SignatureRefusal(n, `is ${showDims(d)}: ${where}, and ${H} is not the vocabulary's maxHistory ${maxHistory} (padding requests to it would feed the graph histories it was not traced with)`, `export with dynamic_axes={'${n}': ${dynamic}}, or set "maxHistory": ${H} in vocab.json if the model was trained on ${H} positions`);
  if (noRewrite) throw new SignatureRefusal(n, `is ${showDims(d)}: ${where} (the importer would pad every request to ${H}, but --no-rewrite was given)`, `export with dynamic_axes={'${n}': ${dynamic}}, or drop --no-rewrite`);
  if (defaultOpset(model) < 11) throw new SignatureRefusal(n, `is ${showDims(d)}: ${where}; padding requests to ${H} needs Pad with a pads input, opset 11 or later, and the graph imports opset ${defaultOpset(model)}`, `export with dynamic_axes={'${n}': ${dynamic}}, or with opset_version 17`);
  return H;
}

/** Training shape: every behaviour input's first axis is the batch B (symbolic, or 1). Returns B. */
function trainingBatch(types: Record<string, ReturnType<typeof tensorType>>, padTo?: number): Dim {
  const b = types[SERVING_INPUTS.historyItems].dims![0];
  const T = types[SERVING_INPUTS.historyItems].dims![1];
  for (const n of HISTORY) {
    const d = types[n].dims!;
    if (isFixed(d[1]) && d[1] !== padTo) throw new SignatureRefusal(n, `is ${showDims(d)}: training shape with the history axis fixed at ${d[1]}; the worker sends T = min(history length, maxHistory) positions, 1 to maxHistory`, `export with a dynamic history axis: dynamic_axes={'${n}': {0: 'B', 1: 'T'}}`);
    if (d[1] !== T && d[1] !== null && T !== null) throw new SignatureRefusal(n, `is ${showDims(d)} but ${SERVING_INPUTS.historyItems} is ${showDims(types[SERVING_INPUTS.historyItems].dims)}`, 'give both history inputs the same axes [B, T]');
  }
  for (const n of [...HISTORY, ...CANDIDATES]) {
    const d = types[n].dims!;
    if (isFixed(d[0]) && d[0] !== 1) throw new SignatureRefusal(n, `is ${showDims(d)}: a batch axis fixed at ${d[0]}`, `export with a dynamic batch axis: dynamic_axes={'${n}': {0: 'B'}}`);
    if (d[0] !== b && d[0] !== null && b !== null) throw new SignatureRefusal(n, `is ${showDims(d)}: its first axis differs from ${SERVING_INPUTS.historyItems}'s ${showDims(types[SERVING_INPUTS.historyItems].dims)}; in training shape all four inputs share the batch axis B`, `export ${n} as [B] with the same batch axis name`);
  }
  for (const n of CANDIDATES) {
    const d = types[n].dims!;
    if (d.length === 2 && d[1] !== 1) throw new SignatureRefusal(n, `is ${showDims(d)}: a training-shape candidate input is [B] or [B, 1]`, `export ${n} as [B] (one candidate per row)`);
  }
  return b;
}

function checkTrainingOutputs(outTypes: Map<string, ReturnType<typeof tensorType>>, b: Dim): void {
  for (const [name, t] of outTypes) {
    const d = t.dims;
    if (!d) continue; // undeclared: the probe checks the sizes
    const ok = name === SERVING_OUTPUTS.attention ? d.length === 2 : d.length === 1 || (d.length === 2 && d[1] === 1);
    if (!ok) throw new SignatureRefusal(name, `is ${showDims(d)}; a training-shape graph's ${name} is ${name === SERVING_OUTPUTS.attention ? '[B, T]' : '[B] or [B, 1]'}`, `export ${name} with one ${name === SERVING_OUTPUTS.attention ? 'row of history weights' : 'probability'} per batch row`);
    if (isFixed(d[0]) && d[0] !== 1) throw new SignatureRefusal(name, `is ${showDims(d)}: its batch axis is fixed at ${d[0]}`, `export with dynamic_axes={'${name}': {0: 'B'}}`);
    if (d[0] !== b && d[0] !== null && b !== null && !isFixed(d[0])) throw new SignatureRefusal(name, `is ${showDims(d)}; the inputs' batch axis is ${String(b)}`, `give ${name} the inputs' batch axis`);
  }
}

function checkServingAxes(types: Record<string, ReturnType<typeof tensorType>>, outTypes: Map<string, ReturnType<typeof tensorType>>, padTo?: number): void {
  const axis = (n: string) => types[n].dims![0];
  for (const n of CANDIDATES) {
    if (types[n].dims!.length !== 1) throw new SignatureRefusal(n, `is ${showDims(types[n].dims)} while the history inputs are [T] (serving shape): serving candidates are [C]`, `export ${n} as [C] (dynamic_axes={'${n}': {0: 'C'}})`);
  }
  for (const n of [...HISTORY, ...CANDIDATES]) {
    const d = axis(n);
    const symbol = HISTORY.includes(n as never) ? 'T' : 'C';
    if (isFixed(d) && !(padTo !== undefined && symbol === 'T')) {
      throw new SignatureRefusal(n, `is [${d}]: a fixed size where the serving signature has the symbolic axis ${symbol} (${symbol === 'T' ? 'history length, 1 to maxHistory' : 'candidate count, 1 to the route limit'})`, `export with dynamic_axes={'${n}': {0: '${symbol}'}}`);
    }
  }
  for (const [a, b] of [HISTORY, CANDIDATES]) {
    if (axis(a) !== null && axis(b) !== null && axis(a) !== axis(b)) throw new SignatureRefusal(b, `has axis "${String(axis(b))}" but ${a} has "${String(axis(a))}": the two are always the same length`, `name both axes ${HISTORY.includes(a as never) ? 'T' : 'C'}`);
  }
  const T = axis(SERVING_INPUTS.historyItems);
  const C = axis(SERVING_INPUTS.candidateItems);
  if (T !== null && T === C) throw new SignatureRefusal(SERVING_INPUTS.candidateItems, `shares the axis name "${String(T)}" with ${SERVING_INPUTS.historyItems}: the graph assumes as many candidates as history positions`, "name the history axis T and the candidate axis C (dynamic_axes), so they vary independently");
  for (const [name, t] of outTypes) {
    const d = t.dims;
    if (!d) continue; // undeclared: the probe checks the sizes
    const isAttention = name === SERVING_OUTPUTS.attention;
    const ok = isAttention ? d.length === 2 : d.length === 1 || (d.length === 2 && d[1] === 1);
    if (!ok) throw new SignatureRefusal(name, `is ${showDims(d)}; serving ${name} is ${isAttention ? '[C, T]' : '[C]'}`, `export ${name} as ${isAttention ? '[C, T], one weight per candidate and history position' : '[C], one probability per candidate'}`);
    if (isFixed(d[0])) throw new SignatureRefusal(name, `is ${showDims(d)}: a fixed size where the serving signature has C`, `export with dynamic_axes={'${name}': {0: 'C'}}`);
    // Symbolic names the inputs give T and C: an output on the history axis first is transposed (or per position).
    if (T !== null && d[0] === T) throw new SignatureRefusal(name, `is ${showDims(d)}: its first axis is the history axis "${String(T)}" of ${SERVING_INPUTS.historyItems}; serving ${name} is ${isAttention ? '[C, T], one row per candidate' : '[C], one value per candidate'}`, isAttention ? `transpose it to [C, T] in the export (e.g. attention.transpose(0, 1)) with dynamic_axes={'${name}': {0: 'C', 1: 'T'}}` : `compute one probability per candidate, dynamic_axes={'${name}': {0: 'C'}}`);
    if (isAttention && C !== null && d[1] === C) throw new SignatureRefusal(name, `is ${showDims(d)}: its second axis is the candidate axis "${String(C)}" of ${SERVING_INPUTS.candidateItems}; serving attention is [C, T]`, `transpose it to [C, T] in the export with dynamic_axes={'${name}': {0: 'C', 1: 'T'}}`);
    if (isAttention && isFixed(d[1]) && d[1] !== padTo) throw new SignatureRefusal(name, `is ${showDims(d)}: a fixed size where the serving signature has T`, `export with dynamic_axes={'${name}': {0: 'C', 1: 'T'}}`);
  }
}

/** The manifest's inputs and outputs: the serving signature for the contract's features and the graph's outputs. */
export function signatureFor(spec: FeatureContractSpec, outputs: readonly string[]): Pick<ModelManifest, 'inputs' | 'outputs'> {
  const behaviour = BEHAVIOUR.map((name) => ({ name, dtype: 'int32' as const, shape: [HISTORY.includes(name as never) ? 'T' : 'C'] }));
  const features = (spec.features ?? []).flatMap((f) => {
    const e = new FeatureEncoder(f);
    const width = f.kind === 'multi' ? [e.width] : [];
    const names = inputNamesOf(f);
    const rows = f.group === 'candidate' ? ['T', 'C'] : [1];
    return names.map((name, i) => ({ name, dtype: e.dtype, shape: [rows[i], ...width] as Array<string | number> }));
  });
  const order = [SERVING_OUTPUTS.scores, SERVING_OUTPUTS.attention, ...TASK_OUTPUTS] as string[];
  return {
    inputs: [...behaviour, ...features],
    outputs: order.filter((n) => outputs.includes(n)).map((name) => ({ name, dtype: 'float32' as const, shape: name === SERVING_OUTPUTS.attention ? ['C', 'T'] : ['C'] })),
  };
}
