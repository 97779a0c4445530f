/**
 * `npm run train -- --data DIR` on a Parquet layout (interactions/ of shards): the out-of-core path
 * trains from the DuckDB stream and exports, with the same dataset.json as CSV (DIEN's auxiliary
 * loss and mini-batch aware L2 included); what it does not support stops with one line.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePersonalize } from '../../bench/data/generatePersonalize.js';
import { personalizeToParquet } from '../../bench/data/personalizeParquet.js';
import { hashUserSplit } from '../../model-export/samples/sample.js';
import type { RunResult } from '../../model-export/train/run.js';
import { refused, train } from '../helpers/trainCli.js';

const tmp = mkdtempSync(join(tmpdir(), 'train-cli-parquet-'));
const data = join(tmp, 'shop-parquet');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await generatePersonalize({ dir: join(tmp, 'csv'), interactions: 4000, users: 80, items: 300, categories: 8, seed: 7 });
  await personalizeToParquet(join(tmp, 'csv'), data, { shardRows: 1500 });
  writeFileSync(join(data, 'dataset.json'), JSON.stringify({ positive: { eventTypes: ['click', 'purchase'] } }));
});


describe('npm run train -- --data DIR (Parquet)', () => {
  it('trains from the stream, exports, and writes the run', async () => {
    const out = join(tmp, 'models', 'shop-din');
    const results = join(tmp, 'run.json');
    const { stdout, stderr } = await train('--data', data, '--epochs', '1', '--batch-size', '64', '--embedding-dim', '8', '--max-history', '20', '--attention-hidden', '12,6', '--validation-fraction', '0', '--out', out, '--results', results);
    expect(stderr).toMatch(/dataset config: .*shop-parquet\/dataset\.json \(found in --data\)/);
    expect(stderr).toMatch(/data: personalize .*shop-parquet \(out of core\) → 80 users/);
    expect(stdout).toMatch(/^din on personalize .* \(out of core, DuckDB\), protocol next, seed 1$/m);
    expect(stdout).toMatch(/test {6}AUC 0\.\d+/);
    const result = JSON.parse(readFileSync(results, 'utf8')) as RunResult & { engine: string };
    expect(result.engine).toBe('duckdb');
    expect(result.trainSamples).toBeGreaterThan(1000);
    expect(existsSync(join(out, 'manifest.json'))).toBe(true);
  });

  it('DIEN with its auxiliary loss and mini-batch aware L2 train from the stream', async () => {
    const results = join(tmp, 'dien.json');
    const { stderr } = await train('--data', data, '--model', 'dien', '--l2', '0.01', '--epochs', '1', '--batch-size', '64', '--embedding-dim', '8', '--max-history', '20', '--validation-fraction', '0', '--results', results);
    expect(stderr).toMatch(/data: mini-batch aware L2: id frequencies counted over epoch 1's [\d,]+ samples/);
    // Both extra terms were in the loss: the streamed batches carried negative sequences, and n_j.
    const [epoch] = (JSON.parse(readFileSync(results, 'utf8')) as RunResult).epochs;
    expect(epoch.auxLoss).toBeGreaterThan(0);
    expect(epoch.l2Loss).toBeGreaterThan(0);
    expect(Number.isFinite(epoch.trainLoss)).toBe(true);
  });

  it('a user who touched every item of a small catalogue: reported, and training goes on (in memory and out of core)', async () => {
    const dir = join(tmp, 'small-shop');
    mkdirSync(dir, { recursive: true });
    const items = Array.from({ length: 12 }, (_, i) => `i${i}`);
    const power = ['power-a', 'power-b', 'power-c'].find((u) => hashUserSplit(0.2)(u) === 'train')!;
    const rows = ['USER_ID,ITEM_ID,TIMESTAMP'];
    items.forEach((item, k) => rows.push(`${power},${item},${1700000000 + k}`));
    for (let u = 0; u < 40; u++) for (let k = 0; k < 6; k++) rows.push(`u${u},${items[(u + 3 * k) % 12]},${1700000000 + 100 * u + k}`);
    writeFileSync(join(dir, 'interactions.csv'), rows.join('\n') + '\n');
    for (const engine of ['memory', 'duckdb']) {
      const { stdout } = await train('--data', dir, '--engine', engine, '--epochs', '1', '--batch-size', '32', '--embedding-dim', '4', '--max-history', '5', '--attention-hidden', '4,2', '--validation-fraction', '0', '--min-item-count', '1');
      expect(stdout, engine).toMatch(/dropped .*the samples of 1 user who touched every item of the training catalogue/);
      expect(stdout, engine).toMatch(/test {6}AUC 0\.\d+/);
    }
  });

  it('refuses --engine memory on Parquet, and a time split, with one line', async () => {
    const memory = await refused('--data', data, '--engine', 'memory', '--epochs', '1');
    expect(memory?.code).toBe(1);
    expect(memory?.stderr).toMatch(/^train: .*Parquet or sharded tables are read by the out-of-core engine only: drop --engine memory$/m);
    const config = join(tmp, 'time.json');
    writeFileSync(config, JSON.stringify({ data, split: { by: 'time', lastDays: 7 } }));
    const time = await refused('--config', config, '--epochs', '1');
    expect(time?.code).toBe(1);
    expect(time?.stderr).toMatch(/^train: the out-of-core engine splits by user/m);
  });
});
