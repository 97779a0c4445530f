/**
 * Multi-task training: conversion labels from each source (Taobao, Personalize), the ESMM loss,
 * and `npm run train -- --model ple` on a Personalize directory with a conversion event type, end
 * to end: export, task outputs in the manifest, per-task metrics.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { generatePersonalize } from '../../bench/data/generatePersonalize.js';
import { modelManifestSchema } from '../../contract/manifest.js';
import { readPersonalize } from '../../model-export/data/personalize.js';
import { readTaobao } from '../../model-export/data/taobao.js';
import { buildSamples } from '../../model-export/samples/protocols.js';
import type { RunResult } from '../../model-export/train/run.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'multitask-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('conversion labels', () => {
  it('Taobao: a pv is converted when the user later favs, carts or buys the item', async () => {
    const { log } = await readTaobao(new URL('../fixtures/taobao/UserBehavior.csv', import.meta.url).pathname, { progress: false, maxMalformedFraction: 0.3 });
    const converted = (user: string) => log.timelines.get(user)!.map((b) => `${b.item}:${b.converted}`);
    expect(converted('1')).toEqual(['101:true', '102:false', '104:false']); // 101 bought after its pv
    const buyOnly = await readTaobao(new URL('../fixtures/taobao/UserBehavior.csv', import.meta.url).pathname, { progress: false, maxMalformedFraction: 0.3, conversionTypes: ['buy'] });
    expect(buyOnly.log.timelines.get('1')!.map((b) => b.converted)).toEqual([true, false, false]);
    // next samples carry the label: the positive its conversion, its negative 0.
    const samples = buildSamples(log, 'next', { seed: 1 }).filter((s) => s.user === '1');
    expect(samples.map((s) => [s.label, s.conversion])).toEqual([
      [1, 0],
      [0, 0],
      [1, 0],
      [0, 0],
    ]);
  });

  it('Personalize: an event matching the conversion filter on the same item, at or after the behaviour', async () => {
    const dir = mkdtempSync(join(tmp, 'conv-'));
    writeFileSync(
      join(dir, 'interactions.csv'),
      ['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE', 'u1,a,10,click', 'u1,b,20,click', 'u1,a,30,purchase', 'u1,c,40,click', 'u1,b,5,purchase', 'u2,x,1,purchase'].join('\n') + '\n',
    );
    const { log, stats } = await readPersonalize({ dir, eventTypes: ['click'], conversion: { eventTypes: ['purchase'] }, progress: false });
    expect(log.timelines.get('u1')!.map((b) => `${b.item}:${b.converted}`)).toEqual(['a:true', 'b:false', 'c:false']); // b's purchase came before its click
    expect(log.timelines.has('u2')).toBe(false); // only a conversion: no behaviour
    expect(stats.interactions.conversionRows).toBe(3);
  });
});

describe('ESMM loss', () => {
  it('is w_ctr·BCE(click, pCTR) + w_ctcvr·BCE(click ∧ conv, pCTR·pCVR), computed from logits', async () => {
    const l = [tf.tensor1d([0.5, -1, 2]), tf.tensor1d([1, 0, -0.5])] as tf.Tensor1D[];
    const click = [1, 0, 1];
    const conv = [1, 0, 0];
    const sigma = (x: number) => 1 / (1 + Math.exp(-x));
    const bce = (y: number, p: number) => -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
    const ctr = [0.5, -1, 2].map(sigma);
    const ctcvr = ctr.map((p, i) => p * sigma([1, 0, -0.5][i]));
    const expected = (2 * click.reduce((s, y, i) => s + bce(y, ctr[i]), 0)) / 3 + (0.5 * conv.reduce((s, y, i) => s + bce(y, ctcvr[i]), 0)) / 3;
    const { esmmLoss } = await import('../../model-export/train/fit.js');
    const loss = esmmLoss(l, tf.tensor1d(click), tf.tensor1d(conv), [2, 0.5]);
    expect((await loss.data())[0]).toBeCloseTo(expected, 5);
  });
});

describe('npm run train -- --model ple', () => {
  it('trains click and conversion from a Personalize directory, exports ctr/cvr/ctcvr, reports per-task metrics', async () => {
    const data = join(tmp, 'shop');
    await generatePersonalize({ dir: data, interactions: 5000, users: 100, items: 200, categories: 8, seed: 5 });
    writeFileSync(join(data, 'dataset.json'), JSON.stringify({ positive: { eventTypes: ['click', 'purchase'] }, conversion: { eventTypes: ['purchase'] } }));
    const out = join(tmp, 'models', 'ple-shop');
    const results = join(tmp, 'ple.json');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'scripts/train.ts'), '--data', data, '--model', 'ple', '--epochs', '1', '--batch-size', '64', '--embedding-dim', '8', '--max-history', '20', '--task-weights', '1,2', '--out', out, '--results', results],
      { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' }, maxBuffer: 16 << 20 },
    );
    const [epoch] = (JSON.parse(readFileSync(results, 'utf8')) as RunResult).epochs;
    expect(epoch.auc).toBeGreaterThan(0.5);
    // The summary prints every task's AUC and GAUC (cvr on the clicked samples).
    const { ctr, cvr, ctcvr } = epoch.tasks!;
    const f = (x: number) => x.toFixed(4);
    expect(stdout).toContain(`tasks     ctr AUC ${f(ctr.auc)} GAUC ${f(ctr.gauc)} · cvr (clicked samples) AUC ${f(cvr.auc)} GAUC ${f(cvr.gauc)} · ctcvr AUC ${f(ctcvr.auc)} GAUC ${f(ctcvr.gauc)}`);
    const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
    expect(manifest.type).toBe('ple');
    expect(manifest.outputs.map((o) => o.name)).toEqual(['score', 'attention', 'ctr', 'cvr', 'ctcvr']);
    expect(Object.keys(manifest.metrics)).toEqual(expect.arrayContaining(['ctrAuc', 'cvrAuc', 'ctcvrAuc', 'onnxAuc']));
    expect(manifest.training).toMatchObject({ taskWeights: [1, 2], modelConfig: { multiTask: { kind: 'ple', levels: 2, taskWeights: [1, 2] } } });
  });
});
