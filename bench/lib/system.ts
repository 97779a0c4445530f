/** The machine and software a run measured on, and its load: results are only comparable with these. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './servingModels.js';

/** Above this 1-minute load average (2 cores) figures are noisy. */
export const NOISY_LOAD = 1.5;

export interface LoadSample {
  at: string;
  label: string;
  /** 1, 5 and 15-minute load averages. */
  loadAverage: [number, number, number];
}

export function loadSample(label: string): LoadSample {
  const [a, b, c] = loadavg();
  return { at: new Date().toISOString(), label, loadAverage: [round2(a), round2(b), round2(c)] };
}

export interface SystemInfo {
  cpu: string;
  cores: number;
  node: string;
  packages: Record<string, string>;
  commit: string;
  /** Uncommitted changes in the checkout when the run started. */
  dirty: boolean;
}

export function systemInfo(): SystemInfo {
  const version = (pkg: string) => {
    try {
      return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return 'missing';
    }
  };
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    packages: Object.fromEntries(['onnxruntime-web', 'onnxruntime-node', 'wrangler', 'autocannon', '@tensorflow/tfjs'].map((p) => [p, version(p)])),
    commit: git('rev-parse', '--short', 'HEAD') || 'unknown',
    dirty: git('status', '--porcelain', '--untracked-files=no') !== '',
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
