/**
 * The PyTorch reference trainer (python/interest_edge_torch) driven from Node: availability check,
 * a `torchrun` training run into an output directory, and the torch `score` entry. The layout
 * of a run's directory is what `npm run import-model -- --onnx <dir>/model.onnx --vocab
 * <dir>/vocab.json` reads:
 *
 *   model.onnx     serving signature (hist_item/hist_cat int32 [T], cand_item/cand_cat int32 [C] → score [C], attention [C, T])
 *   vocab.json     interest-edge-vocab/1 (items[i] has index i + 2, itemCategories, maxHistory)
 *   model.pt       torch checkpoint (config + state_dict + vocab) for `python3 -m interest_edge_torch.score`
 *   metrics.json   test AUC/GAUC/logloss, samples/s, world size, per-rank samples and weight checksums
 *   requests.json  a few encoded test-split requests (index arrays) to compare runtimes on
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '../..');
/** Debian's python with python3-torch; the pyenv `python3` on PATH has no torch. */
export const SYSTEM_PYTHON = process.env.INTEREST_EDGE_TORCH_PYTHON ?? '/usr/bin/python3';
export const PYTHON_PACKAGE_DIR = join(REPO, 'python');
export const MOVIELENS_DIR = join(REPO, 'data/movielens-latest-small');

/** Why the PyTorch tests cannot run here (undefined: they can). */
export function torchUnavailable(): string | undefined {
  const r = spawnSync(SYSTEM_PYTHON, ['-c', 'import torch, onnx; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.error) return `${SYSTEM_PYTHON} not found (${r.error.message}); install Debian's python3-torch and python3-onnx`;
  if (r.status !== 0) return `${SYSTEM_PYTHON} -c 'import torch, onnx' failed (apt-get install python3-torch python3-onnx): ${r.stderr.trim().split('\n').pop()}`;
  return undefined;
}

/** An encoded request as the worker feeds the graph (index arrays, history right-padded, T ≥ 1). */
export interface EncodedRequest {
  hist_item: number[];
  hist_cat: number[];
  cand_item: number[];
  cand_cat: number[];
}

export interface TorchRankReport {
  rank: number;
  host: string;
  pid: number;
  samples: number;
  steps: number;
  weightChecksum: number;
  threads: number;
}

export interface TorchMetrics {
  auc: number;
  gauc: number;
  logloss: number;
  samplesPerSecond: number;
  worldSize: number;
  backend: string;
  ranks: TorchRankReport[];
  trainSamples: number;
  testSamples: number;
  vocabulary: { items: number; categories: number };
  onnx?: { file: string; opset: number; ops: string[] };
  epochs: Array<Record<string, number>>;
  [key: string]: unknown;
}

export interface TorchRun {
  outDir: string;
  onnx: string;
  vocab: string;
  checkpoint: string;
  metrics: TorchMetrics;
  /** requests.json (empty with --no-export). */
  requests: EncodedRequest[];
  /** Wall time of the torchrun command. */
  seconds: number;
  /** Everything torchrun printed (stdout + stderr). */
  output: string;
}

export interface TorchTrainOptions {
  /** Processes (torchrun --nproc_per_node); 1 still goes through torchrun. Default 2. */
  nproc?: number;
  data?: string;
  source?: 'movielens' | 'personalize';
  /** The first N users in file order (a small slice); default all. */
  maxUsers?: number;
  epochs?: number;
  seed?: number;
  /** Further trainer flags, e.g. ['--dense-embeddings']. */
  args?: string[];
  timeoutMs?: number;
}

/**
 * torchrun's command: /usr/bin/torchrun, else `python3 -m torch.distributed.run`.
 *
 * Not `--standalone`: in torch 1.13 it means a rendezvous store on the fixed port 29400, and a
 * second job started meanwhile (another test file, a bench) fails to bind it and joins the first
 * job's store instead, then dies when that job ends. A c10d rendezvous on port 0 with a run id
 * of its own gives every job a private store on a port the kernel picks.
 * `--redirects 2 --tee 2` sidesteps Debian torch 1.13's torchrun on Python 3.11, whose default
 * `--redirects 0` crashes (IntFlag iteration skips 0, pytorch/pytorch#92319).
 */
export function torchrunCommand(nproc: number, logDir: string): { command: string; args: string[] } {
  const flags = [
    '--nnodes=1', '--rdzv_backend=c10d', '--rdzv_endpoint=127.0.0.1:0', `--rdzv_id=${randomUUID()}`,
    `--nproc_per_node=${nproc}`, '--redirects', '2', '--tee', '2', '--log_dir', logDir,
  ];
  return existsSync('/usr/bin/torchrun') && SYSTEM_PYTHON === '/usr/bin/python3'
    ? { command: '/usr/bin/torchrun', args: flags }
    : { command: SYSTEM_PYTHON, args: ['-m', 'torch.distributed.run', ...flags] };
}

/** Train DIN with `torchrun --nproc_per_node <nproc>` into `outDir` (gloo on CPU) and read what it wrote. */
export function trainWithTorchrun(outDir: string, o: TorchTrainOptions = {}): TorchRun {
  mkdirSync(outDir, { recursive: true });
  const nproc = o.nproc ?? 2;
  const { command, args } = torchrunCommand(nproc, join(outDir, 'torchrun-logs'));
  const trainer = [
    '-m', 'interest_edge_torch.train',
    '--data', o.data ?? MOVIELENS_DIR,
    '--source', o.source ?? 'movielens',
    '--out', outDir,
    '--epochs', String(o.epochs ?? 1),
    '--seed', String(o.seed ?? 1),
    ...(o.maxUsers ? ['--max-users', String(o.maxUsers)] : []),
    ...(o.args ?? []),
  ];
  const started = performance.now();
  const r = spawnSync(command, [...args, ...trainer], {
    encoding: 'utf8',
    cwd: PYTHON_PACKAGE_DIR,
    env: { ...process.env, PYTHONPATH: PYTHON_PACKAGE_DIR, OMP_NUM_THREADS: '1' },
    timeout: o.timeoutMs ?? 600_000,
    maxBuffer: 64 << 20,
  });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error || r.status !== 0) throw new Error(`torchrun failed (${r.error?.message ?? `exit ${r.status}`}):\n${output.slice(-4000)}`);
  const read = (name: string) => JSON.parse(readFileSync(join(outDir, name), 'utf8'));
  return {
    outDir,
    onnx: join(outDir, 'model.onnx'),
    vocab: join(outDir, 'vocab.json'),
    checkpoint: join(outDir, 'model.pt'),
    metrics: read('metrics.json') as TorchMetrics,
    requests: existsSync(join(outDir, 'requests.json')) ? (read('requests.json') as { requests: EncodedRequest[] }).requests : [],
    seconds: (performance.now() - started) / 1000,
    output,
  };
}

/** The torch model's scores (and attention weights) for encoded requests: `python3 -m interest_edge_torch.score`. */
export interface TorchScores {
  /** Per request, [C] probabilities (pCTR for the multi-task head). */
  scores: number[][];
  /** Per request, [C][T] attention weights. */
  attention: number[][][];
  /** Multi-task head only: per request, [C] each. */
  ctr?: number[][];
  cvr?: number[][];
  ctcvr?: number[][];
}

export function scoreWithTorch(checkpoint: string, requests: readonly EncodedRequest[]): TorchScores {
  const out = execFileSync(SYSTEM_PYTHON, ['-m', 'interest_edge_torch.score', '--checkpoint', checkpoint, '--requests', '-'], {
    input: JSON.stringify({ requests }),
    cwd: PYTHON_PACKAGE_DIR,
    env: { ...process.env, PYTHONPATH: PYTHON_PACKAGE_DIR, OMP_NUM_THREADS: '1' },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out) as TorchScores;
}
