/**
 * `npm run bench -- catalogue [-- --items 1e4,1e6,1e7 --requests 200]` (issue 28, item 5): a
 * DIN over a generated catalogue of 10⁴, 10⁶ and 10⁷ items (ids `i<n>` and 50 categories, as the
 * seeded generator bench/data/generatePersonalize.ts names them), for each storage option of the
 * item rows, in one run:
 *
 * - `graph`: the full vocabulary in the manifest and the item table inside the ONNX graph (today's
 *   export) — measured where the graph fits one 25 MiB asset, else reported as not deployable;
 * - `graph-int8`: the same with int8 weights (`--quantize int8`): a 4× smaller table, so 10⁶ items
 *   still fit one asset — and the manifest still carries the whole vocabulary;
 * - `store`: item rows outside the graph, int8 shards read per request (docs/catalogues.md);
 * - `hashed`: quotient-remainder hashed ids (docs/feature-contract.md) with min(N/10, 2^18) rows.
 *
 * Weights are the seeded random initialisation: serving cost does not depend on what was learnt.
 * Per catalogue and option: export size and files, the deploy check (`npm run deploy -- --dry-run
 * --config`), the model's load in the worker (first request), workerd RSS, warm-cache and
 * cold-cache p50/p99 at H = 50, C = 100 through `wrangler dev` (client-side wall time), the ratio of
 * the warm p50 to the shipped 9,724-item DIN's in the same run, and a page's bytes for a first score
 * (manifest, graph and the shards its load and first request read: ORT's own files are the same for
 * every option, see `bench browser`). Training throughput per catalogue size: bench/catalogueTraining.ts.
 *
 * Needs memory: run as `NODE_OPTIONS=--max-old-space-size=16384 npm run bench -- catalogue` for 10⁷
 * (the bench re-executes itself with that flag when the heap limit is lower). Run it from a clone:
 * wrangler dev restarts when files under worker/ or models/ change. Writes
 * bench/results/<date>-catalogue.{md,json}.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { parseArgs } from 'node:util';
import seedrandom from 'seedrandom';
import { buildFeatureContract, FeatureContract, FIRST_INDEX, type FeatureContractSpec } from '../contract/featureContract.js';
import { hashedItemIdsFor } from '../contract/hashedItems.js';
import { modelManifestSchema, publicManifestSchema, type ModelManifest } from '../contract/manifest.js';
import { DEFAULT_ROW_CACHE_BYTES, ItemRowStore } from '../core/rows/itemRowStore.js';
import { createModel, defaultConfig } from '../model-export/models/index.js';
import { exportModel } from '../model-export/onnx/exportModel.js';
import { selectBackend } from '../model-export/train/backend.js';
import { measureTrainingThroughput } from './catalogueTraining.js';
import { table, kib, mib, ms, ratio } from './lib/markdown.js';
import { writeResults } from './lib/results.js';
import { REPO_ROOT } from './lib/servingModels.js';
import { percentile } from './lib/stats.js';
import { systemInfo } from './lib/system.js';
import { startWranglerDev, workerdRssBytes, writeDeploymentConfig, type WranglerDev } from './lib/wranglerDev.js';

const HEAP_MB = 16_384;
if ((getHeapStatistics().heap_size_limit < (HEAP_MB - 1024) * 1024 * 1024 || !(globalThis as { gc?: unknown }).gc) && !process.env.CATALOGUE_BENCH_CHILD) {
  const r = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_MB}`, '--expose-gc', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, CATALOGUE_BENCH_CHILD: '1' } });
  process.exit(r.status ?? 1);
}

const { values: args } = parseArgs({
  options: {
    items: { type: 'string', default: '1e4,1e6,1e7' },
    requests: { type: 'string', default: '200' },
    'cold-requests': { type: 'string', default: '100' },
    options: { type: 'string', default: 'graph,graph-int8,store,hashed' },
    out: { type: 'string' },
    'skip-training': { type: 'boolean', default: false },
  },
});
const SIZES = args.items.split(',').map((s) => Math.round(Number(s)));
const REQUESTS = Number(args.requests);
const COLD_REQUESTS = Number(args['cold-requests']);
const H = 50;
const C = 100;
const CATEGORIES = 50;
const ASSET_LIMIT = 25 * 1024 * 1024;
const REFERENCE = 'din-movielens';
const ADMIN = 'catalogue-bench-admin';
const log = (line: string) => console.error(`[bench catalogue] ${line}`);
const WORK = join(REPO_ROOT, '.cache/catalogue');

/** The shipped DIN's architecture (models/din-movielens: activation unit 16-8, MLP 200-80, Dice), so the reference differs by its catalogue only. */
const SHIPPED_DIN = { embeddingDim: 16, attentionHidden: [16, 8] as [number, number], mlpHidden: [200, 80], mlpActivation: 'dice' as const };

type Option = 'graph' | 'graph-int8' | 'store' | 'hashed';

interface Served {
  loadMs: number;
  firstRequestMs: number;
  warm: { p50: number; p99: number };
  cold: { p50: number; p99: number };
  typical: { p50: number; p99: number };
  warmP50VsReference: number;
  wasmMemoryBytes: number | null;
  /** Isolate memory: V8 heap in use + ORT's wasm memory + the row cache (the 128 MB limit counts all three). */
  isolateBytes: number;
  rssBytes: number;
  rowCache?: { entries: number; bytes: number; shardReads: number; bytesRead: number };
  /** A page's model bytes for its first score: pointer + manifest + graph + shards read. */
  browserFirstScoreBytes: number;
  browserShards: number;
}

interface OptionResult {
  option: Option;
  items: number;
  /** Bytes of every file the model deploys (manifest, graph, shards). */
  exportBytes: number;
  files: number;
  largestFileBytes: number;
  manifestBytes: number;
  onnxBytes: number;
  exportSeconds: number;
  /** What the loaded model adds to a V8 heap (manifest, contract, hot shard), measured in Node: modelHeapBytes. */
  modelHeapBytes: number;
  deployable: boolean;
  note?: string;
  served?: Served;
}

interface CatalogueResult {
  items: number;
  deployCheck?: { passed: boolean; table: string };
  reference?: { warm: { p50: number; p99: number } };
  options: OptionResult[];
}

/** A catalogue as the seeded generator names it: `i<n>`, 50 categories. */
function contractFor(items: number): FeatureContract {
  const rng = seedrandom(`catalogue:${items}`);
  const ids = Array.from({ length: items }, (_, i) => `i${i}`);
  const spec: FeatureContractSpec = {
    formatVersion: 2,
    maxHistory: H,
    padding: 'right',
    truncation: 'keep-most-recent',
    padIndex: 0,
    oovIndex: 1,
    items: ids,
    categories: Array.from({ length: CATEGORIES }, (_, c) => `cat${c}`),
    itemCategories: ids.map(() => FIRST_INDEX + Math.floor(rng() * CATEGORIES)),
    vocabularyRule: `generated catalogue of ${items} items (bench/catalogue.ts)`,
    features: [],
  };
  return new FeatureContract(spec);
}

function filesUnder(dir: string): Array<{ path: string; bytes: number }> {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile())
    .map((d) => ({ path: join(d.parentPath, d.name), bytes: statSync(join(d.parentPath, d.name)).size }));
}

async function exportOption(option: Option, items: number, dir: string): Promise<OptionResult> {
  const name = `cat-${option}`;
  const started = performance.now();
  const contract = contractFor(items);
  const config = { ...defaultConfig('din', contract.itemCount, contract.categoryCount), ...SHIPPED_DIN };
  const graphTableBytes = contract.itemCount * config.embeddingDim * (option === 'graph-int8' ? 1 : 4);
  if ((option === 'graph' || option === 'graph-int8') && graphTableBytes > ASSET_LIMIT) {
    return { option, items, exportBytes: graphTableBytes, files: 2, largestFileBytes: graphTableBytes, manifestBytes: 0, onnxBytes: graphTableBytes, exportSeconds: 0, modelHeapBytes: Number.NaN, deployable: false, note: `the item table alone is ${mib(graphTableBytes)}: over the 25 MiB asset limit (not exported)` };
  }
  if (option === 'hashed') {
    await hashedExport(items, join(dir, name));
  } else {
    const model = createModel(config, 1);
    await exportModel(model, contract, { dir: join(dir, name), name, metrics: {}, training: { bench: 'bench/catalogue.ts', items }, itemRows: option === 'store' ? 'store' : 'graph', ...(option === 'graph-int8' ? { quantize: 'int8' as const } : {}) });
    model.params.dispose();
  }
  const files = filesUnder(join(dir, name));
  const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(dir, name, 'manifest.json'), 'utf8')));
  return {
    option,
    items,
    exportBytes: files.reduce((n, f) => n + f.bytes, 0),
    files: files.length,
    largestFileBytes: Math.max(...files.map((f) => f.bytes)),
    manifestBytes: statSync(join(dir, name, 'manifest.json')).size,
    onnxBytes: manifest.onnx.bytes,
    exportSeconds: (performance.now() - started) / 1000,
    modelHeapBytes: modelHeapBytes(join(dir, name)),
    deployable: Math.max(...files.map((f) => f.bytes)) <= ASSET_LIMIT,
  };
}

/** Rows of the hashed option: a tenth of the catalogue, at most 2^18 (16 MiB of float32 at D = 16: one asset with room to spare). */
const hashedRowsFor = (items: number) => Math.min(Math.round(items / 10), 2 ** 18);

/** The hashed-ids option (docs/feature-contract.md): no vocabulary, quotient-remainder tables of hashedRowsFor(items) rows. */
async function hashedExport(items: number, dir: string): Promise<void> {
  // Categories are the only vocabulary left: one stand-in item per category builds it.
  const counts = new Map(Array.from({ length: CATEGORIES }, (_, c) => [`i${c}`, 1]));
  const itemCategory = new Map(Array.from({ length: CATEGORIES }, (_, c) => [`i${c}`, `cat${c}`]));
  const contract = buildFeatureContract(counts, itemCategory, { maxHistory: H, minItemCount: 1, itemIds: hashedItemIdsFor(hashedRowsFor(items)) });
  const model = createModel({ ...defaultConfig('din', contract.itemCount, contract.categoryCount), ...SHIPPED_DIN, itemIds: contract.hashedItems }, 1);
  await exportModel(model, contract, { dir, name: 'cat-hashed', metrics: {}, training: { bench: 'bench/catalogue.ts', items, hashedRows: hashedRowsFor(items) }, itemRows: 'graph' });
  model.params.dispose();
}

/**
 * A request over the catalogue: `uniform` draws every id uniformly (the cold-cache worst case: at
 * 10⁷ items nearly every id is new to the isolate), `zipf` by popularity rank with exponent 1 (rank
 * ⌊(N+1)^u⌋ − 1 for uniform u, the continuous Zipf(1) inverse CDF; item `i<k>` has rank k, the
 * vocabulary's order, so the head is the row store's hot set): typical traffic.
 */
function requestFor(rng: () => number, items: number, draw: 'uniform' | 'zipf' = 'uniform') {
  const id = () => `i${draw === 'uniform' ? Math.floor(rng() * items) : Math.min(items - 1, Math.floor((items + 1) ** rng()) - 1)}`;
  return { history: Array.from({ length: H }, id), candidates: Array.from({ length: C }, id) };
}

async function timed(dev: WranglerDev, route: string, body: unknown): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${dev.origin}/v1/score/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${route}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return performance.now() - t0;
}

/** What a loaded model adds to a V8 heap, measured in a fresh Node process (bench/lib/modelHeap.ts). */
function modelHeapBytes(modelDir: string): number {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(REPO_ROOT, 'bench/lib/modelHeap.ts'), modelDir], { cwd: REPO_ROOT, encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : Number.NaN;
}

/** Uniform ids after ORT's tier-up on a fixed set: the cold-cache worst case. */
async function coldStream(dev: WranglerDev, route: string, items: number): Promise<{ p50: number; p99: number }> {
  const rng = seedrandom(`cold:${route}:${items}`);
  const fixed = Array.from({ length: 10 }, () => requestFor(rng, items));
  for (let i = 0; i < 60; i++) await timed(dev, route, fixed[i % fixed.length]);
  const cold: number[] = [];
  for (let i = 0; i < COLD_REQUESTS; i++) cold.push(await timed(dev, route, requestFor(rng, items)));
  return p(cold);
}

const p = (xs: number[]) => ({ p50: percentile(xs, 0.5), p99: percentile(xs, 0.99) });

/**
 * The worker's own V8 heap, its code and state without a model's data: 8 MiB, the most wrangler's
 * inspector showed for the whole isolate heap with a 10⁴-item model loaded and served (6.6–9.5 MiB
 * over four options). The inspector is not used here: under wrangler dev a session that fails to
 * open can leave workerd unresponsive (seen at 10⁶ items, cold stream), so the model's own part is
 * measured in Node instead (modelHeapBytes).
 */
const WORKER_BASE_HEAP_BYTES = 8 * 2 ** 20;

async function serveOption(dev: WranglerDev, route: string, items: number, manifest: ModelManifest, referenceWarmP50: number, modelHeap: number): Promise<Served> {
  const rng = seedrandom(`requests:${route}:${items}`);
  const firstRequestMs = await timed(dev, route, requestFor(rng, items));
  // V8 tiers ORT's wasm up over the first few dozen runs (docs/worker.md): not what either cache
  // state costs. The warm-up repeats the warm set, so it reads no shard beyond the first pass.
  const fixed = Array.from({ length: 10 }, () => requestFor(rng, items));
  for (let i = 0; i < 60; i++) await timed(dev, route, fixed[i % fixed.length]);
  const warm: number[] = [];
  for (let i = 0; i < REQUESTS; i++) warm.push(await timed(dev, route, fixed[i % fixed.length]));
  const typical: number[] = [];
  for (let i = 0; i < REQUESTS; i++) typical.push(await timed(dev, route, requestFor(rng, items, 'zipf')));
  const models = (await (await fetch(`${dev.origin}/v1/models`, { headers: { 'x-admin-token': ADMIN } })).json()) as { models: Array<{ name: string; runtime?: { loadMs: number; wasmMemoryBytes: number | null; itemRows?: { cachedEntries: number; cachedBytes: number; shardReads: number; bytesRead: number } } }> };
  const info = models.models.find((m) => m.name === manifest.name)?.runtime;
  const page = await browserFirstScore(dev, manifest.name, requestFor(seedrandom(`page:${items}`), items));
  return {
    loadMs: info?.loadMs ?? NaN,
    firstRequestMs,
    warm: p(warm),
    cold: { p50: NaN, p99: NaN },
    typical: p(typical),
    warmP50VsReference: p(warm).p50 / referenceWarmP50,
    wasmMemoryBytes: info?.wasmMemoryBytes ?? null,
    // The worker's own heap + the model's (measured in Node) + ORT's wasm memory (reported by the
    // worker) + the row cache's bound (whatever the traffic, it never holds more).
    isolateBytes: WORKER_BASE_HEAP_BYTES + modelHeap + (info?.wasmMemoryBytes ?? 0) + (info?.itemRows ? DEFAULT_ROW_CACHE_BYTES : 0),
    rssBytes: workerdRssBytes(dev.pid),
    ...(info?.itemRows ? { rowCache: { entries: info.itemRows.cachedEntries, bytes: info.itemRows.cachedBytes, shardReads: info.itemRows.shardReads, bytesRead: info.itemRows.bytesRead } } : {}),
    ...page,
  };
}

/**
 * What a page downloads to score once, by the browser library's own URLs: the pointer, the public
 * manifest, the graph and (row-store models) the shards its golden replay and first request read,
 * read with the library's row store. ORT's runtime files are excluded (the same for every option).
 */
async function browserFirstScore(dev: WranglerDev, name: string, request: { history: string[]; candidates: string[] }): Promise<{ browserFirstScoreBytes: number; browserShards: number }> {
  const get = async (path: string) => {
    const res = await fetch(path.startsWith('http') ? path : `${dev.origin}${path}`);
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
  const pointerBytes = await get(`/v1/public/models/${name}`);
  const pointer = JSON.parse(new TextDecoder().decode(pointerBytes)) as { manifest: string; onnx: string; rows?: string };
  const manifestBytes = await get(pointer.manifest);
  const onnx = await get(pointer.onnx);
  let bytes = pointerBytes.length + manifestBytes.length + onnx.length;
  const manifest = publicManifestSchema.parse(JSON.parse(new TextDecoder().decode(manifestBytes)));
  if (!manifest.itemRows || !pointer.rows) return { browserFirstScoreBytes: bytes, browserShards: 0 };
  const store = new ItemRowStore(manifest.itemRows, (file) => get(`${pointer.rows}${file}`));
  for (const g of manifest.golden?.requests ?? []) await store.resolve([...g.history, ...g.candidates]);
  await store.resolve([...request.history.slice(-manifest.featureContract.maxHistory), ...request.candidates]);
  bytes += store.stats.bytesRead;
  return { browserFirstScoreBytes: bytes, browserShards: store.stats.shardReads };
}


function routesFor(options: OptionResult[]): string {
  const routes: Record<string, unknown> = { reference: { variants: [{ name: 'din', model: REFERENCE, weight: 1 }] } };
  for (const o of options) if (o.deployable) routes[o.option] = { browser: true, variants: [{ name: o.option, model: `cat-${o.option}`, weight: 1 }] };
  return JSON.stringify({ defaultRoute: 'reference', routes });
}

async function runCatalogue(items: number): Promise<CatalogueResult> {
  const dir = join(WORK, String(items));
  rmSync(dir, { recursive: true, force: true });
  const models = join(dir, 'models');
  mkdirSync(models, { recursive: true });
  cpSync(join(REPO_ROOT, 'models', REFERENCE), join(models, REFERENCE), { recursive: true });
  const options: OptionResult[] = [];
  for (const option of args.options.split(',') as Option[]) {
    log(`${items} items: exporting ${option}`);
    options.push(await exportOption(option, items, models));
  }
  const config = writeDeploymentConfig(dir, 'bench/workerd/catalogueWorker.ts');
  log(`${items} items: deploy check`);
  const deploy = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/deploy.ts'), '--dry-run', '--config', config], { cwd: REPO_ROOT, encoding: 'utf8' });
  const deployCheck = { passed: deploy.status === 0, table: deploy.stdout.split('\n').filter((l) => l.startsWith('|')).join('\n') };
  const vars = (routes: string) => ({ CATALOGUE_ROUTES: routes, ADMIN_TOKEN: ADMIN, EXPOSURE_LOG: 'console' });
  // The reference and every option in a fresh wrangler dev of its own: each isolate holds one model.
  log(`${items} items: reference ${REFERENCE}`);
  const refItems = modelManifestSchema.parse(JSON.parse(readFileSync(join(models, REFERENCE, 'manifest.json'), 'utf8'))).featureContract.items;
  const reference = await withDev(config, vars(routesFor([])), async (dev) => {
    const rng = seedrandom('reference');
    const refRequest = () => ({ history: Array.from({ length: H }, () => refItems[Math.floor(rng() * refItems.length)]), candidates: Array.from({ length: C }, () => refItems[Math.floor(rng() * refItems.length)]) });
    for (let i = 0; i < 60; i++) await timed(dev, 'reference', refRequest());
    const fixed = Array.from({ length: 10 }, refRequest);
    const warm: number[] = [];
    for (let i = 0; i < REQUESTS; i++) warm.push(await timed(dev, 'reference', fixed[i % fixed.length]));
    return { warm: p(warm) };
  });
  for (const o of options) {
    if (!o.deployable) continue;
    log(`${items} items: serving ${o.option}`);
    const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(models, `cat-${o.option}`, 'manifest.json'), 'utf8')));
    o.served = await withDev(config, vars(routesFor([o])), (dev) => serveOption(dev, o.option, items, manifest, reference.warm.p50, o.modelHeapBytes));
    // The cold-cache stream in a wrangler dev of its own: under wrangler dev, workerd keeps what
    // every asset read allocated (a worker that only reads assets grows the same way), and at 10⁷
    // items the warm, typical and cold streams together ran it out of its 1.4 GB heap.
    o.served.cold = await withDev(config, vars(routesFor([o])), (dev) => coldStream(dev, o.option, items));
  }
  return { items, deployCheck, reference, options };
}

async function withDev<T>(config: string, vars: Record<string, string>, run: (dev: WranglerDev) => Promise<T>): Promise<T> {
  const dev = await startWranglerDev(config, vars);
  try {
    return await run(dev);
  } catch (err) {
    log(`failed; wrangler dev's last lines:\n${dev.log().split('\n').slice(-40).join('\n')}`);
    throw err;
  } finally {
    await dev.stop();
  }
}

const results: CatalogueResult[] = [];
const trainingRows: Array<{ items: number; sparse: number; dense?: number }> = [];
for (const items of SIZES) {
  await selectBackend('cpu', () => {});
  results.push(await runCatalogue(items));
}
if (!args['skip-training']) {
  await selectBackend('wasm', () => {});
  for (const items of SIZES) {
    log(`${items} items: training throughput`);
    const sparse = (await measureTrainingThroughput({ items, sparse: true, steps: 30, batchSize: 256 })).samplesPerSecond;
    // The dense update of 10⁷ rows does not fit the wasm backend's memory (docs/models.md).
    const dense = items <= 1_000_000 ? (await measureTrainingThroughput({ items, sparse: false, steps: 10, batchSize: 256 })).samplesPerSecond : undefined;
    trainingRows.push({ items, sparse, ...(dense !== undefined ? { dense } : {}) });
  }
}

const fmtItems = (n: number) => (n >= 1e6 ? `${n / 1e6}·10⁶` : n >= 1e4 ? `${n / 1e4}·10⁴` : String(n));
const lines: string[] = [
  `# Catalogue benchmark (${new Date().toISOString().slice(0, 10)})`,
  '',
  `\`npm run bench -- catalogue\` (bench/catalogue.ts). DIN with the shipped model's architecture (embeddings 16 + 16, activation unit 16-8, MLP 200-80, Dice), H = ${H}, C = ${C}, seeded random weights. Latency is client-side wall time through \`wrangler dev\` on 127.0.0.1, sequential, ${REQUESTS} requests per stream (${COLD_REQUESTS} cold-cache ones) after 60 warm-up requests; cold-cache requests draw every id uniformly from the catalogue (nearly every id is new to the isolate's row cache: the worst case), typical requests draw ids by popularity (Zipf, exponent 1: the head is the row store's hot set), warm-cache requests repeat 10 fixed requests. The reference is the shipped ${REFERENCE} (9,724 items, item table in the graph) in the same \`wrangler dev\`.`,
  '',
  '## Serving',
  '',
  table(
    ['items', 'option', 'deployable', 'files', 'export', 'largest file', 'manifest', 'model load (first request)', 'warm p50 / p99', 'warm p50 ÷ reference', 'typical (Zipf) p50 / p99', 'cold-cache p50 / p99', 'isolate memory (V8 heap + ORT wasm + row cache)', 'model heap (Node)', 'row cache', 'page: first score'],
    results.flatMap((r) =>
      r.options.map((o) => [
        fmtItems(r.items),
        o.option,
        o.deployable ? 'yes' : `no: ${o.note ?? 'over the asset limit'}`,
        String(o.files),
        `${mib(o.exportBytes)}`,
        `${mib(o.largestFileBytes)}`,
        `${kib(o.manifestBytes)}`,
        o.served ? ms(o.served.loadMs) : '–',
        o.served ? `${ms(o.served.warm.p50)} / ${ms(o.served.warm.p99)}` : '–',
        o.served ? ratio(o.served.warmP50VsReference) : '–',
        o.served ? `${ms(o.served.typical.p50)} / ${ms(o.served.typical.p99)}` : '–',
        o.served ? `${ms(o.served.cold.p50)} / ${ms(o.served.cold.p99)}` : '–',
        o.served ? `${mib(o.served.isolateBytes)} (${mib(WORKER_BASE_HEAP_BYTES + o.modelHeapBytes)} + ${o.served.wasmMemoryBytes ? mib(o.served.wasmMemoryBytes) : '?'} + ${mib(o.served.rowCache?.bytes ?? 0)})` : '–',
        Number.isFinite(o.modelHeapBytes) ? mib(o.modelHeapBytes) : '–',
        o.served?.rowCache ? `${o.served.rowCache.entries} rows, ${mib(o.served.rowCache.bytes)}` : '–',
        o.served ? `${kib(o.served.browserFirstScoreBytes)}${o.served.browserShards ? ` (${o.served.browserShards} shards)` : ''}` : '–',
      ]),
    ),
  ),
  '',
  'Isolate memory: V8 heap = the worker\'s own 8 MiB (the most the inspector showed for a whole isolate with a 10⁴-item model) + what the model adds to a V8 heap, measured in Node (manifest, contract, hot shard: the `model heap` column); + ORT\'s wasm memory from the worker (`GET /v1/models`) + the row cache\'s bound, 16 MiB (the `row cache` column shows what it held after the warm and typical streams). Under wrangler dev workerd\'s RSS also grows with every asset read and does not return it (a worker that only reads assets does the same); that is not the isolate\'s heap.',
  '',
  'Reference warm p50 / p99 per run: ' + results.map((r) => `${fmtItems(r.items)}: ${ms(r.reference!.warm.p50)} / ${ms(r.reference!.warm.p99)}`).join('; ') + '.',
  '',
  '## Deploy check (`npm run deploy -- --dry-run --config`, every option of a catalogue in one upload)',
  '',
  ...results.flatMap((r) => [`**${fmtItems(r.items)} items**: ${r.deployCheck?.passed ? 'passes' : 'fails'}`, '', r.deployCheck?.table ?? '', '']),
  ...(trainingRows.length
    ? [
        '## Training throughput (bench/catalogueTraining.ts)',
        '',
        table(
          ['items', 'sparse rows (lazy Adam) samples/s', 'dense table samples/s', 'sparse ÷ sparse at the smallest catalogue'],
          trainingRows.map((t) => [fmtItems(t.items), String(Math.round(t.sparse)), t.dense !== undefined ? String(Math.round(t.dense)) : '– (not run: the dense update of 10⁷ rows)', ratio(t.sparse / trainingRows[0].sparse)]),
        ),
        '',
      ]
    : []),
  '## Machine',
  '',
  '```',
  JSON.stringify(systemInfo(), null, 1),
  '```',
];
const stem = writeResults(args.out ?? `${new Date().toISOString().slice(0, 10)}-catalogue`, lines.join('\n'), { results, training: trainingRows, system: systemInfo() });
console.log(readFileSync(`${stem}.md`, 'utf8'));
log(`wrote ${relative(REPO_ROOT, stem)}.{md,json}`);
