import { Hono } from 'hono';
import { workerConfig, type WorkerBindings } from '../../config.js';
import { ApiError, methodNotAllowed } from '../../errors.js';
import { jsonBody, type JsonBodyEnv } from '../../middleware/jsonBody.js';
import type { ModelRegistry } from '../../models/registry.js';
import { scoreRequest } from '../../scoring/scoreRequest.js';
import { SCORE_LIMITS, scoreRequestSchema, toErrorIssues } from './score.schema.js';

/** `POST /v1/score`: rank candidates for one history with the configured model. */
export function scoreRoutes(registry: ModelRegistry) {
  return new Hono<{ Bindings: WorkerBindings } & JsonBodyEnv>()
    .post('/v1/score', jsonBody({ maxBytes: SCORE_LIMITS.maxBodyBytes }), async (c) => {
      const parsed = scoreRequestSchema.safeParse(c.var.jsonBody);
      if (!parsed.success) {
        throw new ApiError('invalid_request', 'request does not match the schema of POST /v1/score', {
          issues: toErrorIssues(parsed.error.issues),
        });
      }
      const config = workerConfig(c.env);
      const model = await registry.get(config.modelName, config.assets);
      return c.json(await scoreRequest(model, parsed.data));
    })
    .all('/v1/score', methodNotAllowed(['POST', 'OPTIONS']));
}
