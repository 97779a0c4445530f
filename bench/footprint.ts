/**
 * Section 3, footprint: what `wrangler deploy --dry-run --outdir <tmp>` would upload (each file's
 * size raw and gzip -9, summed; its README and, unless `upload_source_maps`, source maps are not
 * uploaded), the model assets (model.onnx + manifest.json per model, uploaded
 * as static assets beside the bundle) and ORT's wasm (in the bundle and in node_modules).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MODELS_DIR, REPO_ROOT, shippedModelNames } from './lib/servingModels.js';
import { WRANGLER, WRANGLER_ENV } from './lib/wranglerDev.js';

export interface FileSize {
  file: string;
  bytes: number;
  gzipBytes: number;
}

export interface FootprintResults {
  bundle: { files: FileSize[]; bytes: number; gzipBytes: number; wranglerTotalUpload: string };
  models: Array<{ name: string; files: FileSize[]; bytes: number; gzipBytes: number }>;
  modelsTotal: { bytes: number; gzipBytes: number };
  ortWasm: { inBundle: FileSize | null; nodeModules: FileSize };
  /** Bundle + every model asset, gzip. */
  uploadGzipBytes: number;
}

export function runFootprint(log: (line: string) => void, config = join(REPO_ROOT, 'wrangler.toml')): FootprintResults {
  log('footprint: wrangler deploy --dry-run');
  const outdir = mkdtempSync(join(tmpdir(), 'interest-edge-bench-dry-run-'));
  try {
    const run = spawnSync(WRANGLER, ['deploy', '--dry-run', '--outdir', outdir, '-c', config], { cwd: REPO_ROOT, env: WRANGLER_ENV, encoding: 'utf8', timeout: 180_000 });
    if (run.status !== 0) throw new Error(`wrangler deploy --dry-run failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
    // What wrangler uploads: not the README it writes into outdir, not source maps unless configured.
    const uploadsMaps = /^\s*upload_source_maps\s*=\s*true/m.test(readFileSync(config, 'utf8'));
    const files = listFiles(outdir)
      .filter((f) => !f.endsWith('README.md') && (uploadsMaps || !f.endsWith('.map')))
      .map((f) => sizeOf(f, outdir));
    const models = shippedModelNames().map((name) => {
        const modelFiles = ['model.onnx', 'manifest.json'].map((f) => sizeOf(join(MODELS_DIR, name, f), MODELS_DIR));
        return { name, files: modelFiles, ...sum(modelFiles) };
      });
    const bundle = { files, ...sum(files), wranglerTotalUpload: /Total Upload: ([^\n]+)/.exec(run.stdout + run.stderr)?.[1]?.trim() ?? 'not reported' };
    const modelsTotal = sum(models);
    return {
      bundle,
      models,
      modelsTotal,
      ortWasm: {
        inBundle: files.find((f) => f.file.endsWith('.wasm')) ?? null,
        nodeModules: sizeOf(join(REPO_ROOT, 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm'), REPO_ROOT),
      },
      uploadGzipBytes: bundle.gzipBytes + modelsTotal.gzipBytes,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

function sizeOf(path: string, base: string): FileSize {
  const data = readFileSync(path);
  return { file: relative(base, path), bytes: data.length, gzipBytes: gzipSync(data, { level: 9 }).length };
}

function sum(xs: Array<{ bytes: number; gzipBytes: number }>): { bytes: number; gzipBytes: number } {
  return xs.reduce((a, x) => ({ bytes: a.bytes + x.bytes, gzipBytes: a.gzipBytes + x.gzipBytes }), { bytes: 0, gzipBytes: 0 });
}
