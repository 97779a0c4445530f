/** What the routes share within one app (one isolate): models, routes, where exposures go. */
import type { WorkerConfig } from './config.js';
import type { RouteConfig } from '../core/experiments/routeConfig.js';
import type { RecentKeys } from './experiments/recentKeys.js';
import { analyticsEngineSink, consoleSink, type ExposureSink } from './experiments/exposureLog.js';
import type { PublishedModels } from './models/publishedModels.js';
import type { ModelRegistry } from './models/registry.js';

export interface Services {
  registry: ModelRegistry;
  routes: RouteConfig;
  /** Models published to browsers, read once per isolate. */
  published: PublishedModels;
  /** Exposure reports already recorded in this isolate (token id + page view). */
  seenExposures: RecentKeys;
  /** Overrides the configured sink (tests). */
  exposureSink?: ExposureSink;
}

let warnedMissingDataset = false;

/** The sink the configuration asks for; console when Analytics Engine is asked for but not bound. */
export function exposureSinkOf(services: Services, config: WorkerConfig): ExposureSink {
  if (services.exposureSink) return services.exposureSink;
  if (config.exposureLog === 'analytics-engine') {
    if (config.exposures) return analyticsEngineSink(config.exposures);
    if (!warnedMissingDataset) {
      warnedMissingDataset = true;
      console.warn('[exposure] EXPOSURE_LOG is analytics-engine but no EXPOSURES dataset is bound; logging to the console');
    }
  }
  return consoleSink();
}
