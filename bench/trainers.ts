/**
 * `npm run bench -- trainers [--epochs N] [--seed N]`
 *
 * The training paths side by side on the same data (docs/training-at-scale.md): MovieLens
 * latest-small, protocol `next`, the shipped DIN's hyper-parameters, one epoch each, one after the
 * other on this machine:
 * - tfjs, one process (`npm run train`; the backend it picks here: wasm — tfjs-node(-gpu) cannot
 *   install on these machines, and no GPU is lent to the project);
 * - the PyTorch reference trainer (python/interest_edge_torch) under `torchrun`, 1 and 2 processes
 *   (gloo, one thread each), when Debian's python3-torch is installed.
 * samples/s = training samples of the epoch / the fit loop's seconds (data preparation, evaluation
 * and export excluded on both sides). The reference is the tfjs row. Writes
 * bench/results/<date>-trainers.md and .json.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { torchUnavailable, trainWithTorchrun } from '../model-export/pytorch/torchrun.js';
import { num, ratio, table } from './lib/markdown.js';
import { writeResults } from './lib/results.js';
import { REPO_ROOT } from './lib/servingModels.js';
import { loadSample, systemInfo } from './lib/system.js';

const { values } = parseArgs({ options: { epochs: { type: 'string', default: '1' }, seed: { type: 'string', default: '1' } } });
const epochs = Number(values.epochs);
const seed = Number(values.seed);
const log = (line: string) => console.error(`[bench trainers ${new Date().toISOString().slice(11, 19)}] ${line}`);
const dir = mkdtempSync(join(tmpdir(), 'bench-trainers-'));
const loads = [loadSample('start')];

interface Row {
  path: string;
  processes: number;
  samplesPerSecond: number;
  trainSamples: number;
  auc: number;
  gauc: number;
  wallSeconds: number;
  note: string;
}
const rows: Row[] = [];

// The shipped din-movielens's settings (the PyTorch trainer's defaults): attention 16-8, not the CLI's 80-40 default.
const tfjsArgs = ['--model', 'din', '--attention-hidden', '16,8', '--epochs', String(epochs), '--seed', String(seed)];
log(`tfjs: npm run train -- ${tfjsArgs.join(' ')}`);
{
  const results = join(dir, 'tfjs.json');
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/train.ts'), '--model', 'din', '--epochs', String(epochs), '--seed', String(seed), '--results', results], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.status !== 0) throw new Error(`npm run train failed:\n${r.stderr.slice(-3000)}`);
  const run = JSON.parse(readFileSync(results, 'utf8')) as { epochs: Array<{ samplesPerSecond: number; auc: number; gauc: number }>; trainSamples: number; backend: string };
  const last = run.epochs[run.epochs.length - 1];
  const seconds = run.epochs.reduce((s, e) => s + run.trainSamples / e.samplesPerSecond, 0);
  rows.push({ path: `tfjs (${run.backend})`, processes: 1, samplesPerSecond: (run.trainSamples * run.epochs.length) / seconds, trainSamples: run.trainSamples, auc: last.auc, gauc: last.gauc, wallSeconds: (performance.now() - started) / 1000, note: `npm run train -- ${tfjsArgs.join(' ')}` });
  loads.push(loadSample('tfjs done'));
}

const missing = torchUnavailable();
if (missing) log(`PyTorch rows skipped: ${missing}`);
else {
  for (const nproc of [1, 2]) {
    log(`PyTorch DDP: torchrun --nproc_per_node ${nproc}`);
    const run = trainWithTorchrun(join(dir, `torch-${nproc}`), { nproc, epochs, seed, args: ['--no-export'] });
    const m = run.metrics;
    rows.push({ path: `PyTorch DDP (${m.backend}, torch CPU)`, processes: nproc, samplesPerSecond: m.samplesPerSecond, trainSamples: m.trainSamples, auc: m.auc, gauc: m.gauc, wallSeconds: run.seconds, note: `torchrun --nproc_per_node ${nproc}, 1 thread per process` });
    loads.push(loadSample(`torch ${nproc} done`));
  }
}

const reference = rows[0];
const info = systemInfo();
const markdown = [
  `# Trainers on the same data — ${new Date().toISOString().slice(0, 10)}`,
  `MovieLens latest-small, protocol \`next\`, DIN with the shipped hyper-parameters (embedding 16, attention 16-8, MLP 200-80 Dice, batch 256, lr 0.001, H = 50), ${epochs} epoch${epochs > 1 ? 's' : ''}, seed ${seed}; one run after another. ` +
    `samples/s = training samples / the fit loop's seconds (preparation, evaluation, export excluded). Reference: the tfjs row. ` +
    `Machine: ${info.cpu}, ${info.cores} cores, Node ${process.version}; load average ${loads.map((l) => l.loadAverage[0]).join(' → ')}. ` +
    `tfjs-node-gpu (one CUDA GPU) and NCCL are not measured: no GPU here, and tfjs-node cannot install on these machines.`,
  table(
    ['trainer', 'processes', 'samples/s', '× tfjs', 'test AUC', 'test GAUC', 'wall s', 'how'],
    rows.map((r) => [r.path, r.processes, Math.round(r.samplesPerSecond).toLocaleString('en-US'), ratio(r.samplesPerSecond / reference.samplesPerSecond), r.auc.toFixed(4), r.gauc.toFixed(4), num(r.wallSeconds, 0), r.note]),
  ),
  missing ? `PyTorch rows not measured: ${missing}.` : '',
].filter(Boolean).join('\n\n');
console.log(markdown);
const date = new Date().toISOString().slice(0, 10);
writeResults(`${date}-trainers`, markdown, { date, system: info, loads, epochs, seed, rows });
log(`written bench/results/${date}-trainers.md and .json`);
