import { Hono } from 'hono';
import { workerConfig, type WorkerBindings } from '../../config.js';
import { ApiError, methodNotAllowed } from '../../errors.js';
import { tokenMatches } from '../../experiments/forcedVariant.js';
import { modelsOf } from '../../../core/experiments/routeConfig.js';
import type { LoadedModel } from '../../models/registry.js';
import type { Services } from '../../services.js';

import { modelsResponseSchema, type ModelsResponse } from '../../../core/schema/models.schema.js';

export { modelsResponseSchema, type ModelsResponse };

/**
 * `GET /v1/models`: every model the route config names, loading (and verifying) each on first
 * use. 200 while at least one loads; 503 when none does.
 */
export function modelsRoutes(services: Services) {
  const names = modelsOf(services.routes);
  return new Hono<{ Bindings: WorkerBindings }>()
    .get('/v1/models', async (c) => {
      const { assets } = workerConfig(c.env);
      const models = await Promise.all(
        names.map((name) =>
          services.registry.get(name, assets).then(modelSummary, (err: unknown) => ({
            name,
            status: 'unavailable' as const,
            error: err instanceof Error ? err.message : String(err),
          })),
        ),
      );
      if (models.every((m) => m.status === 'unavailable')) {
        throw new ApiError('model_unavailable', `no model can be loaded (${names.join(', ')}); see the worker log`);
      }
      // Public view: what a client needs to call the model. Memory, load times and offline metrics
      // describe our deployment and training data: only with the admin token.
      const admin = await tokenMatches(c.req.header(ADMIN_TOKEN_HEADER), c.env.ADMIN_TOKEN || undefined);
      const body: ModelsResponse = { models: admin ? models : models.map((m) => ('runtime' in m ? withoutPrivate(m) : m)) };
      return c.json(body, 200, { 'cache-control': 'no-store' });
    })
    .all('/v1/models', methodNotAllowed(['GET', 'HEAD', 'OPTIONS']));
}

export const ADMIN_TOKEN_HEADER = 'x-admin-token';

function withoutPrivate<T extends { runtime?: unknown; metrics?: unknown }>(m: T): Omit<T, 'runtime' | 'metrics'> {
  const { runtime: _runtime, metrics: _metrics, ...rest } = m;
  return rest;
}

export function modelSummary({ manifest, contract, session, rows, loadMs, loadBreakdownMs }: LoadedModel) {
  return {
    name: manifest.name,
    status: 'ready' as const,
    type: manifest.type,
    version: manifest.version,
    created: manifest.created,
    sha256: manifest.onnx.sha256,
    bytes: manifest.onnx.bytes,
    opset: manifest.onnx.opset,
    explain: session.hasAttention,
    runtime: {
      executionProviders: [...session.executionProviders],
      wasmMemoryBytes: session.memoryBytes() ?? null,
      loadMs,
      loadBreakdownMs,
      // Item rows outside the graph: the isolate's row cache (bounded) and its traffic so far.
      ...(rows ? { itemRows: { ...rows.stats } } : {}),
    },
    inputs: manifest.inputs,
    outputs: manifest.outputs,
    featureContract: { ...contract.summary(), ...(manifest.itemRows ? { items: manifest.itemRows.items, itemRows: `outside the graph: ${manifest.itemRows.shards} int8 shards` } : {}) },
    metrics: manifest.metrics,
  };
}
