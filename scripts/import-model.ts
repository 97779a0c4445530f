/**
 * `npm run import-model -- --onnx model.onnx --vocab vocab.json --out models/<name>`: a model
 * trained elsewhere (PyTorch, TensorFlow, …) → a served model directory, checked against the
 * serving signature, onnxruntime-web's operators, the Workers asset limit and the probability
 * probe; golden requests computed; then (unless --no-cost) `npm run model-cost -- <out>` measures
 * the manifest's cost model in a subprocess (scripts may not import bench/). docs/importing-models.md.
 *
 * Exit codes: 0 imported, 1 refused (the message names the tensor, operator, file or field and the fix), 2 usage.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SERVED_MODEL_TYPES } from '../contract/manifest.js';
import { importModel } from '../model-export/import/importModel.js';
import { FileRefusal, ImportRefusal, OptionRefusal } from '../model-export/import/refusal.js';

const USAGE = `usage: npm run import-model -- --onnx <model.onnx> --vocab <vocab.json | manifest.json> --out models/<name>
  [--name <name> (default: the --out directory's name)]
  [--type ${SERVED_MODEL_TYPES.join('|')} (manifest type; default din)]
  [--source "<free text: trainer, hardware, data>" (manifest training.source)]
  [--metrics <metrics.json> (its numeric top-level entries, {"auc": 0.74, ...}, become the manifest's metrics; the rest training.trainerReport)]
  [--map <graph name>=<serving name>[,...] (rename inputs/outputs, e.g. --map item_ids=hist_item,prob=score)]
  [--add-sigmoid (the graph's score is a logit: append a Sigmoid)]
  [--no-rewrite (refuse a training-shape graph instead of rewriting it)]
  [--force (replace the model already in --out; without it an existing model there is refused)]
  [--no-cost (skip measuring the cost model with npm run model-cost)]
  [--dry-run (check only, write nothing)]`;

const ROOT = new URL('..', import.meta.url).pathname;

function main(): Promise<number> | number {
  let args;
  try {
    args = parseArgs({
      options: {
        onnx: { type: 'string' },
        vocab: { type: 'string' },
        out: { type: 'string' },
        name: { type: 'string' },
        type: { type: 'string', default: 'din' },
        source: { type: 'string' },
        metrics: { type: 'string' },
        map: { type: 'string', multiple: true },
        'add-sigmoid': { type: 'boolean', default: false },
        'no-rewrite': { type: 'boolean', default: false },
        'no-cost': { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) return (console.log(USAGE), 0);
  if (!args.onnx || !args.vocab || (!args.out && !args['dry-run'])) return (console.error(USAGE), 2);
  const type = args.type as (typeof SERVED_MODEL_TYPES)[number];
  if (!SERVED_MODEL_TYPES.includes(type)) return (console.error(`--type ${args.type}: one of ${SERVED_MODEL_TYPES.join(', ')}`), 2);
  const map: Record<string, string> = {};
  for (const pair of (args.map ?? []).flatMap((m) => m.split(','))) {
    const [from, to, ...rest] = pair.split('=');
    if (!from?.trim() || !to?.trim() || rest.length) return (console.error(`--map ${pair}: write <graph name>=<serving name>`), 2);
    if (from.trim() in map) return (console.error(`--map ${pair}: ${from.trim()} is already mapped to ${map[from.trim()]}; map each graph name once`), 2);
    map[from.trim()] = to.trim();
  }
  const out = args.out ? resolve(args.out) : undefined;
  const name = args.name ?? (out ? basename(out) : 'dry-run');
  return run({ ...args, onnx: args.onnx, vocab: args.vocab, out, name, type, map });
}

/** A file the import reads, as bytes; an unreadable one is a refusal naming it, not a stack trace. */
function readInput(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? (e as Error).message})`;
    throw new FileRefusal(path, `(${option}) ${why}`, `pass the path of the ${option === '--onnx' ? '.onnx file' : 'JSON file'} to ${option}`);
  }
}

/** A JSON file the import reads; invalid JSON is a refusal naming the file and where it breaks. */
function readJson(path: string, option: string): unknown {
  const bytes = readInput(path, option);
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    // A binary file (an .onnx given as --vocab): say so, and keep its bytes off the terminal.
    const binary = bytes.subarray(0, 512).some((b) => b < 0x09 || (b > 0x0d && b < 0x20));
    const why = binary ? `is binary, not JSON${option === '--vocab' ? ' (the .onnx file? --onnx and --vocab swapped?)' : ''}` : `is not JSON: ${(e as Error).message.replace(/[^\x20-\x7e]/g, '?')}`;
    throw new FileRefusal(path, `(${option}) ${why}`, option === '--vocab' ? 'pass vocab.json (docs/importing-models.md, "The vocabulary file") or a repo manifest.json' : 'pass the trainer\'s metrics.json, a JSON object such as {"auc": 0.74}');
  }
}

function readMetrics(path: string): Record<string, unknown> {
  const json = readJson(path, '--metrics');
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new OptionRefusal('--metrics', `${path} is ${Array.isArray(json) ? 'an array' : JSON.stringify(json)}, not a JSON object`, 'pass a JSON object whose numeric top-level entries are the metrics, e.g. {"auc": 0.74}');
  return json as Record<string, unknown>;
}

async function run(a: { onnx: string; vocab: string; out?: string; name: string; type: (typeof SERVED_MODEL_TYPES)[number]; map: Record<string, string>; source?: string; metrics?: string; 'add-sigmoid': boolean; 'no-rewrite': boolean; 'no-cost': boolean; 'dry-run': boolean; force: boolean }): Promise<number> {
  try {
    const result = await importModel({
      onnx: new Uint8Array(readInput(a.onnx, '--onnx')),
      onnxFile: a.onnx,
      vocab: readJson(a.vocab, '--vocab'),
      ...(a['dry-run'] || !a.out ? {} : { out: a.out }),
      force: a.force,
      name: a.name,
      type: a.type,
      map: a.map,
      addSigmoid: a['add-sigmoid'],
      noRewrite: a['no-rewrite'],
      ...(a.source ? { source: a.source } : {}),
      ...(a.metrics ? { metrics: readMetrics(a.metrics) } : {}),
    });
    const m = result.manifest;
    for (const r of result.rewrites) console.log(`rewrite: ${r}`);
    for (const n of result.notes) console.log(`note: ${n}`);
    console.log(`probe: ${result.probe.requests} requests, probabilities in [${result.probe.min.toFixed(4)}, ${result.probe.max.toFixed(4)}]`);
    console.log(`${a['dry-run'] ? 'checked (dry run, nothing written)' : `imported ${relative(ROOT, a.out!)}`}: ${m.name} ${m.type} ${m.version}, ${(m.onnx.bytes / 1024).toFixed(0)} KiB, outputs ${m.outputs.map((o) => o.name).join(', ')}, ${m.golden?.requests.length} golden requests`);
    if (a['dry-run'] || a['no-cost']) {
      if (!a['dry-run']) console.log('cost: skipped (--no-cost); measure later with npm run model-cost -- ' + relative(ROOT, a.out!));
      return 0;
    }
    const where = relative(resolve(ROOT, 'models'), a.out!);
    if (where.startsWith('..') || where.includes('/')) {
      console.log(`cost: not measured (npm run model-cost reads models/<name>/ only; ${a.out} is elsewhere)`);
      return 0;
    }
    console.log(`cost: npm run model-cost -- models/${where}`);
    const r = spawnSync('npm', ['run', '--silent', 'model-cost', '--', `models/${where}`], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) console.error('cost: model-cost failed; the model is imported without a cost model (the worker then charges requests by candidate × history pairs); retry with npm run model-cost');
    return 0;
  } catch (e) {
    if (e instanceof ImportRefusal) {
      console.error(`refused: ${e.message}`);
      return 1;
    }
    // Not a refusal: a bug of the importer (or the runtime) on this input. One line, like a refusal; the stack with DEBUG=1.
    if (process.env.DEBUG) console.error(e);
    console.error(`error: ${(e as Error).name}: ${String((e as Error).message ?? e).replace(/\s+/g, ' ').slice(0, 400)} (an importer bug on this input, not a refusal: please report it with the file; DEBUG=1 prints the stack)`);
    return 1;
  }
}

process.exitCode = await main();
