/**
 * `npm run import-model`: an ONNX file trained elsewhere plus its id vocabularies → a served model
 * directory (`model.onnx` + `manifest.json`), the same as the repo's own exports
 * (model-export/onnx/exportModel.ts). The checks, in order; each refusal names its subject and the fix:
 *
 * 1. the file parses and is at most WORKERS_ASSET_LIMIT_BYTES (25 MiB, one Workers static asset);
 * 2. opset range, operator domains, random and known-absent operators (operators.ts);
 * 3. the serving signature, rewriting what it can (signature.ts);
 * 4. the vocabulary against the graph's embedding tables (rows ≥ vocabulary + 2);
 * 5. a session in onnxruntime-web's wasm build (the serving runtime: the operator authority);
 * 6. the probability probe with onnxruntime-node (probe.ts);
 * 7. golden requests with onnxruntime-node (onnx/goldenScores.ts), replayed in the wasm build.
 * Then the manifest is written. The cost model (bench/modelCost.ts) is left to the CLI: this module
 * may not import bench/.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ModelProto } from 'onnx-buf';
import { FeatureContract, FIRST_INDEX, type FeatureContractSpec } from '../../contract/featureContract.js';
import { modelManifestSchema, SERVED_MODEL_TYPES, SERVING_INPUTS, type ModelManifest } from '../../contract/manifest.js';
import { goldenFor } from '../onnx/goldenScores.js';
import { MANIFEST_FILE, ONNX_FILE } from '../onnx/exportModel.js';
import { MiB, WORKERS_ASSET_LIMIT_BYTES } from './limits.js';
import { allGraphs, defaultOpset, initializerBytes, parseModel, serialise } from './onnxGraph.js';
import { checkOperatorsStatically, wasmSession } from './operators.js';
import { probeProbabilities, replayGoldenInWasm } from './probe.js';
import { FileRefusal, OptionRefusal, VocabRefusal } from './refusal.js';
import { conformSignature, type SignatureOptions } from './signature.js';
import { readVocab } from './vocab.js';

export interface ImportOptions extends SignatureOptions {
  /** The ONNX file's bytes, and its name for messages and `training.importedFrom`. */
  onnx: Uint8Array;
  onnxFile: string;
  /** Parsed vocab.json, or a repo manifest.json. */
  vocab: unknown;
  /** Output directory; nothing is written when absent (a dry run). */
  out?: string;
  /** Replace the model already in `out` (without it an existing model.onnx or manifest.json there is refused). */
  force?: boolean;
  name: string;
  type?: (typeof SERVED_MODEL_TYPES)[number];
  /** Free text: where and how the model was trained, e.g. "pytorch-ddp 2×A100, 3 epochs". */
  source?: string;
  /**
   * The trainer's metrics file: its finite numeric top-level entries become the manifest's
   * `metrics` (auc, gauc, logloss, …); everything else (config, per-rank reports, versions) goes
   * into `training.trainerReport`, for reproduction.
   */
  metrics?: Record<string, unknown>;
  /** Fixed timestamp (tests). */
  created?: Date;
  /** The asset limit (tests lower it); WORKERS_ASSET_LIMIT_BYTES by default. */
  assetLimitBytes?: number;
}

export interface ImportResult {
  manifest: ModelManifest;
  /** The served bytes: the input bytes verbatim when no rewrite applied. */
  bytes: Uint8Array;
  rewrites: string[];
  /** Informational findings that are not refusals (e.g. embedding tables larger than the vocabulary). */
  notes: string[];
  probe: { requests: number; min: number; max: number; constant: Array<{ output: string; value: number }> };
}

export async function importModel(o: ImportOptions): Promise<ImportResult> {
  const file = basename(o.onnxFile);
  const limit = o.assetLimitBytes ?? WORKERS_ASSET_LIMIT_BYTES;
  const notes: string[] = [];

  if (!/^[a-z0-9][a-z0-9-]*$/.test(o.name)) {
    const suggested = o.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+/, '') || 'my-model';
    // With --out the name is its directory's (the worker looks the manifest up by it): rename both.
    throw new OptionRefusal('--name', `"${o.name}" is not a model name (lowercase letters, digits and dashes; the worker's routes and URLs use it)`, o.out ? `pass --out ${join(dirname(o.out), suggested)} (the model name is the --out directory's name)` : `pass --name ${suggested}`);
  }
  // The worker loads models/<name>/manifest.json and refuses one whose name is not <name>.
  if (o.out && basename(o.out) !== o.name) throw new OptionRefusal('--name', `is "${o.name}" but --out ${o.out} is directory "${basename(o.out)}"; the worker loads <name>/manifest.json and refuses a manifest naming another model`, `drop --name (the --out directory's name is the model name), or pass --out ${join(dirname(o.out), o.name)}`);
  if (o.out) checkOut(o.out, o.force);
  // Vocabulary first: cheap, and the signature depends on its features.
  const vocab = readVocab(o.vocab);
  const contract = new FeatureContract(vocab.spec);

  // 1. File and size.
  checkSize(o.onnx, file, limit, () => parseModel(o.onnx, file));
  const model = parseModel(o.onnx, file);

  // 2. Static operator checks.
  checkOperatorsStatically(model, file);

  // 3. Signature (rewrites in place).
  const { rewrites, signature, shape } = conformSignature(model, vocab.spec, o);
  const bytes = rewrites.length ? serialise(model) : o.onnx;
  if (rewrites.length) checkSize(bytes, file, limit, () => model);

  // 4. Vocabulary vs embedding tables.
  notes.push(...checkEmbeddingTables(model, vocab.spec));

  // 5. The serving runtime's own verdict on every operator.
  const { ort, session } = await wasmSession(bytes);
  try {
    // 6. Probabilities.
    const probe = await probeProbabilities(bytes, contract, !o.addSigmoid);
    // Sigmoid maps [0, 1] onto [0.5, 0.731]: every score there means the output already was a probability.
    if (o.addSigmoid && probe.min >= 0.5 && probe.max <= SIGMOID_OF_ONE + 1e-6) {
      throw new OptionRefusal('--add-sigmoid', `every probability output lies in [${probe.min.toFixed(4)}, ${probe.max.toFixed(4)}] over ${probe.requests} probe requests, inside [0.5, 0.7311] = Sigmoid([0, 1]): the graph's output already is a probability (ending in Softmax, Clip or a Sigmoid the check did not see), and --add-sigmoid squashes it`, 'drop --add-sigmoid');
    }
    for (const { output, value } of probe.constant) notes.push(`${output} is ${value} for every candidate of all ${probe.requests} probe requests: does the graph read its inputs?`);
    // 7. Golden requests, and their replay in the wasm build.
    const golden = await goldenFor(bytes, contract);
    await replayGoldenInWasm(ort, session, golden, contract);

    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const metricEntries = Object.entries(o.metrics ?? {});
    const metrics = Object.fromEntries(metricEntries.filter(([, v]) => typeof v === 'number' && Number.isFinite(v)));
    const report = Object.fromEntries(metricEntries.filter(([k]) => !(k in metrics)));
    const created = o.created ?? new Date();
    const manifest = modelManifestSchema.parse({
      name: o.name,
      type: o.type ?? 'din',
      version: `${created.toISOString().slice(0, 10)}.${sha256.slice(0, 8)}`,
      created: created.toISOString(),
      onnx: { file: ONNX_FILE, sha256, bytes: bytes.length, irVersion: Number(model.irVersion), opset: defaultOpset(model) },
      ...signature,
      featureContract: vocab.spec,
      metrics,
      training: {
        importedFrom: { file, sha256: createHash('sha256').update(o.onnx).digest('hex'), bytes: o.onnx.length, producer: [model.producerName, model.producerVersion].filter(Boolean).join(' ') || undefined, shape },
        ...(o.source ? { source: o.source } : {}),
        vocabulary: vocab.from,
        ...(rewrites.length ? { importRewrites: rewrites } : {}),
        ...(Object.keys(report).length ? { trainerReport: report } : {}),
        graphNodes: model.graph!.node.length,
      },
      golden,
    });
    const manifestJson = JSON.stringify(manifest, null, 1) + '\n';
    const manifestBytes = Buffer.byteLength(manifestJson);
    if (manifestBytes > limit) {
      throw new VocabRefusal(
        'items',
        `makes manifest.json ${(manifestBytes / MiB).toFixed(1)} MiB (${vocab.spec.items.length} ids, the longest ${vocab.spec.items.reduce((n, i) => Math.max(n, i.length), 0)} characters), over the Workers limit of ${(limit / MiB).toFixed(1)} MiB for one static asset`,
        'shorten the ids (map them to short keys before training) or keep fewer items in the vocabulary',
      );
    }
    if (o.out) {
      mkdirSync(o.out, { recursive: true });
      writeFileSync(join(o.out, ONNX_FILE), bytes);
      writeFileSync(join(o.out, MANIFEST_FILE), manifestJson);
    }
    return { manifest, bytes, rewrites, notes, probe };
  } finally {
    await session.release();
  }
}

/** `out` must be a directory (or not exist) and hold no model, unless `force`: an import never silently replaces a served model. */
function checkOut(out: string, force?: boolean): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new OptionRefusal('--out', `${out} is a file, not a directory`, 'pass a directory, e.g. --out models/<name>');
  const models = readdirSync(out, { withFileTypes: true }).filter((e) => e.isDirectory() && existsSync(join(out, e.name, MANIFEST_FILE)));
  if (models.length) throw new OptionRefusal('--out', `${out} holds model directories (${models.slice(0, 3).map((e) => e.name).join(', ')}${models.length > 3 ? ', …' : ''}): a models root, not one model's directory`, `pass --out ${join(out, '<name>')}`);
  const held = [ONNX_FILE, MANIFEST_FILE].filter((f) => existsSync(join(out, f)));
  if (held.length && !force) throw new OptionRefusal('--out', `${out} already holds a model (${held.join(', ')}); the import would replace it`, `pass another --out, or --force to replace that model`);
}

const SIGMOID_OF_ONE = 1 / (1 + Math.exp(-1));

function checkSize(bytes: Uint8Array, file: string, limit: number, model: () => ModelProto): void {
  if (bytes.length <= limit) return;
  const largest = [...model().graph!.initializer].sort((a, b) => initializerBytes(b) - initializerBytes(a)).slice(0, 3);
  const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
  throw new FileRefusal(
    file,
    `is ${mib(bytes.length)}, over the Workers limit of ${mib(limit)} for one static asset; largest tensors: ${largest.map((t) => `${t.name} [${t.dims.join(', ')}] ${mib(initializerBytes(t))}`).join(', ')}`,
    'store the weights as int8 (Cast × per-column scale, as `npm run train -- --quantize int8` exports), or keep the item table outside the graph in a row store (docs/catalogues.md), or train with a smaller vocabulary / embedding dimension',
  );
}

/** Pass-through operators from an index input to the Gather that reads an embedding table with it. */
const INDEX_PASSTHROUGH = new Set(['Cast', 'Identity', 'Unsqueeze', 'Squeeze', 'Reshape', 'Flatten', 'Expand', 'Concat']);

/**
 * The embedding tables the item and category inputs index (a Gather whose data is an initializer),
 * checked against the vocabulary: a table with fewer rows than the vocabulary's largest index + 1
 * would read out of range. More rows are allowed (noted): a trainer may reserve some.
 */
export function checkEmbeddingTables(model: ModelProto, spec: FeatureContractSpec): string[] {
  const g = model.graph!;
  // Subgraphs (If/Loop/Scan bodies) read the outer graph's tensors by name: search them too.
  const graphs = allGraphs(g);
  const nodes = graphs.flatMap((x) => x.node);
  const inits = new Map(graphs.flatMap((x) => x.initializer.map((t) => [t.name, t.dims.map(Number)] as const)));
  const notes: string[] = [];
  const needs = [
    // Hashed ids (format 3): indices up to buckets + 1; a quotient-remainder graph reads its two tables
    // with Div/Mod of the index, not found here (so not checked; the probe's hashed ids reach both).
    spec.itemIds
      ? { inputs: [SERVING_INPUTS.historyItems, SERVING_INPUTS.candidateItems], rows: spec.itemIds.buckets + FIRST_INDEX, field: 'itemIds.buckets', what: `${spec.itemIds.buckets} hashed buckets` }
      : { inputs: [SERVING_INPUTS.historyItems, SERVING_INPUTS.candidateItems], rows: spec.items.length + FIRST_INDEX, field: 'items', what: `${spec.items.length} items` },
    { inputs: [SERVING_INPUTS.historyCategories, SERVING_INPUTS.candidateCategories], rows: spec.categories.length + FIRST_INDEX, field: 'categories', what: `${spec.categories.length} categories` },
  ];
  for (const need of needs) {
    const tables = new Map<string, number>();
    const seen = new Set<string>();
    const queue: string[] = [...need.inputs];
    // Whether anything but a pass-through (the importer's Cast, Identity, …) reads the indices.
    let read = false;
    while (queue.length) {
      const t = queue.shift()!;
      if (seen.has(t)) continue;
      seen.add(t);
      for (const n of nodes) {
        const at = n.input.indexOf(t);
        if (at < 0) continue;
        if (n.opType === 'Shape' || (n.opType === 'Expand' && at === 1)) continue; // reads the shape, not the indices
        if (n.opType === 'Gather' && at === 1 && inits.has(n.input[0])) tables.set(n.input[0], inits.get(n.input[0])![0]);
        else if (INDEX_PASSTHROUGH.has(n.opType) && at === 0) {
          queue.push(...n.output);
          continue;
        }
        read = true;
      }
    }
    for (const [table, rows] of tables) {
      if (rows < need.rows) {
        throw new VocabRefusal(
          need.field,
          `has ${need.what}, so indices up to ${need.rows - 1} (0 = padding, 1 = unknown, then 2…), but the graph's embedding table "${table}" has ${rows} rows`,
          need.field === 'items'
            ? `pass the vocabulary the model was trained with; the trainer must encode items[i] as i + 2 and size the table ${need.rows} rows (vocabulary + padding + unknown)`
            : need.field === 'categories'
              ? `pass the vocabulary the model was trained with; the trainer must encode categories[j] as j + 2 and size the table ${need.rows} rows (categories + padding + unknown)`
              : `pass the manifest the model was trained with; hashed ids need a table of ${need.rows} rows (buckets + padding + unknown), or a quotient-remainder pair (contract/hashedItems.ts)`,
        );
      }
      if (rows > need.rows) notes.push(`embedding table ${table} has ${rows} rows for ${need.rows} indices (${need.what} + padding + unknown): rows ${need.rows}… are never read`);
    }
    if (!read) notes.push(`${need.inputs.join('/')} are not read by the graph (the model ignores ${need.field})`);
    else if (tables.size === 0) notes.push(`no embedding table found for ${need.inputs.join('/')} (not a Gather on an initializer): the vocabulary size was not checked against the graph before the probe`);
  }
  return notes;
}
