/** The `GET /v1/routes` response: schema and builder (shared with the browser library's assignment). */
import { BUCKETS, type RouteConfig } from '../experiments/routeConfig.js';
import * as z from '../zod.js';

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
            rankBy: z.string().meta({ description: 'What the variant ranks by.' }),
          }),
        ),
        shadow: z.string().nullable(),
        assignment: z.enum(['public', 'keyed']),
        browser: z.boolean().meta({ description: 'Published to browsers: public model URLs, browser exposures.' }),
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
      variants: r.variants.map((v) => ({ name: v.name, model: v.model, weight: v.weight, share: (v.buckets.end - v.buckets.start) / BUCKETS, buckets: v.buckets, rankBy: v.rankBy })),
      shadow: r.shadow ?? null,
      assignment: r.assignment ?? 'public',
      browser: r.browser === true,
    })),
  };
}

