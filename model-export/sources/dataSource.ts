/**
 * A data source: a file layout the training commands can read, chosen by name (`--source`). Each
 * one turns its files into the source-agnostic BehaviourLog every protocol consumes; the registry
 * (registry.ts) is the one list of them, so a new source touches that file and its own.
 */
import type { BehaviourLog } from '../data/behaviourLog.js';
import type { Protocol } from '../samples/protocols.js';
import type { DatasetConfig, SourceName, SplitConfig } from './datasetConfig.js';

export interface SourceRead {
  log: BehaviourLog;
  /** Default model-name suffix (`din-<name>`), e.g. `movielens`, `amazon-electronics`. */
  name: string;
  /** The reader's counts (malformed rows with file:line examples, filters, …), printed and kept in manifests. */
  stats: object;
  /** `rating` protocol: label = value ≥ this. */
  positiveRating?: number;
}

export interface DataSource {
  name: SourceName;
  /** One line for `--help` and the docs. */
  description: string;
  /** What `--data` names for this source, and the default when there is one. */
  dataHelp: string;
  defaultData?: string;
  protocols: readonly Protocol[];
  defaultProtocol: Protocol;
  /** Split of the `rating` / `next` protocols when the config gives none. */
  defaultSplit: SplitConfig;
  /**
   * Which columns feature declarations may name, per group: `any` (the reader checks they exist),
   * a fixed list, or none (absent). Derived hour/weekday work with every source.
   */
  featureColumns?: { user?: 'any' | readonly string[]; candidate?: 'any' | readonly string[]; context?: 'any' | readonly string[] };
  /** Item titles for reports, where the files have them. */
  itemTitles?(data: string): Promise<ReadonlyMap<string, string>>;
  /** Read `data` (already resolved: never undefined when the source has no default). */
  read(data: string, config: DatasetConfig & { protocol: Protocol }, options: { progress?: boolean }): Promise<SourceRead>;
}
