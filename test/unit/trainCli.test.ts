/**
 * "Your data → model" through the documented command: `npm run train -- --data DIR --out …` on a
 * directory of Personalize-layout CSVs (a small seeded synthetic log; no code, no config), then
 * the export scored with onnxruntime-node through the manifest's contract. The summary on stdout,
 * the full run behind --results, the model named after --out's folder, early stopping on a
 * validation slice, the popularity baseline. And bad data: one line naming the file and the
 * column, exit code 1.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { contractOf, modelManifestSchema } from '../../contract/manifest.js';
import { generatePersonalize } from '../../bench/data/generatePersonalize.js';
import { generatePlanted } from '../../bench/data/generatePlanted.js';
import { scoreWithOrtNode } from '../parity/ortNode.js';
import { nodeSessionOptions } from '../../model-export/onnx/nodeSessionOptions.js';
import type { RunResult } from '../../model-export/train/run.js';
import { refused, train } from '../helpers/trainCli.js';

const tmp = mkdtempSync(join(tmpdir(), 'train-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const readResults = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as RunResult;

describe('npm run train -- --data DIR', () => {
  it('trains, exports, names the model from --out, prints a summary and writes the full run to --results', async () => {
    const data = join(tmp, 'Acme Shop');
    await generatePersonalize({ dir: data, interactions: 4000, users: 80, items: 300, categories: 8, seed: 7 });
    const out = join(tmp, 'models', 'shop-din');
    const results = join(tmp, 'acme.json');
    // A narrower activation unit than the paper's 80-40 (its cost is most of DIN's per request).
    const { stdout, stderr } = await train('--data', data, '--model', 'din', '--epochs', '1', '--batch-size', '64', '--embedding-dim', '8', '--max-history', '20', '--attention-hidden', '12,6', '--out', out, '--results', results);
    expect(stderr).toMatch(/^dataset config: defaults \(no --config, no .*Acme Shop\/dataset\.json\)$/m);
    expect(stderr).toMatch(/data: personalize .*Acme Shop → 80 users, protocol next, split \{"by":"user","testFraction":0.2,"assign":"hash"\}/);
    expect(stderr).toMatch(/exported shop-din /);
    const result = readResults(results);
    expect(result.epochs).toHaveLength(1);
    expect(result.epochs[0].auc).toBeGreaterThan(0.5); // planted category preferences: better than chance after one epoch
    // The summary: short lines, the figures of the results file.
    expect(stdout.split('\n').every((line) => line.length < 240)).toBe(true);
    expect(stdout).toMatch(/^ {2}data {6}80 users, 300 items/m);
    expect(stdout).toMatch(/^ {2}dropped {3}nothing$/m);
    expect(stdout).toMatch(/^ {2}split {5}by user: 20 % of users in test \(hash of the id\); validation: 10 % of the training users/m);
    expect(stdout).toContain(`samples   train ${result.trainSamples.toLocaleString('en-US')} `);
    expect(stdout).toContain(`· validation ${result.validationSamples!.toLocaleString('en-US')} `);
    expect(stdout).toContain(`test      AUC ${result.epochs[0].auc.toFixed(4)} · GAUC ${result.epochs[0].gauc.toFixed(4)}`);
    expect(stdout).toMatch(/^ {2}export {4}shop-din \S+ → .*shop-din/m);

    const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
    expect(manifest.name).toBe('shop-din'); // --out's folder, not <model>-<data directory>
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
    const results = join(tmp, 'planted.json');
    const { stderr } = await train('--data', data, '--model', 'din', '--epochs', '1', '--batch-size', '64', '--embedding-dim', '8', '--max-history', '20', '--out', out, '--results', results);
    expect(stderr).toMatch(/^dataset config: .*planted\/dataset\.json \(found in --data\)$/m);
    const metrics = readResults(results).epochs[0];
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

  it('stops early on the validation users, keeps the best epoch, and exports and tests its weights', async () => {
    const data = join(tmp, 'early');
    await generatePersonalize({ dir: data, interactions: 4000, users: 80, items: 300, categories: 8, seed: 7 });
    const out = join(tmp, 'models', 'din-early');
    const results = join(tmp, 'early.json');
    // A high learning rate on little data: the validation GAUC peaks within a few epochs, well before 12.
    const { stdout } = await train('--data', data, '--model', 'din', '--epochs', '12', '--patience', '1', '--lr', '0.01', '--batch-size', '64', '--embedding-dim', '8', '--max-history', '20', '--attention-hidden', '12,6', '--out', out, '--results', results);
    const result = readResults(results);
    const validation = result.epochs.map((e) => e.validation!.gauc);
    const best = validation.indexOf(Math.max(...validation)) + 1;
    expect(result.config).toMatchObject({ validationFraction: 0.1, patience: 1, epochs: 12 });
    expect(result.keptEpoch).toBe(best);
    expect(result.epochs.length).toBe(best + 1); // patience 1: one epoch without a better GAUC, then stop
    expect(result.epochs.length).toBeLessThan(12);
    const kept = result.epochs[best - 1];
    const last = result.epochs[result.epochs.length - 1];
    expect(Math.abs(kept.auc - last.auc)).toBeGreaterThan(2e-3); // the two epochs' weights are told apart below
    expect(stdout).toContain(`epochs    kept epoch ${best} of ${result.epochs.length} (validation GAUC ${kept.validation!.gauc.toFixed(4)}); stopped after epoch ${result.epochs.length}`);
    expect(stdout).toContain(`test      AUC ${kept.auc.toFixed(4)} · GAUC ${kept.gauc.toFixed(4)}`);
    const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
    expect(manifest.metrics).toMatchObject({ auc: kept.auc, gauc: kept.gauc, logloss: kept.logloss });
    expect(manifest.training).toMatchObject({ keptEpoch: best, epochsRun: best + 1, validationFraction: 0.1 });
    // The exported graph scores the test split as the kept epoch's weights did, not as the last epoch's.
    expect(Math.abs(manifest.metrics.onnxAuc - kept.auc)).toBeLessThan(5e-4);
    expect(Math.abs(manifest.metrics.onnxGauc - kept.gauc)).toBeLessThan(5e-4);
  });

  it('--model popularity: test metrics from training counts, dropped rows named in the summary, no export', async () => {
    const data = join(tmp, 'one-bad-row');
    await generatePersonalize({ dir: data, interactions: 2000, users: 60, items: 200, categories: 4, seed: 2 });
    const lines = readFileSync(join(data, 'interactions.csv'), 'utf8').split('\n');
    lines[4] = 'u1,i1,notatime,click'; // line 5: too few fields (below the 1 % limit: skipped, counted)
    writeFileSync(join(data, 'interactions.csv'), lines.join('\n'));
    const results = join(tmp, 'popularity.json');
    const { stdout } = await train('--data', data, '--model', 'popularity', '--results', results);
    const metrics = JSON.parse(readFileSync(results, 'utf8')) as { baseline: string; auc: number; gauc: number; testSamples: number };
    expect(metrics.baseline).toBe('popularity');
    expect(metrics.auc).toBeGreaterThan(0.5); // Zipf popularity within categories
    expect(stdout).toMatch(/^ {2}dropped {3}1 malformed row \(first: interactions\.csv:5: expected \d+ fields \(the header's\), got 4\)$/m);
    expect(stdout).toContain(`test      AUC ${metrics.auc.toFixed(4)} · GAUC ${metrics.gauc.toFixed(4)}`);
    expect(stdout).toMatch(/^ {2}split {5}by user: 20 % of users in test \(hash of the id\)$/m); // a baseline trains nothing: no validation slice

    const withOut = await refused('--data', data, '--model', 'popularity', '--out', join(tmp, 'models', 'popularity'));
    expect(withOut?.code).toBe(2);
    expect(withOut?.stderr).toMatch(/^train: --model popularity is a baseline without a model: nothing to export, drop --out/m);
    const itemMean = await refused('--data', data, '--model', 'item-mean');
    expect(itemMean?.stderr).toMatch(/^train: the item-mean baseline applies to the protocol rating, not next/m);
  });

  it('refuses an --out folder that is not a valid model name before reading any data, saying how to fix it', async () => {
    const missing = join(tmp, 'no-such-data'); // read first, this would fail with exit code 1
    const bad = await refused('--data', missing, '--out', join(tmp, 'models', 'Din_Shop'));
    expect(bad?.code).toBe(2);
    expect(bad?.stderr).toMatch(/^train: --out .*Din_Shop: the model is named after its folder, and "Din_Shop" is not a valid model name .*: export to --out .*models\/din-shop .*, or name it with --name din-shop/m);
    const badName = await refused('--data', missing, '--out', join(tmp, 'models', 'ok'), '--name', 'Not OK');
    expect(badName?.stderr).toMatch(/^train: --name "Not OK" is not a valid model name .*e\.g\. --name not-ok/m);
    expect(existsSync(join(tmp, 'models', 'Din_Shop'))).toBe(false);
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
