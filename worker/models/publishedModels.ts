/**
 * Models published to browsers (routes with `"browser": true`): read and verified once per isolate,
 * with the public manifest (contract/manifest.ts `publicManifestOf`) serialised once. Shared by the
 * public model routes and the assignment endpoint (which names the version a page will load).
 */
import { publicManifestOf } from '../../contract/manifest.js';
import { ApiError } from '../../core/errors.js';
import { browserModelsOf, type RouteConfig } from '../../core/experiments/routeConfig.js';
import { readVerifiedModel, type VerifiedModelFiles } from './modelAssets.js';
import { sha256Hex } from '../../core/models/sha256.js';

export interface PublishedModel {
  files: VerifiedModelFiles;
  /** The public manifest as served: compact JSON. */
  manifestBody: string;
  manifestEtag: string;
}

export interface PublishedModels {
  /** The published model `name`: 404 if no browser route serves it, 503 if it cannot be read. */
  get(name: string, assets: Fetcher): Promise<PublishedModel>;
}

export function createPublishedModels(routes: RouteConfig): PublishedModels {
  const published = browserModelsOf(routes);
  const cache = new Map<string, Promise<PublishedModel>>();
  return {
    get(name, assets) {
      if (!published.has(name)) return Promise.reject(new ApiError('not_found', `model "${name}" is not published to browsers (no route with "browser": true serves it)`));
      let entry = cache.get(name);
      if (!entry) {
        entry = (async () => {
          const files = await readVerifiedModel(assets, name);
          const manifestBody = JSON.stringify(publicManifestOf(files.manifest));
          return { files, manifestBody, manifestEtag: `"${(await sha256Hex(new TextEncoder().encode(manifestBody))).slice(0, 32)}"` };
        })();
        cache.set(name, entry);
        entry.catch(() => cache.delete(name)); // a broken deployment is retried, not remembered
      }
      return entry.catch((err: unknown) => {
        throw new ApiError('model_unavailable', `model "${name}" is unavailable; see the worker log`, { headers: { 'Retry-After': '30' }, cause: err });
      });
    },
  };
}
