/**
 * The committed default artifact (models/din-movielens): valid manifest, matching sha256, loads in
 * onnxruntime-node, and is really trained — on held-out MovieLens users it ranks each user's next
 * movie above unseen movies of its vocabulary (AUC well above chance).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { contractOf, modelManifestSchema } from '../../contract/manifest.js';
import { readMovieLens } from '../../model-export/data/movielens.js';
import { auc } from '../../model-export/train/metrics.js';
import { checkOnnx, ONNX_PYTHON } from './onnxChecker.js';
import { scoreWithOrtNode } from './ortNode.js';
import { nodeSessionOptions } from '../../model-export/onnx/nodeSessionOptions.js';

const DIR = new URL('../../models/din-movielens/', import.meta.url).pathname;
const bytes = readFileSync(`${DIR}model.onnx`);
const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(`${DIR}manifest.json`, 'utf8')));
const contract = contractOf(manifest);

describe('default model artifact', () => {
  it('has a valid manifest whose sha256 and size match model.onnx', () => {
    expect(manifest.name).toBe('din-movielens');
    expect(manifest.type).toBe('din');
    expect(manifest.onnx.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(manifest.onnx.bytes).toBe(bytes.length);
    expect(manifest.featureContract.maxHistory).toBe(50);
  });

  it('is small enough to ship in the repository and a Workers asset (< 2 MiB)', () => {
    expect(bytes.length).toBeLessThan(2 * 1024 * 1024);
  });

  it('ranks held-out users’ next movie above unseen movies', async () => {
    const session = await ort.InferenceSession.create(bytes, nodeSessionOptions());
    const log = readMovieLens();
    const rng = seedrandom('default-model-test');
    const pool = manifest.featureContract.items; // known items: a ranking test, not an OOV test
    const scores: number[] = [];
    const labels: number[] = [];
    for (const [user, timeline] of log.timelines) {
      if (Number(user) % 5 !== 0 || timeline.length < 60) continue; // test-split users only
      const seen = new Set(timeline.map((b) => b.item));
      const history = timeline.slice(0, 50).map((b) => b.item);
      const negatives: string[] = [];
      while (negatives.length < 20) {
        const i = pool[Math.floor(rng() * pool.length)];
        if (!seen.has(i)) negatives.push(i);
      }
      const candidates = [timeline[50].item, ...negatives].map((item) => ({ item, category: log.itemCategory.get(item) }));
      const s = await scoreWithOrtNode(session, contract.encodeHistory(history), contract.encodeCandidates(candidates));
      for (const v of s) expect(v > 0 && v < 1).toBe(true);
      s.forEach((v, i) => {
        scores.push(v);
        labels.push(i === 0 ? 1 : 0);
      });
    }
    expect(labels.filter((l) => l === 1).length).toBeGreaterThan(50);
    const a = auc(scores, labels);
    console.log(`default model: AUC ${a.toFixed(4)} on ${labels.length} held-out (next movie vs 20 unseen) pairs`);
    expect(a).toBeGreaterThan(0.8);
  });

  it('records test metrics of the exported weights', () => {
    expect(manifest.metrics.gauc).toBeGreaterThan(0.85);
    expect(manifest.metrics.auc).toBeGreaterThan(0.85);
  });

  it.skipIf(!ONNX_PYTHON)('passes onnx.checker', () => {
    expect(checkOnnx(`${DIR}model.onnx`)).toBe('ok 8 17');
  });
});
