/**
 * The PyTorch path end to end, for test/workerd/pytorch.test.ts: globalSetup (Node) trains DIN on a
 * MovieLens slice with the repo's reference trainer under `torchrun --nproc_per_node 2` (gloo,
 * python/interest_edge_torch), imports the export with the importer (model-export/import: the
 * signature, operator, size and probability checks, goldens by onnxruntime-node), then scores the
 * manifest's golden requests with the torch model itself (`python3 -m interest_edge_torch.score`)
 * on the indices the worker's encoder gives them. The workerd test serves the imported model and
 * compares the worker with PyTorch. Without Debian's python3-torch the fixture carries the reason
 * and the test skips with it.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeatureContract } from '../../contract/featureContract.js';
import { SERVING_OUTPUTS } from '../../contract/manifest.js';
import { encodeForModel } from '../../core/encode/rowFeeds.js';
import { importModel } from '../../model-export/import/importModel.js';
import type { PytorchFixture } from './fixtureTypes.js';
import { scoreWithTorch, torchUnavailable, trainWithTorchrun, type EncodedRequest } from '../../model-export/pytorch/torchrun.js';

export const PYTORCH_MODEL = 'din-pytorch';

export async function buildPytorchModel(): Promise<PytorchFixture> {
  const missing = torchUnavailable();
  if (missing) return { skipped: `the PyTorch reference trainer needs Debian's python3-torch: ${missing}` };
  const dir = mkdtempSync(join(tmpdir(), 'pytorch-ddp-'));
  const run = trainWithTorchrun(join(dir, 'run'), { nproc: 2, maxUsers: 60, epochs: 1, seed: 3 });
  const { manifest, bytes } = await importModel({
    onnx: readFileSync(run.onnx),
    onnxFile: run.onnx,
    vocab: JSON.parse(readFileSync(run.vocab, 'utf8')),
    out: join(dir, PYTORCH_MODEL),
    name: PYTORCH_MODEL,
    source: 'interest_edge_torch, torchrun --nproc_per_node 2, gloo (test/workerd/pytorchModel.ts)',
    metrics: run.metrics,
  });
  const contract = new FeatureContract(manifest.featureContract);
  const requests = manifest.golden!.requests;
  const encoded: EncodedRequest[] = [];
  for (const r of requests) {
    const { feeds } = await encodeForModel({ contract }, r, { time: r.time, route: r.route });
    encoded.push({ hist_item: [...feeds.historyItems], hist_cat: [...feeds.historyCategories], cand_item: [...feeds.candidateItems], cand_cat: [...feeds.candidateCategories] });
  }
  const torch = scoreWithTorch(run.checkpoint, encoded);
  return {
    name: PYTORCH_MODEL,
    manifest: JSON.stringify(manifest),
    onnxFile: manifest.onnx.file,
    onnxBase64: Buffer.from(bytes).toString('base64'),
    cases: requests.map((r, i) => {
      if (r.candidates.length !== new Set(r.candidates).size) throw new Error(`golden request ${i} repeats a candidate`);
      const expected = r.expected[SERVING_OUTPUTS.scores]!;
      if (torch.scores[i].length !== expected.length) throw new Error(`torch scored ${torch.scores[i].length} candidates of golden request ${i}, not ${expected.length}`);
      return { body: { history: r.history, candidates: r.candidates }, torch: Object.fromEntries(r.candidates.map((id, c) => [id, torch.scores[i][c]])) };
    }),
    run: { worldSize: run.metrics.worldSize, rankSamples: run.metrics.ranks.map((r) => r.samples), seconds: run.seconds, auc: run.metrics.auc },
  };
}
