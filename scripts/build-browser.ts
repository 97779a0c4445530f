/**
 * `npm run build:browser`: the browser files the worker serves (worker/routes/browser), written to
 * `models/browser/` (git-ignored; the static assets directory is `models/`):
 *
 * - `interest-edge.js`: the library (browser/index.ts) as one ESM file; its bare
 *   `onnxruntime-web/{webgpu,wasm}` imports point at `./ort/<version>/` beside it;
 * - `demo.html`, `demo.css`, `demo.js`: the demo page (demo/), served at `/demo`;
 * - `catalogue.json`: id, title, year and genres of every movie the demo's models know, most
 *   popular first (the vocabulary's order), from the vendored MovieLens `movies.csv`;
 * - `ort/<version>/`: onnxruntime-web's WASM and WebGPU entries and their wasm, the wasm stored
 *   gzip-compressed (`.wasm.gz`): the WebGPU build's wasm is 26.8 MB, over Workers' 25 MiB limit
 *   for one asset, 6.6 MB compressed.
 *
 * Also `dist/browser/`: the library for sites that bundle it themselves (onnxruntime-web left as a
 * peer import) with its type declarations. Unchanged inputs are not rewritten.
 */
import { parse } from 'csv-parse/sync';
import { build, type Plugin } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'models/browser');
const ORT_DIST = join(ROOT, 'node_modules/onnxruntime-web/dist');
const ORT_VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules/onnxruntime-web/package.json'), 'utf8')) as { version: string }).version;
/** The models the demo offers; their vocabularies make the catalogue. */
const DEMO_MODELS = ['din-movielens', 'dien-movielens'];
/** onnxruntime-web files a page needs: the two ESM entries, their Emscripten glue and wasm. */
const ORT_FILES = ['ort.webgpu.min.mjs', 'ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.asyncify.mjs'];
const ORT_WASM = ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.asyncify.wasm'];

const log = (line: string) => console.error(`[build:browser] ${line}`);

function fresh(out: string, ...inputs: string[]): boolean {
  if (!existsSync(out)) return false;
  const t = statSync(out).mtimeMs;
  return inputs.every((i) => statSync(i).mtimeMs <= t);
}

/** Bare onnxruntime-web imports → the files the worker serves next to the bundle. */
const ortFromWorker: Plugin = {
  name: 'ort-from-worker',
  setup(b) {
    b.onResolve({ filter: /^onnxruntime-web\/(webgpu|wasm)$/ }, (args) => ({
      path: `./ort/${ORT_VERSION}/ort.${args.path.endsWith('webgpu') ? 'webgpu' : 'wasm'}.min.mjs`,
      external: true,
    }));
  },
};

mkdirSync(join(OUT, 'ort', ORT_VERSION), { recursive: true });

// 1. onnxruntime-web
for (const f of ORT_FILES) {
  const to = join(OUT, 'ort', ORT_VERSION, f);
  if (!fresh(to, join(ORT_DIST, f))) copyFileSync(join(ORT_DIST, f), to);
}
for (const f of ORT_WASM) {
  const to = join(OUT, 'ort', ORT_VERSION, `${f}.gz`);
  if (fresh(to, join(ORT_DIST, f))) continue;
  const raw = readFileSync(join(ORT_DIST, f));
  const gz = gzipSync(raw, { level: 9 });
  writeFileSync(to, gz);
  log(`ort/${ORT_VERSION}/${f}: ${raw.length} bytes → ${gz.length} gzip`);
}

/**
 * Writes only what changed: `wrangler dev` reloads when its assets directory changes, so a rebuild
 * with nothing new must not touch `models/browser/` (tests build while other tests' wrangler runs).
 */
function writeIfChanged(path: string, bytes: Uint8Array): void {
  if (existsSync(path) && Buffer.compare(readFileSync(path), bytes) === 0) return;
  writeFileSync(path, bytes);
}

// 2. the library and the demo, for the worker to serve
const common = { bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true, sourcemap: true, legalComments: 'none', logLevel: 'warning' } as const;
const bundles = [
  await build({ ...common, entryPoints: { 'interest-edge': join(ROOT, 'browser/index.ts'), 'interest-edge-worker': join(ROOT, 'browser/worker.ts') }, outdir: OUT, write: false, plugins: [ortFromWorker] }),
  // The demo imports the library by URL, so the page loads it once.
  await build({
    ...common,
    entryPoints: { demo: join(ROOT, 'demo/demo.ts') },
    outdir: OUT,
    write: false,
    plugins: [{ name: 'library-by-url', setup: (b) => b.onResolve({ filter: /^interest-edge\/browser$/ }, () => ({ path: './interest-edge.js', external: true })) }],
  }),
];
for (const file of bundles.flatMap((b) => b.outputFiles)) writeIfChanged(file.path, file.contents);
for (const f of ['demo.html', 'demo.css']) writeIfChanged(join(OUT, f), readFileSync(join(ROOT, 'demo', f)));

// 3. the catalogue
const catalogue = join(OUT, 'catalogue.json');
const moviesCsv = join(ROOT, 'data/movielens-latest-small/movies.csv');
const manifests = DEMO_MODELS.map((m) => join(ROOT, 'models', m, 'manifest.json'));
if (!fresh(catalogue, moviesCsv, ...manifests)) {
  const movies = new Map<string, { title: string; genres: string[] }>();
  for (const row of parse(readFileSync(moviesCsv), { columns: true }) as Array<{ movieId: string; title: string; genres: string }>) {
    movies.set(row.movieId, { title: row.title, genres: row.genres === '(no genres listed)' ? [] : row.genres.split('|') });
  }
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const m of manifests) {
    for (const id of (JSON.parse(readFileSync(m, 'utf8')) as { featureContract: { items: string[] } }).featureContract.items) {
      if (!seen.has(id) && movies.has(id)) {
        seen.add(id);
        ids.push(id);
      }
    }
  }
  // [id, title, year, genres]: compact rows; the title without its "(year)".
  const rows = ids.map((id) => {
    const { title, genres } = movies.get(id)!;
    const m = /^(.*?)\s*\((\d{4})\)\s*$/.exec(title);
    return [id, m ? m[1] : title, m ? Number(m[2]) : null, genres];
  });
  writeIfChanged(catalogue, Buffer.from(JSON.stringify({ models: DEMO_MODELS, items: rows })));
  log(`catalogue.json: ${rows.length} movies`);
}

// 4. the library for bundlers: onnxruntime-web stays an import of the site's own copy
const DIST = join(ROOT, 'dist/browser');
rmSync(DIST, { recursive: true, force: true }); // the package ships exactly this build (nothing stale from older trees)
await build({ ...common, minify: false, entryPoints: { index: join(ROOT, 'browser/index.ts'), 'interest-edge-worker': join(ROOT, 'browser/worker.ts') }, outdir: DIST, external: ['onnxruntime-web', 'onnxruntime-web/*'] });
execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(ROOT, 'browser/tsconfig.lib.json')], { stdio: 'inherit' });
// 5. the typed client (any runtime with fetch), for the package's `interest-edge/client`
const CLIENT = join(ROOT, 'dist/client');
rmSync(CLIENT, { recursive: true, force: true });
await build({ ...common, platform: 'neutral', minify: false, entryPoints: { index: join(ROOT, 'client/index.ts') }, outdir: CLIENT });
execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(ROOT, 'client/tsconfig.lib.json')], { stdio: 'inherit' });
log(`written models/browser/ (served at /browser/ and /demo), dist/browser/ and dist/client/ (ORT ${ORT_VERSION})`);
