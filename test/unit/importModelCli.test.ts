/**
 * `npm run import-model` as documented (scripts/import-model.ts, docs/importing-models.md): a
 * PyTorch-style training-shape export with its vocab.json imports with --map; the rewrites are
 * printed; a refusal is one line naming the tensor and the fix, exit code 1; bad usage exit 2.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { modelManifestSchema } from '../../contract/manifest.js';
import { fixtureGraph, fixtureVocab } from '../../model-export/import/fixtureGraphs.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'import-model-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const importModel = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/import-model.ts'), ...args], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' }, maxBuffer: 16 << 20 });
const refused = (...args: string[]) =>
  importModel(...args).then(
    () => undefined,
    (err: { code: number; stderr: string }) => err,
  );

const onnx = join(tmp, 'din-pytorch.onnx');
const vocab = join(tmp, 'vocab.json');
writeFileSync(onnx, fixtureGraph({ shape: 'training', indexType: 'int64', names: { hist_item: 'hist_item_ids', cand_item: 'target_item', score: 'prob' } }));
writeFileSync(vocab, JSON.stringify(fixtureVocab()));

describe('npm run import-model', () => {
  it('imports a training-shape PyTorch-style export with --map, printing every rewrite', async () => {
    const out = join(tmp, 'din-pytorch');
    const metrics = join(tmp, 'metrics.json');
    writeFileSync(metrics, JSON.stringify({ auc: 0.7 }));
    const { stdout } = await importModel('--onnx', onnx, '--vocab', vocab, '--out', out, '--map', 'hist_item_ids=hist_item,target_item=cand_item', '--map', 'prob=score', '--source', 'pytorch-ddp test', '--metrics', metrics, '--no-cost');
    expect(stdout).toContain('rewrite: renamed hist_item_ids → hist_item');
    expect(stdout).toContain('rewrite: hist_item: serving [T], Expanded to the training shape [C, T]');
    expect(stdout).toContain('cost: skipped (--no-cost)');
    const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
    expect(manifest.name).toBe('din-pytorch');
    expect(manifest.type).toBe('din');
    expect(manifest.metrics).toEqual({ auc: 0.7 });
    expect(manifest.training).toMatchObject({ source: 'pytorch-ddp test', importedFrom: { file: 'din-pytorch.onnx', shape: 'training' } });
    expect(existsSync(join(out, 'model.onnx'))).toBe(true);
  });

  it('refuses with one line naming the tensor and the fix, exit code 1, writing nothing', async () => {
    const out = join(tmp, 'refused');
    const err = await refused('--onnx', onnx, '--vocab', vocab, '--out', out, '--no-cost');
    expect(err?.code).toBe(1);
    expect(err?.stderr.trim()).toMatch(/^refused: tensor "hist_item_ids": is not a serving input name; .* Fix: .*--map hist_item_ids=hist_item$/);
    expect(existsSync(out)).toBe(false);
  });

  it('--dry-run checks and writes nothing', async () => {
    const { stdout } = await importModel('--onnx', onnx, '--vocab', vocab, '--dry-run', '--map', 'hist_item_ids=hist_item,target_item=cand_item,prob=score');
    expect(stdout).toContain('checked (dry run, nothing written)');
  });

  it('usage errors exit 2', async () => {
    expect((await refused('--onnx', onnx))?.code).toBe(2);
    expect((await refused('--onnx', onnx, '--vocab', vocab, '--out', join(tmp, 'x'), '--type', 'gbdt'))?.code).toBe(2);
    expect((await refused('--onnx', onnx, '--vocab', vocab, '--out', join(tmp, 'x'), '--map', 'nonsense'))?.code).toBe(2);
  });

  it('unreadable inputs are one-line refusals naming the file, exit 1, no stack trace', async () => {
    const notJson = join(tmp, 'vocab.txt');
    writeFileSync(notJson, 'items: 1, 2, 3');
    const nullMetrics = join(tmp, 'null.json');
    writeFileSync(nullMetrics, 'null');
    const missing = await refused('--onnx', join(tmp, 'nope.onnx'), '--vocab', vocab, '--dry-run');
    expect(missing?.code).toBe(1);
    expect(missing?.stderr.trim()).toMatch(/^refused: file ".*nope\.onnx": \(--onnx\) does not exist\. Fix: pass the path of the \.onnx file to --onnx$/);
    const dir = await refused('--onnx', tmp, '--vocab', vocab, '--dry-run');
    expect(dir?.stderr.trim()).toMatch(/^refused: file ".*": \(--onnx\) is a directory\./);
    const bad = await refused('--onnx', onnx, '--vocab', notJson, '--dry-run');
    expect(bad?.stderr.trim()).toMatch(/^refused: file ".*vocab\.txt": \(--vocab\) is not JSON: .*Fix: pass vocab\.json/);
    const metrics = await refused('--onnx', onnx, '--vocab', vocab, '--dry-run', '--metrics', nullMetrics, '--map', 'hist_item_ids=hist_item,target_item=cand_item,prob=score');
    expect(metrics?.stderr.trim()).toMatch(/^refused: option "--metrics": .*null\.json is null, not a JSON object\. Fix: /);
    const swapped = await refused('--onnx', onnx, '--vocab', onnx, '--dry-run');
    expect(swapped?.stderr.trim()).toMatch(/^refused: file ".*din-pytorch\.onnx": \(--vocab\) is binary, not JSON \(the \.onnx file\? --onnx and --vocab swapped\?\)\. Fix: /);
    for (const e of [missing, dir, bad, metrics, swapped]) expect(e?.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('an --out holding a model is refused unless --force; a graph name mapped twice is a usage error', async () => {
    const out = join(tmp, 'din-pytorch'); // written by the first test
    const args = ['--onnx', onnx, '--vocab', vocab, '--out', out, '--map', 'hist_item_ids=hist_item,target_item=cand_item,prob=score', '--no-cost'];
    const err = await refused(...args);
    expect(err?.code).toBe(1);
    expect(err?.stderr.trim()).toMatch(/^refused: option "--out": .* already holds a model \(model\.onnx, manifest\.json\); .* Fix: pass another --out, or --force to replace that model$/);
    const { stdout } = await importModel(...args, '--force');
    expect(stdout).toContain('imported');
    const twice = await refused('--onnx', onnx, '--vocab', vocab, '--dry-run', '--map', 'prob=score,prob=ctr');
    expect(twice?.code).toBe(2);
    expect(twice?.stderr).toContain('prob is already mapped to score');
  });
});
