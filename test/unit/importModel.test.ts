/**
 * `npm run import-model` refusals that come before any runtime runs the graph (model-export/import):
 * the vocabulary file, the serving signature (input names, dtypes, axes, outputs), operators the
 * serving path does not carry, and the Workers asset limit. Each refusal names its tensor,
 * operator, file or field, and carries a fix. (Runtime checks and the round trip: test/parity/importModel.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { fixtureGraph, fixtureVocab, type FixtureOptions } from '../../model-export/import/fixtureGraphs.js';
import { importModel } from '../../model-export/import/importModel.js';
import { WORKERS_ASSET_LIMIT_BYTES } from '../../model-export/import/limits.js';
import { FileRefusal, ImportRefusal, OperatorRefusal, SignatureRefusal, VocabRefusal } from '../../model-export/import/refusal.js';
import { readVocab, VOCAB_FORMAT } from '../../model-export/import/vocab.js';

const vocab = fixtureVocab();

async function refusal(options: FixtureOptions, extra: Partial<Parameters<typeof importModel>[0]> = {}): Promise<ImportRefusal> {
  try {
    await importModel({ onnx: fixtureGraph(options), onnxFile: 'trained.onnx', vocab, name: 'fixture', ...extra });
  } catch (e) {
    if (e instanceof ImportRefusal) return e;
    throw e;
  }
  throw new Error('imported, expected a refusal');
}

describe('vocabulary file', () => {
  it('reads the vocab format into a feature contract (items[i] → index i + 2)', () => {
    const { spec, from } = readVocab(vocab);
    expect(from).toBe('vocab');
    expect(spec).toMatchObject({ formatVersion: 2, maxHistory: 8, padIndex: 0, oovIndex: 1, padding: 'right', truncation: 'keep-most-recent' });
    expect(spec.items).toHaveLength(30);
  });

  it('accepts integer ids as their decimal strings', () => {
    expect(readVocab({ ...vocab, items: vocab.items.map((_, i) => 1000 + i) }).spec.items[0]).toBe('1000');
  });

  it.each([
    ['format', { format: 'vocab/0' }, 'format'],
    ['maxHistory', { maxHistory: 0 }, 'maxHistory'],
    ['a duplicate id (the integer and the string are one id)', { items: ['7', ...vocab.items.slice(1, 5), 7] }, 'items[5]'],
    ['an empty id', { items: ['', ...vocab.items.slice(1)] }, 'items[0]'],
    ['a duplicate category', { categories: ['a', 'b', 'a', 'c'] }, 'categories[2]'],
    ['itemCategories of another length', { itemCategories: [2, 3] }, 'itemCategories'],
    ['a 0-based category index', { itemCategories: vocab.itemCategories.map((c, i) => (i === 3 ? 0 : c)) }, 'itemCategories[3]'],
    ['a category index past the categories', { itemCategories: vocab.itemCategories.map((c, i) => (i === 4 ? 6 : c)) }, 'itemCategories[4]'],
    ['no vocabularyRule', { vocabularyRule: undefined }, 'vocabularyRule'],
  ])('refuses %s, naming the field', (_, change, field) => {
    const bad = { ...vocab, ...change };
    expect(() => readVocab(bad)).toThrow(VocabRefusal);
    try {
      readVocab(bad);
    } catch (e) {
      expect((e as VocabRefusal).field).toBe(field);
      expect((e as VocabRefusal).fix.length).toBeGreaterThan(10);
    }
  });

  it('knows its format name', () => {
    expect(vocab.format).toBe(VOCAB_FORMAT);
  });
});

describe('serving signature', () => {
  it('refuses a wrong input name, naming the input and the --map fix', async () => {
    const e = await refusal({ names: { hist_item: 'hist_item_ids' } });
    expect(e).toBeInstanceOf(SignatureRefusal);
    expect((e as SignatureRefusal).tensor).toBe('hist_item_ids');
    expect(e.problem).toContain('"hist_item"');
    expect(e.fix).toContain('--map hist_item_ids=hist_item');
  });

  it('refuses a missing input that some node reads under another name (an extra input is there)', async () => {
    const e = await refusal({ names: { hist_cat: 'hist_category' } });
    expect((e as SignatureRefusal).tensor).toBe('hist_category');
    expect(e.fix).toContain('--map hist_category=hist_cat');
  });

  it('refuses a missing score output, listing the outputs', async () => {
    const e = await refusal({ names: { score: 'prob' } });
    expect((e as SignatureRefusal).tensor).toBe('score');
    expect(e.problem).toContain('prob');
    expect(e.fix).toContain('--map');
  });

  it('refuses a --map of a name the graph does not have', async () => {
    const e = await refusal({}, { map: { item_ids: 'hist_item' } });
    expect((e as SignatureRefusal).tensor).toBe('item_ids');
  });

  it('refuses a history axis fixed at a length other than maxHistory, with the dynamic_axes fix', async () => {
    const e = await refusal({ shapes: { hist_item: [6], hist_cat: [6] } });
    expect((e as SignatureRefusal).tensor).toBe('hist_item');
    expect(e.problem).toContain('fixed size');
    expect(e.problem).toContain("not the vocabulary's maxHistory 8");
    expect(e.fix).toContain("dynamic_axes={'hist_item': {0: 'T'}}");
    expect(e.fix).toContain('"maxHistory": 6');
  });

  it('refuses history inputs fixed at different lengths', async () => {
    const e = await refusal({ shapes: { hist_item: [8], hist_cat: ['T'] } });
    expect((e as SignatureRefusal).tensor).toBe('hist_item');
    expect(e.problem).toContain('the two history inputs always have the same length');
  });

  it('refuses a history axis fixed at maxHistory under --no-rewrite (else it is padded: test/parity)', async () => {
    const e = await refusal({ shapes: { hist_item: [8], hist_cat: [8] } }, { noRewrite: true });
    expect((e as SignatureRefusal).tensor).toBe('hist_item');
    expect(e.problem).toContain('--no-rewrite');
  });

  it('refuses a fixed candidate axis', async () => {
    const e = await refusal({ shapes: { cand_item: [16], cand_cat: [16] } });
    expect((e as SignatureRefusal).tensor).toBe('cand_item');
  });

  it('refuses a rank-2 candidate input next to [T] history inputs (not the training shape)', async () => {
    const e = await refusal({ shapes: { cand_item: ['C', 4] } });
    expect((e as SignatureRefusal).tensor).toBe('cand_item');
    expect(e.fix).toContain('[C]');
  });

  it('refuses history and candidates sharing one axis name', async () => {
    const e = await refusal({ shapes: { hist_item: ['N'], hist_cat: ['N'], cand_item: ['N'], cand_cat: ['N'] } });
    expect((e as SignatureRefusal).tensor).toBe('cand_item');
    expect(e.problem).toContain('as many candidates as history positions');
  });

  it('refuses a training-shape graph whose history axis is fixed at another length than maxHistory, with the dynamic_axes fix', async () => {
    const e = await refusal({ shape: 'training', shapes: { hist_item: ['B', 5], hist_cat: ['B', 5] } });
    expect((e as SignatureRefusal).tensor).toBe('hist_item');
    expect(e.fix).toContain("{0: 'B', 1: 'T'}");
  });

  it('refuses a training-shape graph under --no-rewrite, saying what to change', async () => {
    const e = await refusal({ shape: 'training' }, { noRewrite: true });
    expect((e as SignatureRefusal).tensor).toBe('hist_item');
    expect(e.fix).toContain('export in serving shape');
  });

  it('refuses float index inputs (int64 is rewritten with a Cast instead: test/parity)', async () => {
    const e = await refusal({ indexType: 'float32' });
    expect((e as SignatureRefusal).tensor).toBe('hist_item');
    expect(e.problem).toContain('float32');
    expect(e.fix).toContain('int32');
  });
});

describe('operators', () => {
  it('refuses an operator of a custom domain, naming domain and operator', async () => {
    const e = await refusal({ extraOp: { opType: 'FancyAttention', domain: 'com.example' } });
    expect(e).toBeInstanceOf(OperatorRefusal);
    expect((e as OperatorRefusal).operator).toBe('com.example:FancyAttention');
    expect(e.fix).toContain('standard ONNX operators');
  });

  it('refuses a random operator (a golden replay could never match)', async () => {
    const e = await refusal({ extraOp: { opType: 'RandomUniformLike' } });
    expect((e as OperatorRefusal).operator).toBe('RandomUniformLike');
    expect(e.fix).toContain('eval');
  });

  it('refuses an ai.onnx operator the wasm build has no kernel for (ImageDecoder)', async () => {
    const e = await refusal({ extraOp: { opType: 'ImageDecoder' } });
    expect((e as OperatorRefusal).operator).toBe('ImageDecoder');
  });
});

describe('options', () => {
  it('refuses a --name the manifest cannot carry, suggesting one', async () => {
    const e = await refusal({}, { name: 'DIN PyTorch' });
    expect(e.subject).toBe('option');
    expect(e.subjectName).toBe('--name');
    expect(e.fix).toBe('pass --name din-pytorch');
  });
});

describe('size', () => {
  it(`refuses a file over the ${WORKERS_ASSET_LIMIT_BYTES / 1024 / 1024} MiB asset limit, naming the largest tensor and the fix`, async () => {
    const e = await refusal({ padFloats: 26 * 1024 * 256 }); // 26 MiB of float32
    expect(e).toBeInstanceOf(FileRefusal);
    expect(e.subjectName).toBe('trained.onnx');
    expect(e.problem).toMatch(/is 26\.\d MiB, over the Workers limit of 25\.0 MiB/);
    expect(e.problem).toContain('padding.weights [6815744]');
    expect(e.fix).toContain('int8');
  });
});

describe('vocabulary against the graph', () => {
  it('refuses a vocabulary larger than the item embedding table, naming the table', async () => {
    const e = await refusal({ itemRows: 20 });
    expect(e).toBeInstanceOf(VocabRefusal);
    expect((e as VocabRefusal).field).toBe('items');
    expect(e.problem).toContain('"emb.item" has 20 rows');
  });
});
