/**
 * `npm run attention-tanh [-- models/<name> ...]` (default: every shipped model): applies the
 * attention-tanh serving pass (model-export/onnx/attentionTanh.ts) to exports made before the
 * exporter applied it, without re-training. For each model with DIN's activation unit it writes
 * the rewritten ONNX and a manifest with the new sha256 and version, `training.graphPasses`, fresh
 * golden requests, and the rewritten graph's own test-split AUC/GAUC (`onnxAuc`, `onnxGauc`; the
 * previous values are kept as `sigmoidOnnxAuc`/`sigmoidOnnxGauc`), computed on the data the
 * manifest's training record names. Models without the unit are left as they are.
 *
 * Afterwards: `npm run model-cost` (the CPU cost changed) and `npm run first-stage` for first
 * stages derived from a rewritten model (their `derivedFrom` names its version).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { shippedModelNames } from '../model-export/shippedModels.js';
import { contractOf, modelManifestSchema } from '../contract/manifest.js';
import { attentionTanh, ATTENTION_TANH_PASS } from '../model-export/onnx/attentionTanh.js';
import { goldenFor } from '../model-export/onnx/goldenScores.js';
import { datasetConfigSchema } from '../model-export/sources/datasetConfig.js';
import { loadDataset } from '../model-export/sources/registry.js';
import { onnxTestMetrics } from '../model-export/train/onnxEvaluation.js';
import { prepareRun, type RunConfig } from '../model-export/train/run.js';

const { positionals } = parseArgs({ allowPositionals: true });
const dirs = positionals.length ? positionals : shippedModelNames().map((name) => join('models', name));
const log = (line: string) => console.error(`[attention-tanh] ${line}`);

for (const dir of dirs) {
  const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
  const onnx = readFileSync(join(dir, manifest.onnx.file));
  if (createHash('sha256').update(onnx).digest('hex') !== manifest.onnx.sha256) throw new Error(`${dir}: ${manifest.onnx.file} does not match its manifest's sha256`);
  const bytes = attentionTanh(onnx);
  if (!bytes) {
    log(`${dir}: no sigmoid activation unit, unchanged`);
    continue;
  }
  const training = manifest.training;

  // The rewritten artifact's own metrics, on the split it was trained against.
  const dataset = await loadDataset(datasetConfigSchema.parse(training.dataset ?? {}));
  const data = prepareRun(dataset, training as unknown as RunConfig);
  if (data.contract.spec.items.length !== manifest.featureContract.items.length || data.contract.spec.items.some((item, i) => item !== manifest.featureContract.items[i])) {
    throw new Error(`${dir}: the data named by the training record no longer gives the model's vocabulary; re-train instead`);
  }
  const t0 = performance.now();
  const [before, after] = [await onnxTestMetrics(onnx, data.test), await onnxTestMetrics(bytes, data.test)];
  log(`${dir}: test AUC ${before.auc.toFixed(5)} → ${after.auc.toFixed(5)}, GAUC ${before.gauc.toFixed(5)} → ${after.gauc.toFixed(5)} (${data.test.size} samples, ${((performance.now() - t0) / 1000).toFixed(0)} s)`);

  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const created = new Date();
  const rewritten = modelManifestSchema.parse({
    ...manifest,
    version: `${created.toISOString().slice(0, 10)}.${sha256.slice(0, 8)}`,
    created: created.toISOString(),
    onnx: { ...manifest.onnx, sha256, bytes: bytes.length },
    metrics: { ...manifest.metrics, onnxAuc: after.auc, onnxGauc: after.gauc, sigmoidOnnxAuc: before.auc, sigmoidOnnxGauc: before.gauc },
    training: { ...training, graphPasses: [...((training.graphPasses as string[] | undefined) ?? []), ATTENTION_TANH_PASS] },
    golden: await goldenFor(bytes, contractOf(manifest)),
  });
  writeFileSync(join(dir, manifest.onnx.file), bytes);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(rewritten, null, 1) + '\n');
  log(`${dir}: ${manifest.version} → ${rewritten.version}`);
}
