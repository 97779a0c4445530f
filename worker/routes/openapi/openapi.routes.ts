import { Hono } from 'hono';
import type { WorkerBindings } from '../../config.js';
import { methodNotAllowed } from '../../errors.js';
import { buildOpenApiDocument } from './openapi.js';

/** `GET /openapi.json`. */
export function openApiRoutes() {
  let document: Record<string, unknown> | undefined;
  return new Hono<{ Bindings: WorkerBindings }>()
    .get('/openapi.json', (c) => c.json((document ??= buildOpenApiDocument())))
    .all('/openapi.json', methodNotAllowed(['GET', 'HEAD', 'OPTIONS']));
}
