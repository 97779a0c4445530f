/**
 * Which model answers: the assigned variant's, else the control's (variants[0]), else the other
 * variants' in config order. A request fails (503) only if no variant of the route can load.
 */
import type { LoadedModel, LoadOptions, ModelRegistry } from '../models/registry.js';
import type { Route, Variant } from '../../core/experiments/routeConfig.js';
import { throttledWarn } from '../log/throttledWarn.js';
import { ApiError } from '../../core/errors.js';

export interface ServingVariant {
  variant: Variant;
  model: LoadedModel;
}

/** `skip`: models that could not score this request (their row store could not be read): the next variant answers. */
export async function loadServingVariant(registry: ModelRegistry, route: Route, assigned: Variant, assets: Fetcher, load?: LoadOptions, skip: ReadonlySet<string> = new Set()): Promise<ServingVariant> {
  const order = [assigned, ...route.variants.filter((v) => v !== assigned)].filter((v) => !skip.has(v.model));
  if (order.length === 0) throw new ApiError('model_unavailable', `no model of route "${route.name}" can score this request now; see the worker log`, { headers: { 'Retry-After': '30' } });
  let firstError: unknown;
  for (const variant of order) {
    try {
      const model = await registry.get(variant.model, assets, load);
      if (variant !== assigned) {
        throttledWarn(`fallback:${route.name}:${assigned.name}`, `[experiments] route "${route.name}": variant "${assigned.name}" (model "${assigned.model}") is unavailable; served by "${variant.name}"`);
      }
      return { variant, model };
    } catch (err) {
      firstError ??= err;
    }
  }
  throw firstError;
}
