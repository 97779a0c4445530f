/**
 * `npm run import-model` fed hostile and sloppy inputs (model-export/import): files that are not
 * ONNX, graphs with duplicate names, new IR versions, local functions, external data, --map swaps
 * and collisions, NaN scores only the edge indices reach (empty history, the unknown index, the
 * largest index), a table too short for the vocabulary behind an Identity, vocabularies the worker
 * could not serve, and --out/--name combinations the worker would refuse at load. Each either
 * imports or is refused naming its subject and the fix. (The CLI side: importModelCli.test.ts.)
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttributeProto_AttributeType, AttributeProtoSchema, ModelProtoSchema, NodeProtoSchema, type ModelProto } from 'onnx-buf';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureGraph, fixtureVocab } from '../../model-export/import/fixtureGraphs.js';
import { importModel, type ImportOptions } from '../../model-export/import/importModel.js';
import { edgeRequests } from '../../model-export/import/probe.js';
import { FileRefusal, ImportRefusal, OperatorRefusal, OptionRefusal, ProbabilityRefusal, SignatureRefusal, VocabRefusal } from '../../model-export/import/refusal.js';
import { readVocab } from '../../model-export/import/vocab.js';
import { FeatureContract } from '../../contract/featureContract.js';
import { GraphBuilder } from '../../model-export/onnx/graphBuilder.js';

const vocab = fixtureVocab();
const tmp = mkdtempSync(join(tmpdir(), 'import-hostile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const run = (onnx: Uint8Array, extra: Partial<ImportOptions> = {}) => importModel({ onnx, onnxFile: 'trained.onnx', vocab, name: 'fixture', ...extra });

async function refusal(onnx: Uint8Array, extra: Partial<ImportOptions> = {}): Promise<ImportRefusal> {
  try {
    await run(onnx, extra);
  } catch (e) {
    if (e instanceof ImportRefusal) return e;
    throw e;
  }
  throw new Error('imported, expected a refusal');
}

/** The fixture graph's protobuf, changed by `f`. */
function mutated(f: (m: ModelProto) => void, bytes = fixtureGraph()): Uint8Array {
  const m = fromBinary(ModelProtoSchema, bytes);
  f(m);
  return toBinary(ModelProtoSchema, m);
}

/** One line: subject, name, problem, fix; no stack, no newline. */
function oneLine(e: ImportRefusal): void {
  expect(e.message).not.toContain('\n');
  expect(e.message).toMatch(/^(tensor|operator|file|vocab|graph|option) "[^"]+": .+\. Fix: .+/);
}

describe('files that are not ONNX', () => {
  it.each([
    ['empty', new Uint8Array(), 'has no graph'],
    ['random bytes', Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919 + 13) % 256), 'is not an ONNX model'],
    ['a JSON file (--onnx and --vocab swapped)', new TextEncoder().encode(`\n  ${JSON.stringify(vocab)}`), 'is JSON, not an ONNX model (--onnx and --vocab swapped?)'],
    ['a PyTorch .pt checkpoint (a zip)', Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0]), 'is a zip archive (a PyTorch .pt/.pth checkpoint'],
    ['a pickle (torch.save of a state dict, old format)', Uint8Array.from([0x80, 0x02, 0x8a, 0x0a]), 'is a Python pickle'],
    ['a gzipped export', Uint8Array.from([0x1f, 0x8b, 0x08, 0]), 'is gzip-compressed'],
    ['a truncated export', fixtureGraph().slice(0, 200), 'is not an ONNX model (premature EOF)'],
  ])('%s: refused naming the file', async (_, bytes, problem) => {
    const e = await refusal(bytes);
    expect(e).toBeInstanceOf(FileRefusal);
    expect(e.subjectName).toBe('trained.onnx');
    expect(e.problem).toContain(problem);
    oneLine(e);
  });

  it('an IR version newer than onnxruntime-web loads: the file and the limit, not the runtime\'s internal message', async () => {
    const e = await refusal(mutated((m) => (m.irVersion = 14n)));
    expect(e).toBeInstanceOf(FileRefusal);
    expect(e.problem).toContain('IR version 14');
    expect(e.problem).toContain('up to 13');
    oneLine(e);
  });
});

describe('graph structure', () => {
  it.each([
    ['input', (m: ModelProto) => m.graph!.input.push(m.graph!.input[0]), 'hist_item'],
    ['output', (m: ModelProto) => m.graph!.output.push(m.graph!.output[0]), 'score'],
  ])('a duplicate graph %s is refused naming the tensor (onnxruntime-web only says "Duplicate definition-site"; a duplicate output even loads)', async (what, f, tensor) => {
    const e = await refusal(mutated(f));
    expect(e).toBeInstanceOf(SignatureRefusal);
    expect(e.subjectName).toBe(tensor);
    expect(e.problem).toBe(`is listed twice as a graph ${what}`);
  });

  it('an initializer with external data is refused naming the tensor (subject tensor, not file)', async () => {
    const e = await refusal(mutated((m) => (m.graph!.initializer[0].dataLocation = 1)));
    expect(e.subject).toBe('tensor');
    expect(e.subjectName).toBe('emb.item');
    expect(e.fix).toContain('save_as_external_data=False');
  });

  it('a model-local function is refused naming it and how to inline it (not "custom operators need a custom build")', async () => {
    const bytes = mutated((m) => {
      const sigmoid = m.graph!.node.find((n) => n.opType === 'Sigmoid')!;
      const body = { ...sigmoid, input: ['x'], output: ['y'] };
      sigmoid.opType = 'MySigmoid';
      sigmoid.domain = 'local';
      m.opsetImport.push({ ...m.opsetImport[0], domain: 'local', version: 1n });
      m.functions.push({ ...fromBinary(ModelProtoSchema, new Uint8Array()).functions[0], $typeName: 'onnx.FunctionProto', name: 'MySigmoid', domain: 'local', input: ['x'], output: ['y'], node: [body], opsetImport: [m.opsetImport[0]], attribute: [], attributeProto: [], docString: '', valueInfo: [], overload: '', metadataProps: [] } as never);
    });
    const e = await refusal(bytes);
    expect(e).toBeInstanceOf(OperatorRefusal);
    expect(e.subjectName).toBe('local:MySigmoid');
    expect(e.problem).toContain('model-local function');
    expect(e.fix).toContain('inline_local_functions');
  });

  it.each([
    ['[1, C]', [1, 'C']],
    ['a scalar', []],
  ] as Array<[string, Array<number | string>]>)('a score declared %s is refused naming score', async (_, dims) => {
    const e = await refusal(
      mutated((m) => {
        const t = m.graph!.output.find((o) => o.name === 'score')!.type!.value.value as { shape: { dim: unknown[] } };
        const d = t.shape.dim[0] as { value: unknown };
        t.shape.dim = dims.map((x) => ({ ...d, value: typeof x === 'number' ? { case: 'dimValue', value: BigInt(x) } : { case: 'dimParam', value: x } }));
      }),
    );
    expect(e.subjectName).toBe('score');
    expect(e.fix).toContain('[C]');
  });

  it('history inputs with different symbolic names are refused naming the second', async () => {
    const e = await refusal(fixtureGraph({ shapes: { hist_item: ['T'], hist_cat: ['U'] } }));
    expect(e.subjectName).toBe('hist_cat');
    expect(e.fix).toBe('name both axes T');
  });

  it('a rank-0 input is refused naming it', async () => {
    const e = await refusal(fixtureGraph({ shapes: { cand_item: [] } }));
    expect(e.subjectName).toBe('cand_item');
    expect(e.problem).toContain('rank 0');
  });
});

describe('--map', () => {
  it('a swap (a=b, b=a) is two renames, not a collision', async () => {
    // hist_item ↔ hist_cat: both [T], both index the same kind of table size; the swapped graph loads and scores.
    const onnx = fixtureGraph({ names: { hist_item: 'hist_cat', hist_cat: 'hist_item' } });
    const { rewrites } = await run(onnx, { map: { hist_item: 'hist_cat', hist_cat: 'hist_item' } });
    expect(rewrites).toEqual(['renamed hist_item → hist_cat', 'renamed hist_cat → hist_item']);
  });

  it('a chain (a=b, b=c) renames both', async () => {
    const onnx = fixtureGraph({ names: { cand_item: 'target', cand_cat: 'cand_item' } });
    const { rewrites } = await run(onnx, { map: { target: 'cand_item', cand_item: 'cand_cat' } });
    expect(rewrites).toContain('renamed target → cand_item');
  });

  it('two names mapped to one is refused naming the target and both mappings', async () => {
    const e = await refusal(fixtureGraph({ names: { hist_item: 'a', cand_item: 'b' } }), { map: { a: 'hist_item', b: 'hist_item' } });
    expect(e.subjectName).toBe('hist_item');
    expect(e.problem).toBe('--map a=hist_item and --map b=hist_item both rename to "hist_item"');
  });

  it('a name an initializer (or an intermediate tensor) already has is refused, not merged into it', async () => {
    const e = await refusal(fixtureGraph({ names: { score: 'prob' } }), { map: { prob: 'emb.item' } });
    expect(e.subjectName).toBe('emb.item');
    expect(e.problem).toContain('already has an initializer "emb.item"');
    const onnx = fixtureGraph({ names: { score: 'prob' } });
    const sigmoid = fromBinary(ModelProtoSchema, onnx).graph!.node.find((n) => n.opType === 'Sigmoid')!.output[0];
    const f = await refusal(onnx, { map: { prob: sigmoid } });
    expect(f.subjectName).toBe(sigmoid);
    expect(f.problem).toBe(`--map prob=${sigmoid}: the graph already has an intermediate tensor "${sigmoid}"`);
  });
});

/** A serving-shape graph: Sigmoid(Σ_d item_table[cand_item] + term), `term` 0 except where it is broken. */
function brokenGraph(kind: 'emptyHistory' | 'unknown' | 'shortTable'): Uint8Array {
  const b = new GraphBuilder('broken');
  const hi = b.input('hist_item', 'int32', ['T']);
  b.input('hist_cat', 'int32', ['T']);
  const ci = b.input('cand_item', 'int32', ['C']);
  b.input('cand_cat', 'int32', ['C']);
  const rows = vocab.items.length + (kind === 'shortTable' ? 1 : 2);
  let table = b.float32('emb', Float32Array.from({ length: rows * 2 }, (_, i) => Math.sin(i) * 0.3), [rows, 2]);
  if (kind === 'shortTable') table = b.op('Identity', [table]); // not an initializer: the static check cannot see it
  let logit = b.op('ReduceSum', [b.op('Gather', [table, ci]), b.int64('axis1', [1])], { keepdims: 0 });
  const one = b.op('Cast', [b.float('one', [1], [])], { to: 6 });
  if (kind === 'emptyHistory') {
    // a masked mean's count: count / count - 1 is 0, or NaN when the history is padding only
    const count = b.op('ReduceSum', [b.op('Cast', [b.op('Greater', [hi, b.op('Sub', [one, one])])], { to: 1 })], { keepdims: 1 });
    logit = b.op('Add', [logit, b.op('Sub', [b.op('Div', [count, count]), b.float('onef', [1], [])])]);
  }
  if (kind === 'unknown') logit = b.op('Add', [logit, b.op('Mul', [b.op('Log', [b.op('Cast', [b.op('Sub', [ci, one])], { to: 1 })]), b.float('zero', [0], [])])]); // log(0) · 0 = NaN at index 1
  b.output(b.op('Sigmoid', [logit]), 'score', 'float32', ['C']);
  return b.toBytes('broken');
}

describe('values only the edges reach', () => {
  it('the probe always sends padding-only histories, the unknown index, the first and the largest item index', async () => {
    const contract = new FeatureContract(readVocab(vocab).spec);
    const requests = edgeRequests(contract);
    expect(requests.some((r) => r.history.length === 0)).toBe(true);
    const candidates = requests.flatMap((r) => r.candidates);
    expect(candidates).toContain(vocab.items[0]);
    expect(candidates).toContain(vocab.items.at(-1));
    expect(candidates.some((c) => !vocab.items.includes(c as string))).toBe(true);
  });

  it('a score that is NaN for an empty history is refused as NaN, saying where (not "add a Sigmoid")', async () => {
    const e = await refusal(brokenGraph('emptyHistory'));
    expect(e).toBeInstanceOf(ProbabilityRefusal);
    expect(e.subjectName).toBe('score');
    expect(e.problem).toContain('is NaN');
    expect(e.problem).toContain('history padding only');
    expect(e.fix).not.toContain('--add-sigmoid');
    expect(e.fix).toContain('max(count, 1)');
  });

  it('a score that is NaN for the unknown index 1 is refused naming the candidate index', async () => {
    const e = await refusal(brokenGraph('unknown'));
    expect(e.problem).toContain('cand_item 1 (the unknown index)');
  });

  it('a table one row short behind an Identity (the static check cannot see it) is refused naming the Gather and the vocabulary', async () => {
    const e = await refusal(brokenGraph('shortTable'));
    expect(e).toBeInstanceOf(OperatorRefusal);
    expect(e.subjectName).toBe('Gather');
    expect(e.problem).toContain(`reads index ${vocab.items.length + 1} of a ${vocab.items.length + 1}-row table`);
    expect(e.fix).toContain('vocabulary the model was trained with');
    oneLine(e);
  });

  it('the same graph with a full table imports', async () => {
    const g = new GraphBuilder('ok');
    g.input('hist_item', 'int32', ['T']);
    g.input('hist_cat', 'int32', ['T']);
    const ci = g.input('cand_item', 'int32', ['C']);
    g.input('cand_cat', 'int32', ['C']);
    const rows = vocab.items.length + 2;
    const t = g.op('Identity', [g.float32('emb', Float32Array.from({ length: rows * 2 }, (_, i) => Math.sin(i) * 0.3), [rows, 2])]);
    g.output(g.op('Sigmoid', [g.op('ReduceSum', [g.op('Gather', [t, ci]), g.int64('axis1', [1])], { keepdims: 0 })]), 'score', 'float32', ['C']);
    const { notes } = await run(g.toBytes('ok'));
    expect(notes.join('\n')).toContain('no embedding table found for hist_item/cand_item');
  });
});

/**
 * score = If(Σ history > 0, Sigmoid(logit), Sigmoid(-logit)), both branches reading the outer
 * graph's inputs and item table by name; int64 inputs (the importer's Cast must reach the branches).
 */
function ifGraph(shape: 'serving' | 'training', rows = vocab.items.length + 2): Uint8Array {
  const b = new GraphBuilder('control-flow');
  const tr = shape === 'training';
  const hi = b.input('hist_item', 'int64', tr ? ['B', 'T'] : ['T']);
  b.input('hist_cat', 'int64', tr ? ['B', 'T'] : ['T']);
  const ci = b.input('cand_item', 'int64', tr ? ['B'] : ['C']);
  b.input('cand_cat', 'int64', tr ? ['B'] : ['C']);
  const table = b.float32('emb', Float32Array.from({ length: rows * 2 }, (_, i) => Math.sin(i) * 0.3), [rows, 2]);
  const branch = (sign: number) => {
    const s = b.subgraph(`branch${sign}`);
    const cand = s.op('Gather', [table, ci]);
    const hist = s.op('ReduceMean', [s.op('Gather', [table, hi])], { axes: [tr ? 1 : 0], keepdims: tr ? 0 : 1 });
    const logit = s.op('ReduceSum', [s.op('Mul', [cand, hist]), s.int64('axis1', [1])], { keepdims: 0 });
    s.output(s.op('Sigmoid', [s.op('Mul', [logit, s.float(`sign${sign}`, [sign], [])])]), `out${sign > 0 ? 'p' : 'n'}`, 'float32', [tr ? 'B' : 'C']);
    return s;
  };
  const cond = b.op('Greater', [b.op('ReduceSum', [b.op('Cast', [hi], { to: 1 })], { keepdims: 0 }), b.float('zero', [0], [])]);
  b.output(b.op('If', [cond], { then_branch: { graph: branch(1) }, else_branch: { graph: branch(-1) } }), 'score', 'float32', [tr ? 'B' : 'C']);
  return b.toBytes('control-flow');
}

describe('control flow (If) with outer-scope reads', () => {
  it.each(['serving', 'training'] as const)('a %s-shape graph with int64 inputs read inside If branches imports (the Cast and the Expand reach the branches)', async (shape) => {
    const { rewrites, notes, probe } = await run(ifGraph(shape));
    expect(rewrites).toContain('cand_item: int32 input, Cast to int64 for the graph');
    expect(probe.min).toBeGreaterThan(0);
    expect(notes).toEqual(['hist_cat/cand_cat are not read by the graph (the model ignores categories)']);
  });

  it('an initializer with external data inside an If branch is refused naming it', async () => {
    const e = await refusal(mutated((m) => {
      const branch = m.graph!.node.find((n) => n.opType === 'If')!.attribute.find((a) => a.name === 'then_branch')!.g!;
      branch.initializer[0].dataLocation = 1;
    }, ifGraph('serving')));
    expect(e.subject).toBe('tensor');
    expect(e.problem).toContain('external file');
  });

  it('an item table too short for the vocabulary, read inside an If branch, is refused statically naming the table', async () => {
    const e = await refusal(ifGraph('serving', 20));
    expect(e).toBeInstanceOf(VocabRefusal);
    expect(e.problem).toContain('"emb" has 20 rows');
  });
});

describe('vocabularies the worker could not serve', () => {
  it('maxHistory beyond the 1000 behaviours a request carries is refused naming the field', async () => {
    const e = await refusal(fixtureGraph(), { vocab: { ...vocab, maxHistory: 1_000_000 } });
    expect(e).toBeInstanceOf(VocabRefusal);
    expect(e.subjectName).toBe('maxHistory');
    expect(e.fix).toContain('at most 1000');
  });

  it('ids so long that manifest.json would exceed the asset limit are refused naming items', async () => {
    const e = await refusal(fixtureGraph(), { vocab: { ...vocab, items: vocab.items.map((s, i) => (i === 0 ? 'x'.repeat(60_000) : s)) }, assetLimitBytes: 50_000 });
    expect(e).toBeInstanceOf(VocabRefusal);
    expect(e.subjectName).toBe('items');
    expect(e.problem).toContain('makes manifest.json');
    expect(e.problem).toContain('the longest 60000 characters');
  });

  it('a repo manifest with item rows outside the graph is refused naming itemRows', async () => {
    const manifest = JSON.parse(readFileSync(new URL('../../models/din-movielens/manifest.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const e = await refusal(fixtureGraph(), { vocab: { ...manifest, itemRows: { directory: 'rows', dim: 4, shards: 1, padRow: 0, oovRow: 1 } } });
    expect(e).toBeInstanceOf(VocabRefusal);
    expect(e.subjectName).toMatch(/^itemRows/);
  });
});

describe('--out and --name', () => {
  it('--name that differs from the --out directory is refused (the worker would refuse the manifest at load)', async () => {
    const e = await refusal(fixtureGraph(), { out: join(tmp, 'din-a'), name: 'din-b' });
    expect(e).toBeInstanceOf(OptionRefusal);
    expect(e.subjectName).toBe('--name');
    expect(e.fix).toContain('drop --name');
  });

  it('an --out directory named in uppercase: the fix renames the directory', async () => {
    const e = await refusal(fixtureGraph(), { out: join(tmp, 'DIN'), name: 'DIN' });
    expect(e.fix).toBe(`pass --out ${join(tmp, 'din')} (the model name is the --out directory's name)`);
  });

  it('an --out that already holds a model is refused unless force; with force it is replaced', async () => {
    const out = join(tmp, 'existing');
    mkdirSync(out);
    writeFileSync(join(out, 'manifest.json'), '{}');
    const e = await refusal(fixtureGraph(), { out, name: 'existing' });
    expect(e.subjectName).toBe('--out');
    expect(e.problem).toContain('already holds a model (manifest.json)');
    expect(e.fix).toContain('--force');
    const { manifest } = await run(fixtureGraph(), { out, name: 'existing', force: true });
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).onnx.sha256).toBe(manifest.onnx.sha256);
  });

  it('an --out that is a file is refused', async () => {
    const out = join(tmp, 'afile');
    writeFileSync(out, 'x');
    const e = await refusal(fixtureGraph(), { out, name: 'afile' });
    expect(e.problem).toContain('is a file');
  });
});

describe('hashed item ids (a format-3 manifest as --vocab)', () => {
  const manifest = JSON.parse(readFileSync(new URL('../../models/din-movielens/manifest.json', import.meta.url), 'utf8')) as { featureContract: Record<string, unknown> };
  const hashed = { ...manifest, featureContract: { ...manifest.featureContract, formatVersion: 3, items: [], itemCategories: [], itemIds: { kind: 'hashed', scheme: 'quotient-remainder', buckets: 1000, remainder: 32 } } };
  const graphVocab = { ...vocab, categories: manifest.featureContract.categories as string[] };

  it('a plain item table of buckets + 2 rows imports', async () => {
    const { probe } = await run(fixtureGraph({ vocab: graphVocab, itemRows: 1002 }), { vocab: hashed });
    expect(probe.min).toBeGreaterThan(0);
  });

  it('a plain item table smaller than the buckets is refused naming itemIds.buckets and the table (not "0 items")', async () => {
    const e = await refusal(fixtureGraph({ vocab: graphVocab, itemRows: 32 }), { vocab: hashed });
    expect(e).toBeInstanceOf(VocabRefusal);
    expect(e.subjectName).toBe('itemIds.buckets');
    expect(e.problem).toContain('1000 hashed buckets');
    expect(e.problem).toContain('"emb.item" has 32 rows');
    expect(e.fix).toContain('buckets + padding + unknown');
  });
});

describe('a transposed attention', () => {
  /** The fixture's attention [C, T] transposed to [T, C]: the same number of values, read wrongly as [C, T]. */
  const transposed = (declared: 'T, C' | 'undeclared') =>
    mutated((m) => {
      const g = m.graph!;
      const identity = g.node.find((n) => n.output[0] === 'attention')!;
      g.node.push(create(NodeProtoSchema, { opType: 'Transpose', input: [identity.input[0]], output: ['attention.t'], name: 'transpose_attention', attribute: [create(AttributeProtoSchema, { name: 'perm', type: AttributeProto_AttributeType.INTS, ints: [1n, 0n] })] }));
      identity.input[0] = 'attention.t';
      const t = g.output.find((x) => x.name === 'attention')!.type!.value.value as { shape?: { dim: unknown[] } };
      if (declared === 'undeclared') t.shape = undefined;
      else t.shape!.dim = [t.shape!.dim[1], t.shape!.dim[0]];
    }, fixtureGraph({ attention: true }));

  it('declared [T, C] (the inputs\' axis names) is refused naming attention, with the transpose fix', async () => {
    const e = await refusal(transposed('T, C'));
    expect(e.subjectName).toBe('attention');
    expect(e.problem).toContain('is [T, C]: its first axis is the history axis "T"');
    expect(e.fix).toContain('transpose it to [C, T]');
  });

  it('undeclared, it is caught by the probe from the runtime dims (the value count alone matched)', async () => {
    const e = await refusal(transposed('undeclared'));
    expect(e.subjectName).toBe('attention');
    expect(e.problem).toMatch(/^is \[(\d+), (\d+)\] for a request with C = \2 candidates and T = \1 history positions/);
    expect(e.fix).toContain('transpose');
  });
});

describe('candidates scored together', () => {
  it('a softmax across candidates (a probability on every probe, but one candidate depends on the others) is refused naming score', async () => {
    const e = await refusal(fixtureGraph({ extraOp: { opType: 'Softmax' } }));
    expect(e.subjectName).toBe('score');
    expect(e.problem).toMatch(/^of candidate 0 is [\d.]+ scored with 6 other candidates and [\d.]+ scored alone/);
    expect(e.fix).toContain('not candidates');
    oneLine(e);
  });
});

describe('sizes baked in at trace time', () => {
  it('a score cut to the first 100 candidates (a trace-time constant) is refused at the largest request, C = 1000', async () => {
    const bytes = mutated((m) => {
      const g = m.graph!;
      const sigmoid = g.node.find((n) => n.opType === 'Sigmoid')!;
      const int64 = (name: string, v: bigint) => ({ ...g.initializer.find((t) => t.name === 'axis1')!, name, rawData: new Uint8Array(BigInt64Array.of(v).buffer), dims: [1n] });
      g.initializer.push(int64('cut.start', 0n), int64('cut.end', 100n));
      g.node.push(create(NodeProtoSchema, { opType: 'Slice', input: [sigmoid.output[0], 'cut.start', 'cut.end'], output: ['cut'], name: 'cut' }));
      g.node.find((n) => n.output[0] === 'score')!.input[0] = 'cut';
    });
    const e = await refusal(bytes);
    expect(e.subjectName).toBe('score');
    expect(e.problem).toMatch(/^has 100 values for a request with C = 1000, T = 8; expected 1000/);
  });
});

describe('feature inputs (a repo manifest with features as --vocab)', () => {
  const onnx = new Uint8Array(readFileSync(new URL('../../models/din-movielens-features/model.onnx', import.meta.url)));
  const manifest = JSON.parse(readFileSync(new URL('../../models/din-movielens-features/manifest.json', import.meta.url), 'utf8')) as unknown;
  type InputType = { elemType: number; shape: { dim: unknown[] } };
  const withInput = (name: string, f: (t: InputType) => void) =>
    mutated((m) => f(m.graph!.input.find((x) => x.name === name)!.type!.value.value as never), onnx);
  const fixed = (n: number) => ({ value: { case: 'dimValue', value: BigInt(n) } });

  it.each([
    ['a candidate feature fixed at 5 candidates', 'cand_year', (t: InputType) => (t.shape.dim[0] = { ...(t.shape.dim[0] as object), ...fixed(5) }), 'axis 0 fixed at 5 where the worker feeds C'],
    ['a multi-hot width other than the encoder\'s', 'hist_genres', (t: InputType) => (t.shape.dim[1] = { ...(t.shape.dim[1] as object), ...fixed(8) }), 'axis 1 fixed at 8 where the worker feeds 10'],
    ['a dense feature as int32', 'hist_year', (t: InputType) => (t.elemType = 6), 'is int32; the worker feeds this feature as float32 [T]'],
  ] as Array<[string, string, (t: InputType) => void, string]>)('%s is refused naming the input (was a run error at best)', async (_, name, f, problem) => {
    const e = await refusal(withInput(name, f), { vocab: manifest });
    expect(e).toBeInstanceOf(SignatureRefusal);
    expect(e.subjectName).toBe(name);
    expect(e.problem).toContain(problem);
    expect(e.fix).toContain('contract/features.ts');
  });
});

describe('training shape exported without dynamic axes (batch fixed at 1)', () => {
  it.each(['int32', 'int64'] as const)('%s inputs [1, T] / [1], score [1]: imported, the candidate inputs declared [C] (int32 was refused by the runtime on C > 1)', async (indexType) => {
    const onnx = mutated(
      (m) => {
        const t = m.graph!.output[0].type!.value.value as { shape: { dim: Array<{ value: unknown }> } };
        t.shape.dim[0] = { ...t.shape.dim[0], value: { case: 'dimValue', value: 1n } };
      },
      fixtureGraph({ shape: 'training', indexType, shapes: { hist_item: [1, 'T'], hist_cat: [1, 'T'], cand_item: [1], cand_cat: [1] } }),
    );
    const { manifest, probe } = await run(onnx);
    expect(manifest.inputs.find((i) => i.name === 'cand_item')!.shape).toEqual(['C']);
    expect(probe.min).toBeGreaterThan(0);
  });
});

describe('broken graphs onnxruntime-web refuses: named from its message', () => {
  it('a tensor no one defines (an initializer dropped) is refused naming it', async () => {
    const e = await refusal(mutated((m) => (m.graph!.initializer = m.graph!.initializer.filter((t) => t.name !== 'bias'))));
    expect(e.subject).toBe('tensor');
    expect(e.subjectName).toBe('bias');
    oneLine(e);
  });

  it('a tensor defined twice is refused naming it', async () => {
    const e = await refusal(mutated((m) => m.graph!.node.push({ ...m.graph!.node.find((n) => n.opType === 'Sigmoid')!, name: 'again' })));
    expect(e.subject).toBe('tensor');
    expect(e.problem).toContain('is defined twice');
  });

  it('an initializer whose bytes do not fill its shape (a truncated copy) is refused naming it', async () => {
    const e = await refusal(mutated((m) => {
      const t = m.graph!.initializer.find((x) => x.name === 'emb.item')!;
      t.rawData = t.rawData.slice(0, 16);
    }));
    expect(e.subjectName).toBe('emb.item');
    expect(e.problem).toMatch(/^holds 16 bytes where its shape and type need \d+/);
  });

  it('a cycle is refused as such', async () => {
    const e = await refusal(mutated((m) => {
      const sigmoid = m.graph!.node.find((n) => n.opType === 'Sigmoid')!;
      m.graph!.node.find((n) => n.output[0] === sigmoid.input[0])!.input[1] = sigmoid.output[0];
    }));
    expect(e.problem).toContain('has a cycle');
  });
});

describe('--add-sigmoid on a probability', () => {
  it('a score that already is a probability (Sigmoid hidden behind a Mul by 1) is refused: every value in Sigmoid([0, 1])', async () => {
    const onnx = mutated((m) => {
      const g = m.graph!;
      const sigmoid = g.node.find((n) => n.opType === 'Sigmoid')!;
      g.initializer.push({ ...g.initializer.find((t) => t.name === 'bias')!, name: 'one', rawData: new Uint8Array(Float32Array.of(1).buffer), floatData: [] });
      g.node.push(create(NodeProtoSchema, { opType: 'Mul', input: [sigmoid.output[0], 'one'], output: ['hidden'], name: 'hide' }));
      g.node.find((n) => n.output[0] === 'score')!.input[0] = 'hidden';
    });
    const e = await refusal(onnx, { addSigmoid: true });
    expect(e.subjectName).toBe('--add-sigmoid');
    expect(e.fix).toBe('drop --add-sigmoid');
    await expect(run(fixtureGraph({ logit: true }), { addSigmoid: true })).resolves.toBeDefined();
  });
});

describe('a large vocabulary', () => {
  it('300,000 items import (no spread of the vocabulary into Math.max: the call stack overflowed)', async () => {
    const big = fixtureVocab(300_000, 4, 50);
    const { manifest } = await run(fixtureGraph({ vocab: big }), { vocab: big });
    expect(manifest.featureContract.items).toHaveLength(300_000);
  });
});

describe('many categories', () => {
  it('200,000 categories are read in linear time (the duplicate check was quadratic: 18 s)', () => {
    const v = fixtureVocab(200_000, 200_000, 50);
    const t0 = performance.now();
    expect(readVocab(v).spec.categories).toHaveLength(200_000);
    expect(performance.now() - t0).toBeLessThan(3_000);
  });

  it('a repeated category names both positions', () => {
    expect(() => readVocab({ ...vocab, categories: ['a', 'b', 'a', 'c'] })).toThrow('vocab "categories[2]": repeats "a" of categories[0]');
  });
});

describe('--out at a models root', () => {
  it('a directory holding model directories (--out models) is refused, not filled with a stray model.onnx', async () => {
    const root = join(tmp, 'models');
    mkdirSync(join(root, 'din-a'), { recursive: true });
    writeFileSync(join(root, 'din-a', 'manifest.json'), '{}');
    const e = await refusal(fixtureGraph(), { out: root, name: 'models' });
    expect(e.subjectName).toBe('--out');
    expect(e.problem).toContain('holds model directories (din-a)');
    expect(e.fix).toBe(`pass --out ${join(root, '<name>')}`);
  });
});

describe('a serving input with a default value', () => {
  it('hist_item also an initializer (keep_initializers_as_inputs) is refused naming it (was "hist_item is missing")', async () => {
    const e = await refusal(mutated((m) => {
      const g = m.graph!;
      g.initializer.push({ ...g.initializer.find((t) => t.name === 'axis1')!, name: 'hist_item', dataType: 6, rawData: new Uint8Array(Int32Array.of(2).buffer), dims: [1n] });
    }));
    expect(e.subjectName).toBe('hist_item');
    expect(e.problem).toContain('is a graph input with an initializer of the same name');
    expect(e.fix).toContain('keep_initializers_as_inputs=False');
  });
});
