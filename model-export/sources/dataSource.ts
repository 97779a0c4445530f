/**
 * A data source: a file layout the training commands can read, chosen by name (`--source`). Each
 * one turns its files into the source-agnostic BehaviourLog every protocol consumes; the registry
 * (registry.ts) is the one list of them, so a new source touches that file and its own.
 */
import { basename } from 'node:path';
import type { BehaviourLog } from '../data/behaviourLog.js';
import type { MalformedReport } from '../data/lineReader.js';
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
  /** Rows skipped as malformed (below `maxMalformedFraction`), over every file read; absent: the reader skips none. */
  malformed?: MalformedSummary;
}

/** Malformed rows a read skipped: how many, and the first one as `file:line: reason`. */
export interface MalformedSummary {
  rows: number;
  first?: string;
}

/** One summary over the per-file reports of a read (files without a report were not read). */
export function malformedSummary(reports: ReadonlyArray<readonly [file: string | undefined, report: MalformedReport | undefined]>): MalformedSummary {
  let rows = 0;
  let first: string | undefined;
  for (const [file, report] of reports) {
    if (!report) continue;
    rows += report.malformed;
    const example = report.examples[0];
    if (first === undefined && example) first = `${example.where ?? `${file ? basename(file) : '?'}:${example.line}`}: ${example.reason}`;
  }
  return { rows, ...(first !== undefined ? { first } : {}) };
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
