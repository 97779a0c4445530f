import { Hono } from 'hono';
import type { WorkerBindings } from '../../config.js';
import { methodNotAllowed } from '../../errors.js';
import { BUCKETS, type RouteConfig } from '../../experiments/routeConfig.js';
import * as z from '../../zod.js';

export const routesResponseSchema = z
  .object({
    defaultRoute: z.string(),
    buckets: z.int(),
    routes: z.array(
      z.object({
        name: z.string(),
        salt: z.string(),
        variants: z.array(
          z.object({
            name: z.string(),
            model: z.string(),
            weight: z.number(),
            share: z.number().meta({ description: 'Fraction of units assigned (bucket count / 10,000).' }),
            buckets: z.object({ start: z.int(), end: z.int() }),
          }),
        ),
        shadow: z.string().nullable(),
      }),
    ),
  });

export type RoutesResponse = z.infer<typeof routesResponseSchema>;

export function describeRoutes(config: RouteConfig): RoutesResponse {
  return {
    defaultRoute: config.defaultRoute,
    buckets: BUCKETS,
    routes: [...config.routes.values()].map((r) => ({
      name: r.name,
      salt: r.salt,
      variants: r.variants.map((v) => ({ name: v.name, model: v.model, weight: v.weight, share: (v.buckets.end - v.buckets.start) / BUCKETS, buckets: v.buckets })),
      shadow: r.shadow ?? null,
    })),
  };
}

/** `GET /v1/routes`: routes, variants, weights and bucket ranges (no model is loaded). */
export function routesRoutes(config: RouteConfig) {
  const body = describeRoutes(config);
  return new Hono<{ Bindings: WorkerBindings }>()
    .get('/v1/routes', (c) => c.json(body))
    .all('/v1/routes', methodNotAllowed(['GET', 'HEAD', 'OPTIONS']));
}
