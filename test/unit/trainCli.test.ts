/**
 * "Your data → model" through the documented command: `npm run train -- --data DIR --out …` on a
 * directory of Personalize-layout CSVs (a small seeded synthetic log; no code, no config), then
 * the export scored with onnxruntime-node through the manifest's contract. And bad data: one line
 * naming the file and the column, exit code 1.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { contractOf, modelManifestSchema } from '../../contract/manifest.js';
import { generatePersonalize } from '../../bench/data/generatePersonalize.js';
import { generatePlanted } from '../../bench/data/generatePlanted.js';
import { scoreWithOrtNode } from '../parity/ortNode.js';
import { nodeSessionOptions } from '../../model-export/onnx/nodeSessionOptions.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'train-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const train = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/train.ts'), ...args], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' }, maxBuffer: 16 << 20 });

describe('npm run train -- --data DIR', () => {
  it('trains, exports and names the model from the directory', async () => {
    const data = join(tmp, 'Acme Shop');
    await generatePersonalize({ dir: data, interactions: 4000, users: 80, items: 300, categories: 8, seed: 7 });
    const out = join(tmp, 'models', 'din-acme-shop');
    // A narrower activation unit than the paper's 80-40 (its cost is most of DIN's per request).
    const { stdout, stderr } = await train('--data', data, '--model', 'din', '--epochs', '1', '--batch-size', '64', '--embedding-dim', '8', '--max-history', '20', '--attention-hidden', '12,6', '--out', out);
    expect(stderr).toMatch(/data: personalize .*Acme Shop → 80 users, protocol next, split \{"by":"user","testFraction":0.2,"assign":"hash"\}/);
    expect(stderr).toMatch(/exported din-acme-shop /);
    const metrics = JSON.parse(stdout.trim().split('\n').pop()!) as { auc: number };
    expect(metrics.auc).toBeGreaterThan(0.5); // planted category preferences: better than chance after one epoch

    const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
    expect(manifest.name).toBe('din-acme-shop');
    expect(manifest.training).toMatchObject({ source: 'personalize-acme-shop', dataset: { source: 'personalize', protocol: 'next' } });
    expect(manifest.featureContract.maxHistory).toBe(20);
    expect(manifest.featureContract.categories.length).toBe(8); // GENRES guessed: cat0 … cat7
    expect(manifest.training.attentionHidden).toEqual([12, 6]);
    const graph = fromBinary(ModelProtoSchema, readFileSync(join(out, manifest.onnx.file))).graph!;
    expect(graph.initializer.find((t) => t.name === 'att.1.kernel')?.dims.map(Number)).toEqual([12, 6]);
    const contract = contractOf(manifest);
    const session = await ort.InferenceSession.create(join(out, manifest.onnx.file), nodeSessionOptions());
    const history = contract.encodeHistory(manifest.featureContract.items.slice(0, 5));
    const candidates = contract.encodeCandidates([manifest.featureContract.items[6], 'never-seen-item']);
    const scores = await scoreWithOrtNode(session, history, candidates);
    expect(scores).toHaveLength(2);
    for (const s of scores) expect(s).toBeGreaterThan(0), expect(s).toBeLessThan(1);
    await session.release();
  });

  it('with users.csv, context columns and a dataset.json of feature columns: trains, exports, scores with profile and context', async () => {
    const data = join(tmp, 'planted');
    await generatePlanted({ dir: data, interactions: 6000, users: 400, items: 120, categories: 8, seed: 3 });
    writeFileSync(
      join(data, 'dataset.json'),
      JSON.stringify({
        features: [
          { group: 'user', column: 'SEGMENT' },
          { group: 'user', column: 'AGE' },
          { group: 'candidate', column: 'PRICE' },
          { group: 'context', column: 'DEVICE' },
          { group: 'context', derive: 'weekday' },
        ],
      }),
    );
    const out = join(tmp, 'models', 'din-planted');
    const { stdout } = await train('--data', data, '--model', 'din', '--epochs', '1', '--batch-size', '64', '--embedding-dim', '8', '--max-history', '20', '--out', out);
    const metrics = JSON.parse(stdout.trim().split('\n').pop()!) as { auc: number };
    const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
    // The artifact's own test metrics (one request per sample through onnxruntime-node, feature inputs included) equal tfjs's.
    expect(Math.abs(manifest.metrics.onnxAuc - metrics.auc)).toBeLessThan(2e-3);
    expect(manifest.featureContract.formatVersion).toBe(2);
    expect(manifest.featureContract.features?.map((f) => `${f.group}:${f.name}:${f.kind}`)).toEqual(['user:segment:sparse', 'user:age:dense', 'candidate:price:dense', 'context:device:sparse', 'context:weekday:sparse']);
    const contract = contractOf(manifest);
    const session = await ort.InferenceSession.create(join(out, manifest.onnx.file), nodeSessionOptions());
    const history = contract.encodeHistory(manifest.featureContract.items.slice(0, 8));
    const candidates = contract.encodeCandidates(manifest.featureContract.items.slice(10, 40));
    const request = (segment: string, device: string) => contract.encodeRequestFeatures({ profile: { segment, age: 30 }, context: { device }, time: 1_790_000_000, timeZone: 'UTC', route: 'home' });
    const a = await scoreWithOrtNode(session, history, candidates, request('a', 'mobile'));
    const b = await scoreWithOrtNode(session, history, candidates, request('b', 'desktop'));
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeGreaterThan(1e-4); // profile and context reach the scores
    await session.release();
  });

  it('refuses a malformed --attention-hidden with one line naming the option', async () => {
    const data = join(tmp, 'small');
    await generatePersonalize({ dir: data, interactions: 200, users: 10, items: 50, categories: 2, seed: 1 });
    const failed = await train('--data', data, '--attention-hidden', '80', '--epochs', '1').then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toMatch(/^train: --attention-hidden must be two positive integers "h1,h2", got "80" \(see --help\)$/m);
  });

  it('fails with one line naming the file and the missing column', async () => {
    const data = join(tmp, 'broken');
    await generatePersonalize({ dir: data, interactions: 200, users: 10, items: 50, categories: 2, seed: 1 });
    writeFileSync(join(data, 'interactions.csv'), 'USER_ID,ITEM_ID,WHEN\nu1,i1,1\n');
    const failed = await train('--data', data, '--epochs', '1').then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/^train: .*broken\/interactions\.csv: column TIMESTAMP is missing \(required\); the header has USER_ID, ITEM_ID, WHEN$/m);
  });
});
