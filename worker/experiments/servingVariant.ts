/**
 * Which model answers: the assigned variant's, else the control's (variants[0]), else the other
 * variants' in config order. A request fails (503) only if no variant of the route can load.
 */
import type { LoadedModel, LoadOptions, ModelRegistry } from '../models/registry.js';
import type { Route, Variant } from '../../core/experiments/routeConfig.js';
import { throttledWarn } from '../log/throttledWarn.js';

export interface ServingVariant {
  variant: Variant;
  model: LoadedModel;
}

export async function loadServingVariant(registry: ModelRegistry, route: Route, assigned: Variant, assets: Fetcher, load?: LoadOptions): Promise<ServingVariant> {
  const order = [assigned, ...route.variants.filter((v) => v !== assigned)];
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
