/**
 * The browser library, its onnxruntime-web files and the demo page, from the static assets
 * (`models/browser/`, written by `npm run build:browser`; docs/browser.md):
 *
 * - `GET /browser/<file>`: the library bundle (`interest-edge.js`), the demo's files, the catalogue;
 * - `GET /browser/ort/<ORT version>/<file>`: onnxruntime-web's ESM entries and wasm, immutable. The
 *   wasm files are stored gzip-compressed (`<file>.gz`) because ORT's WebGPU build is 26.8 MB, over
 *   Workers' 25 MiB limit for one asset (6.6 MB compressed); they are sent with
 *   `Content-Encoding: gzip` as they are, or decompressed here for a client that does not accept gzip;
 * - `GET /demo`: the demo page, with a CSP that allows only same-origin scripts and WebAssembly
 *   compilation (`'wasm-unsafe-eval'`, which ORT needs and which allows no JS eval).
 */
import { Hono, type Context } from 'hono';
import { workerConfig, type WorkerBindings } from '../../config.js';
import { ApiError, methodNotAllowed } from '../../errors.js';
import { ASSET_ORIGIN } from '../../models/modelAssets.js';

export const DEMO_CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  wasm: 'application/wasm',
  json: 'application/json; charset=utf-8',
  css: 'text/css; charset=utf-8',
  html: 'text/html; charset=utf-8',
  png: 'image/png',
  svg: 'image/svg+xml',
};


async function asset(c: Context<{ Bindings: WorkerBindings }>, path: string): Promise<Response | undefined> {
  const res = await workerConfig(c.env).assets.fetch(`${ASSET_ORIGIN}/browser/${path}`);
  if (res.ok) return res;
  await res.body?.cancel();
  return undefined;
}

function notBuilt(path: string): never {
  throw new ApiError('not_found', `no browser file "${path}" (the browser files are built by \`npm run build:browser\`, which \`npm start\` runs)`);
}

export function browserRoutes() {
  return new Hono<{ Bindings: WorkerBindings }>()
    .get('/demo', async (c) => {
      const page = (await asset(c, 'demo.html')) ?? notBuilt('demo.html');
      return new Response(page.body, { headers: { 'content-type': TYPES.html, 'cache-control': 'no-cache', 'content-security-policy': DEMO_CSP } });
    })
    .get('/browser/:path{.+}', async (c) => {
      const path = c.req.param('path');
      if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(path) || path.includes('..')) notBuilt(path);
      const ext = path.slice(path.lastIndexOf('.') + 1);
      const type = TYPES[ext] ?? 'application/octet-stream';
      const cacheControl = path.startsWith('ort/') ? 'public, max-age=31536000, immutable' : 'public, max-age=300';
      if (ext === 'wasm') {
        const gz = (await asset(c, `${path}.gz`)) ?? notBuilt(path);
        const acceptsGzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
        if (acceptsGzip) {
          // As stored: the runtime must not compress again (encodeBody: 'manual').
          return new Response(gz.body, { headers: { 'content-type': type, 'content-encoding': 'gzip', 'cache-control': cacheControl, vary: 'accept-encoding' }, encodeBody: 'manual' } as ResponseInit);
        }
        return new Response(gz.body!.pipeThrough(new DecompressionStream('gzip')), { headers: { 'content-type': type, 'cache-control': cacheControl, vary: 'accept-encoding' } });
      }
      const file = (await asset(c, path)) ?? notBuilt(path);
      return new Response(file.body, { headers: { 'content-type': type, 'cache-control': cacheControl } });
    })
    .all('/demo', methodNotAllowed(['GET', 'HEAD']))
    .all('/browser/*', methodNotAllowed(['GET', 'HEAD']));
}
