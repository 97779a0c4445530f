/** What the routes share within one app (one isolate): models, routes, where exposures go. */
import type { WorkerConfig } from './config.js';
import type { RouteConfig } from '../core/experiments/routeConfig.js';
import type { RecentKeys } from './experiments/recentKeys.js';
import { d1Sink } from './experiments/d1Sink.js';
import { analyticsEngineSink, consoleSink, fanOutSink, type ExposureSink } from './experiments/exposureLog.js';
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

const warned = new Set<string>();
function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  console.warn(message);
}

/**
 * The sinks EXPOSURE_LOG names (comma-separated: `analytics-engine`, `d1`, `console`), fanned out;
 * a store asked for but not bound falls back to the console, with one warning.
 */
export function exposureSinkOf(services: Services, config: WorkerConfig): ExposureSink {
  if (services.exposureSink) return services.exposureSink;
  const sinks: ExposureSink[] = [];
  for (const kind of config.exposureLog) {
    if (kind === 'analytics-engine') {
      if (config.exposures) sinks.push(analyticsEngineSink(config.exposures));
      else warnOnce(kind, '[exposure] EXPOSURE_LOG names analytics-engine but no EXPOSURES dataset is bound; logging to the console');
    } else if (kind === 'd1') {
      if (config.eventsDb) sinks.push(d1Sink(config.eventsDb));
      else warnOnce(kind, '[exposure] EXPOSURE_LOG names d1 but no EVENTS_DB database is bound ([[d1_databases]] binding = "EVENTS_DB"); logging to the console');
    } else sinks.push(consoleSink());
  }
  if (sinks.length === 0) sinks.push(consoleSink());
  return fanOutSink(sinks);
}
