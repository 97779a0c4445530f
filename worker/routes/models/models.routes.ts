import { Hono } from 'hono';
import { workerConfig, type WorkerBindings } from '../../config.js';
import { methodNotAllowed } from '../../errors.js';
import type { LoadedModel, ModelRegistry } from '../../models/registry.js';

/** `GET /v1/models`: what is being served (loads the model if needed; 503 if it cannot). */
export function modelsRoutes(registry: ModelRegistry) {
  return new Hono<{ Bindings: WorkerBindings }>()
    .get('/v1/models', async (c) => {
      const config = workerConfig(c.env);
      const model = await registry.get(config.modelName, config.assets);
      return c.json({ models: [modelSummary(model)] });
    })
    .all('/v1/models', methodNotAllowed(['GET', 'HEAD', 'OPTIONS']));
}

export function modelSummary({ manifest, contract, session }: LoadedModel) {
  return {
    name: manifest.name,
    type: manifest.type,
    version: manifest.version,
    created: manifest.created,
    sha256: manifest.onnx.sha256,
    bytes: manifest.onnx.bytes,
    opset: manifest.onnx.opset,
    runtime: { executionProviders: session.executionProviders, wasmMemoryBytes: session.memoryBytes() ?? null },
    inputs: manifest.inputs,
    outputs: manifest.outputs,
    featureContract: contract.summary(),
    metrics: manifest.metrics,
  };
}
