/**
 * Models published to browsers (routes with `"browser": true`; docs/browser.md):
 *
 * - `GET /v1/public/models/:name` → where its current version lives: `{name, version, sha256,
 *   manifest, onnx}` (URLs), cacheable for a minute — the only mutable URL;
 * - `GET /v1/public/models/:name/:version/manifest.json` → the public manifest (what a page needs
 *   to score: no metrics, training or cost; contract/manifest.ts `publicManifestOf`),
 *   and `GET /v1/public/models/:name/:version/<onnx file>` → the model: both immutable
 *   (`Cache-Control: public, max-age=31536000, immutable`), `ETag` = the model's sha256, 304 on
 *   `If-None-Match`. An old version is a 404 that names the current one.
 * - `GET /v1/public/models/:name/:version/rows/<shard>.bin` → one shard of a model whose item
 *   rows live outside the graph (contract/itemRows.ts): a page fetches only the shards of the
 *   items it scores. Immutable too; `ETag` = the store id and the shard.
 *
 * Every other model stays private: `run_worker_first` keeps `models/` off the public asset path,
 * and a name that no browser route serves is a 404 here like a name that does not exist.
 */
import { Hono, type Context } from 'hono';
import type { WorkerBindings } from '../../config.js';
import { workerConfig } from '../../config.js';
import { ApiError, methodNotAllowed } from '../../errors.js';
import type { PublishedModel } from '../../models/publishedModels.js';
import { readAsset } from '../../models/modelAssets.js';
import { HOT_SHARD_FILE, shardFileName } from '../../../contract/itemRows.js';
import type { Services } from '../../services.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const POINTER = 'public, max-age=60';

export function publicModelRoutes(services: Services) {
  const load = (c: Context<{ Bindings: WorkerBindings }>, name: string): Promise<PublishedModel> => services.published.get(name, workerConfig(c.env).assets);

  const current = async (c: Context<{ Bindings: WorkerBindings }>, name: string, version: string): Promise<PublishedModel> => {
    const p = await load(c, name);
    if (version !== p.files.manifest.version) {
      throw new ApiError('not_found', `model "${name}" version "${version}" is not served; the current version is "${p.files.manifest.version}" (GET /v1/public/models/${name})`);
    }
    return p;
  };

  const cached = (c: Context, etag: string, body: () => Response | Promise<Response>): Response | Promise<Response> => {
    // If-None-Match compares weakly (RFC 9110 §13.1.2): W/"x" matches "x".
    if (c.req.header('if-none-match')?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*')) {
      return new Response(null, { status: 304, headers: { etag, 'cache-control': IMMUTABLE } });
    }
    return body();
  };

  return new Hono<{ Bindings: WorkerBindings }>()
    .get('/v1/public/models/:name', async (c) => {
      const name = c.req.param('name');
      const { manifest } = (await load(c, name)).files;
      const base = `/v1/public/models/${name}/${manifest.version}`;
      return c.json(
        { name, version: manifest.version, type: manifest.type, sha256: manifest.onnx.sha256, bytes: manifest.onnx.bytes, manifest: `${base}/manifest.json`, onnx: `${base}/${manifest.onnx.file}`, ...(manifest.itemRows ? { rows: `${base}/${manifest.itemRows.directory}/` } : {}) },
        200,
        { 'cache-control': POINTER },
      );
    })
    .get('/v1/public/models/:name/:version/:directory/:file', async (c) => {
      const { name, version, directory, file } = c.req.param();
      const p = await current(c, name, version);
      const rows = p.files.manifest.itemRows;
      const shard = /^[0-9a-f]{5}\.bin$/.test(file) ? Number.parseInt(file.slice(0, 5), 16) : -1;
      if (!rows || directory !== rows.directory || (file !== HOT_SHARD_FILE && (shard < 0 || shard >= rows.shards))) {
        throw new ApiError('not_found', `model "${name}" has no file "${directory}/${file}"${rows ? `; its row shards are ${rows.directory}/${HOT_SHARD_FILE} and ${rows.directory}/00000.bin … ${rows.directory}/${shardFileName(rows.shards - 1)}` : ''}`);
      }
      const etag = `"${rows.storeId}-${file}"`;
      return cached(c, etag, async () => new Response(await readAsset(workerConfig(c.env).assets, `${name}/${rows.directory}/${file}`), { headers: { 'content-type': 'application/octet-stream', etag, 'cache-control': IMMUTABLE } }));
    })
    .get('/v1/public/models/:name/:version/:file', async (c) => {
      const { name, version, file } = c.req.param();
      const p = await current(c, name, version);
      if (file === 'manifest.json') {
        return cached(c, p.manifestEtag, () => new Response(p.manifestBody, { headers: { 'content-type': 'application/json; charset=utf-8', etag: p.manifestEtag, 'cache-control': IMMUTABLE } }));
      }
      if (file === p.files.manifest.onnx.file) {
        const etag = `"${p.files.manifest.onnx.sha256}"`;
        return cached(c, etag, () => new Response(p.files.onnx, { headers: { 'content-type': 'application/octet-stream', etag, 'cache-control': IMMUTABLE } }));
      }
      throw new ApiError('not_found', `model "${name}" has no file "${file}"; its files are manifest.json and ${p.files.manifest.onnx.file}`);
    })
    .on(['POST', 'PUT', 'PATCH', 'DELETE'], ['/v1/public/models/:name', '/v1/public/models/:name/:version/:file', '/v1/public/models/:name/:version/:directory/:file'], methodNotAllowed(['GET', 'HEAD', 'OPTIONS']));
}
