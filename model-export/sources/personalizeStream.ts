/**
 * The personalize source through the out-of-core engine: the same dataset config (dataset.json)
 * as the in-memory reader, for Parquet, shard directories, or CSV with `--engine duckdb`.
 * `openStreamedDataset` opens the engine and configures the split; train/streamedData.ts turns
 * it into a vocabulary, held-out sets and a training stream. docs/data-sources.md.
 */
import { basename, resolve } from 'node:path';
import { DEFAULT_MAX_USER_BEHAVIOURS } from '../data/behaviourLog.js';
import { PersonalizeEngine, type EngineStats, type UserSplitRule } from '../data/duckdb/personalizeEngine.js';
import { slug } from '../data/personalize.js';
import { personalizeLayout } from '../data/personalizeLayout.js';
import type { PositionProtocol } from '../samples/protocols.js';
import { malformedSummary, type MalformedSummary } from './dataSource.js';
import type { DatasetConfig, SplitConfig } from './datasetConfig.js';
import { personalizeSource } from './personalize.js';

export type Engine = 'memory' | 'duckdb';

/** Whether a run reads `config` through the engine: `--engine duckdb`, or a layout only the engine reads (Parquet, shards). */
export function usesEngine(config: DatasetConfig, engine?: Engine): boolean {
  if ((config.source ?? (config.data !== undefined ? 'personalize' : 'movielens')) !== 'personalize' || config.data === undefined) {
    if (engine === 'duckdb') throw new Error('--engine duckdb reads the personalize layout: give --data DIR (source personalize)');
    return false;
  }
  if (engine === 'duckdb') return true;
  const layout = personalizeLayout(config.data);
  if (layout.needsEngine && engine === 'memory') throw new Error(`${config.data}: Parquet or sharded tables are read by the out-of-core engine only: drop --engine memory`);
  return layout.needsEngine;
}

export interface StreamedDataset {
  engine: PersonalizeEngine;
  name: string;
  protocol: PositionProtocol;
  config: DatasetConfig & { data: string; protocol: PositionProtocol; split: SplitConfig };
  positiveRating?: number;
  maxImpressionNegatives?: number;
  maxHistory?: number;
  minItemCount?: number;
  users: { train: number; test: number; validation: number };
  stats: EngineStats;
  malformed: MalformedSummary;
}

export interface StreamedDatasetOptions {
  validationFraction?: number;
  memoryLimit?: string;
  threads?: number;
  tempDir?: string;
  log?: (line: string) => void;
}

/** The personalize reader's options from a dataset config (personalize.ts's `read`), checked for what the stream supports. */
export function engineReadOptions(config: DatasetConfig, protocol: PositionProtocol) {
  const rating = protocol === 'rating';
  if (rating && config.positive?.minEventValue === undefined) {
    throw new Error('the rating protocol labels a behaviour positive when EVENT_VALUE ≥ positive.minEventValue: set it in the dataset config');
  }
  if (config.features?.length) throw new Error('feature columns are not supported by the out-of-core engine yet: train on a CSV layout in memory (--engine memory), or drop "features"');
  return {
    eventTypes: config.positive?.eventTypes,
    minEventValue: rating ? undefined : config.positive?.minEventValue,
    category: config.category,
    impressions: config.negatives?.from !== 'sampled',
    maxMalformedFraction: config.maxMalformedFraction,
    ...(config.conversion ? { conversion: config.conversion } : {}),
  };
}

/** The data's event types, the most frequent first (ten at most), for messages. */
const typesSeen = (seen: Record<string, number>) =>
  Object.entries(seen)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 10)
    .map(([type]) => JSON.stringify(type))
    .join(', ');

/** Why nothing was kept, when the filters say: the event types the config keeps that the data lacks, every row filtered by value. */
function whyEmpty(config: DatasetConfig, s: EngineStats): string {
  const i = s.interactions;
  const wellFormed = i.lines - i.malformed;
  if (wellFormed === 0) return ` (${i.lines === 0 ? 'the interactions table has no rows' : 'every row is malformed'})`;
  const wanted = config.positive?.eventTypes;
  if (wanted && i.filteredByType === wellFormed) {
    const seen = Object.entries(i.eventTypes).sort((a, b) => b[1] - a[1]).slice(0, 10).map(([type, n]) => `${JSON.stringify(type)} ${n.toLocaleString('en-US')}`);
    return `: no row has EVENT_TYPE ${wanted.map((x) => JSON.stringify(x)).join(' or ')} (positive.eventTypes); the data has ${seen.join(', ')}`;
  }
  if (i.filteredByValue > 0 && i.filteredByType + i.filteredByValue === wellFormed) return `: every row's EVENT_VALUE is below positive.minEventValue ${config.positive?.minEventValue} (or empty)`;
  return '';
}

export async function openStreamedDataset(config: DatasetConfig, o: StreamedDatasetOptions = {}): Promise<StreamedDataset> {
  if (config.data === undefined) throw new Error('the out-of-core engine needs --data DIR');
  const protocol = (config.protocol ?? personalizeSource.defaultProtocol) as PositionProtocol;
  if (protocol !== 'next' && protocol !== 'rating') throw new Error(`the personalize source supports the protocols next, rating, not "${String(protocol)}"`);
  const split = config.split ?? personalizeSource.defaultSplit;
  if (split.by !== 'user') throw new Error('the out-of-core engine splits by user (hash or modulo); a time split needs the in-memory reader (--engine memory, CSV)');
  const rule: UserSplitRule = split.assign === 'modulo' ? { assign: 'modulo', modulus: Math.round(1 / split.testFraction) } : { assign: 'hash', testFraction: split.testFraction };
  const engine = await PersonalizeEngine.open({
    layout: personalizeLayout(config.data),
    ...engineReadOptions(config, protocol),
    minUserBehaviours: config.minUserBehaviours ?? 2,
    maxUserBehaviours: config.maxUserBehaviours ?? DEFAULT_MAX_USER_BEHAVIOURS,
    ...(o.memoryLimit ? { memoryLimit: o.memoryLimit } : {}),
    ...(o.threads ? { threads: o.threads } : {}),
    ...(o.tempDir ? { tempDir: o.tempDir } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  try {
    if (engine.stats.userCount === 0) throw new Error(`${config.data}: no user has ${config.minUserBehaviours ?? 2} behaviours or more after the event filters${whyEmpty(config, engine.stats)}`);
    // An event type the config names that no row has (a typo: "purchse") would drop those rows or
    // leave the conversion label all zero without a word.
    const seen = engine.stats.interactions.eventTypes;
    for (const [what, types] of [['positive.eventTypes', config.positive?.eventTypes], ['conversion.eventTypes', config.conversion?.eventTypes]] as const) {
      const absent = (types ?? []).filter((type) => !(seen[type] > 0));
      if (absent.length > 0) o.log?.(`warning: ${what} ${absent.map((x) => JSON.stringify(x)).join(', ')}: no row has ${absent.length > 1 ? 'these event types' : 'this event type'}; the data has ${typesSeen(seen)}`);
    }
    if (config.conversion && engine.stats.interactions.conversionRows === 0) {
      throw new Error(`${config.data}: no row matches the dataset config's conversion filter${config.conversion.eventTypes ? ` (EVENT_TYPE ${config.conversion.eventTypes.map((x) => JSON.stringify(x)).join(' or ')}; the data has ${typesSeen(seen)})` : ''}: every conversion label would be 0`);
    }
    const users = await engine.configureSplit(rule, o.validationFraction ?? 0);
    const s = engine.stats;
    return {
      engine,
      name: config.name ?? slug(basename(resolve(config.data))),
      protocol,
      config: { ...config, data: config.data, protocol, split },
      ...(config.positive?.minEventValue !== undefined ? { positiveRating: config.positive.minEventValue } : {}),
      ...(config.negatives ? { maxImpressionNegatives: config.negatives.maxPerPositive } : {}),
      ...(config.maxHistory !== undefined ? { maxHistory: config.maxHistory } : {}),
      ...(config.minItemCount !== undefined ? { minItemCount: config.minItemCount } : {}),
      users,
      stats: s,
      malformed: malformedSummary([
        [s.files.interactions, s.interactions],
        [s.files.items, s.items],
        [s.files.users, s.users],
      ]),
    };
  } catch (err) {
    engine.close();
    throw err;
  }
}
