/**
 * The data sources by name, and the one path from (config file, flags) to a log ready for
 * prepareData. `train`, `experiment` and `report` all call `loadDataset`; a new source is one
 * entry in SOURCES.
 */
import { createHash } from 'node:crypto';
import { basename, join, resolve } from 'node:path';
import { DEFAULT_MAX_USER_BEHAVIOURS, recentBehaviours, type BehaviourLog } from '../data/behaviourLog.js';
import type { Protocol } from '../samples/protocols.js';
import { hashUserSplit, moduloUserSplit } from '../samples/sample.js';
import type { PrepareOptions, SampleSplit } from '../train/pipeline.js';
import { amazonSource } from './amazon.js';
import type { DataSource, MalformedSummary } from './dataSource.js';
import { configBeside, DATASET_CONFIG_FILE, featureName, readDatasetConfig, SOURCE_NAMES, type DatasetConfig, type FeatureDeclaration, type SourceName, type SplitConfig } from './datasetConfig.js';
import { movielensSource } from './movielens.js';
import { personalizeSource } from './personalize.js';
import { taobaoSource } from './taobao.js';

export const SOURCES: Readonly<Record<SourceName, DataSource>> = {
  movielens: movielensSource,
  amazon: amazonSource,
  taobao: taobaoSource,
  personalize: personalizeSource,
};

export interface LoadedDataset {
  source: SourceName;
  log: BehaviourLog;
  /** A label for the data (the config's `name`, else the source's: e.g. the directory's name); models are named after the train CLI's --out folder. */
  name: string;
  protocol: Protocol;
  /** The config after defaults, for manifests and reports. */
  config: DatasetConfig & { source: SourceName; data: string; protocol: Protocol; split: SplitConfig };
  /** What prepareData needs from the data (the run adds seed, model, history length, …). */
  prepare: Pick<PrepareOptions, 'protocol' | 'split' | 'maxImpressionNegatives' | 'positiveRating'> & Partial<Pick<PrepareOptions, 'maxHistory' | 'minItemCount' | 'features'>>;
  stats: object;
  /** Users dropped by minUserBehaviours. */
  droppedUsers: number;
  /** Users cut to their most recent behaviours by maxUserBehaviours. */
  cappedUsers: number;
  /** Rows the reader skipped as malformed (tolerated below maxMalformedFraction). */
  malformed: MalformedSummary;
  /** Item titles where the source has them (report heat maps); empty otherwise. */
  titles(): Promise<ReadonlyMap<string, string>>;
}

/** Flags a command received; each overrides the config file's field of the same meaning. */
export interface DatasetFlags {
  source?: string;
  data?: string;
  /** A dataset config file; default `<data>/dataset.json` when it exists. */
  config?: string;
  name?: string;
  protocol?: string;
  category?: string;
}

/** The dataset config file the flags select: --config, else a `dataset.json` inside --data when there is one. */
export function datasetConfigFile(flags: DatasetFlags): string | undefined {
  return flags.config ?? (flags.data ? configBeside(flags.data) : undefined);
}

/** One line for the commands' logs: which dataset config applies (a `dataset.json` inside --data is picked up without a flag). */
export function describeDatasetConfig(flags: DatasetFlags): string {
  const file = datasetConfigFile(flags);
  if (file !== undefined) return `dataset config: ${file}${flags.config === undefined ? ' (found in --data)' : ''}`;
  return `dataset config: defaults (no --config${flags.data !== undefined ? `, no ${join(flags.data, DATASET_CONFIG_FILE)}` : ', no --data'})`;
}

/** Config file (explicit, or beside --data) merged under the flags. */
export function resolveDatasetConfig(flags: DatasetFlags): DatasetConfig {
  const file = datasetConfigFile(flags);
  const fromFile = file ? readDatasetConfig(file) : {};
  if (flags.source !== undefined && !(SOURCE_NAMES as readonly string[]).includes(flags.source)) {
    throw new Error(`--source must be one of ${SOURCE_NAMES.join(', ')}, got "${flags.source}"`);
  }
  const merged: DatasetConfig = {
    ...fromFile,
    ...(flags.source !== undefined ? { source: flags.source as SourceName } : {}),
    ...(flags.data !== undefined ? { data: flags.data } : {}),
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(flags.protocol !== undefined ? { protocol: flags.protocol as Protocol } : {}),
    ...(flags.category !== undefined ? { category: flags.category } : {}),
  };
  return merged;
}

/**
 * What identifies a dataset in stored experiment runs (a run is reused only for the same data):
 * `<source>:<file or directory name>`, plus a digest of the other settings when there are any.
 * Undefined for the default, the vendored MovieLens, so the committed runs keep matching.
 */
export function datasetIdentity(config: DatasetConfig): string | undefined {
  const { source, data, ...rest } = config;
  const name = source ?? (data !== undefined ? 'personalize' : 'movielens');
  if (name === 'movielens' && data === undefined && Object.keys(rest).length === 0) return undefined;
  const settings = Object.keys(rest).length ? `#${createHash('sha256').update(stableJson(rest)).digest('hex').slice(0, 8)}` : '';
  return `${name}:${data !== undefined ? basename(resolve(data)) : 'default'}${settings}`;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Read a dataset as its config says, with each source's defaults for what it leaves out. */
export async function loadDataset(config: DatasetConfig, options: { progress?: boolean } = {}): Promise<LoadedDataset> {
  const sourceName = config.source ?? (config.data !== undefined ? 'personalize' : 'movielens');
  const source = SOURCES[sourceName];
  const protocol = config.protocol ?? source.defaultProtocol;
  if (!source.protocols.includes(protocol)) {
    throw new Error(`the ${sourceName} source supports the protocols ${source.protocols.join(', ')}, not "${protocol}"`);
  }
  const data = config.data ?? source.defaultData;
  if (data === undefined) throw new Error(`the ${sourceName} source needs --data: ${source.dataHelp}`);
  if (config.category !== undefined && sourceName !== 'personalize') throw new Error(`category (an items.csv column) applies to the personalize source, not ${sourceName}`);
  const split = config.split ?? source.defaultSplit;
  checkFeatureColumns(sourceName, source.featureColumns, config.features ?? []);
  const resolved = { ...config, source: sourceName, data, protocol, split };
  const read = await source.read(data, resolved, options);
  // Cut first: a user left with too few behaviours by the cut is then dropped (the engine's order too).
  const cappedUsers = capLongTimelines(read.log, config.maxUserBehaviours ?? DEFAULT_MAX_USER_BEHAVIOURS);
  const droppedUsers = dropShortTimelines(read.log, config.minUserBehaviours ?? 2);
  if (read.log.timelines.size === 0) throw new Error(`${data}: no user has ${config.minUserBehaviours ?? 2} behaviours or more after the event filters`);
  return {
    source: sourceName,
    log: read.log,
    name: config.name ?? read.name,
    protocol,
    config: resolved,
    prepare: {
      protocol,
      split: sampleSplit(split, read.log),
      ...(config.negatives ? { maxImpressionNegatives: config.negatives.maxPerPositive } : {}),
      ...(read.positiveRating !== undefined ? { positiveRating: read.positiveRating } : {}),
      ...(config.maxHistory !== undefined ? { maxHistory: config.maxHistory } : {}),
      ...(config.minItemCount !== undefined ? { minItemCount: config.minItemCount } : {}),
      ...(config.features?.length ? { features: { declarations: config.features, timeZone: config.timeZone ?? 'UTC' } } : {}),
    },
    stats: read.stats,
    droppedUsers,
    cappedUsers,
    malformed: read.malformed ?? { rows: 0 },
    titles: async () => (source.itemTitles ? source.itemTitles(data) : new Map()),
  };
}

/** Feature declarations may name only columns the source has (the personalize reader checks its files itself). */
function checkFeatureColumns(name: SourceName, allowed: DataSource['featureColumns'], features: readonly FeatureDeclaration[]): void {
  for (const f of features) {
    if (f.column === undefined) continue;
    const columns = allowed?.[f.group];
    if (columns === 'any') continue;
    if (!columns?.some((c) => c.toUpperCase() === f.column!.toUpperCase())) {
      const offer = columns?.length ? `: it offers ${columns.join(', ')}` : '';
      throw new Error(`feature "${featureName(f)}": the ${name} source has no ${f.group} column "${f.column}"${offer}`);
    }
  }
}

/** The split rule prepareData applies; a time split's cutoff is counted back from the log's last behaviour. */
export function sampleSplit(split: SplitConfig, log: BehaviourLog): SampleSplit {
  if (split.by === 'user') {
    return { by: 'user', test: split.assign === 'modulo' ? moduloUserSplit(Math.round(1 / split.testFraction)) : hashUserSplit(split.testFraction) };
  }
  let last = -Infinity;
  for (const timeline of log.timelines.values()) last = Math.max(last, timeline[timeline.length - 1].time);
  return { by: 'time', cutoff: last - split.lastDays * 86_400 };
}

/** Cut every timeline longer than `max` to its recent end (recentBehaviours); returns how many were cut. */
function capLongTimelines(log: BehaviourLog, max: number): number {
  let capped = 0;
  for (const [user, timeline] of log.timelines) {
    if (timeline.length > max) {
      log.timelines.set(user, recentBehaviours(timeline, max));
      capped++;
    }
  }
  return capped;
}

/** Users with fewer than `min` behaviours give no sample; dropping them keeps them out of the vocabulary and the negative pool. */
function dropShortTimelines(log: BehaviourLog, min: number): number {
  let dropped = 0;
  for (const [user, timeline] of log.timelines) {
    if (timeline.length < min) {
      log.timelines.delete(user);
      dropped++;
    }
  }
  return dropped;
}
