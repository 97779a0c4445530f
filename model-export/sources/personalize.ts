/** Amazon Personalize's dataset layout: a team's own interactions.csv (+ items.csv, users.csv). */
import { basename, resolve } from 'node:path';
import type { Behaviour, BehaviourLog } from '../data/behaviourLog.js';
import { PersonalizeEngine, readItemTitlesWithEngine } from '../data/duckdb/personalizeEngine.js';
import { readItemTitles, readPersonalize, slug, type PersonalizeReadOptions, type PersonalizeReadStats } from '../data/personalize.js';
import { personalizeLayout } from '../data/personalizeLayout.js';
import { malformedSummary, type DataSource } from './dataSource.js';
import type { FeatureDeclaration } from './datasetConfig.js';

/** The CSV columns the declared features read, per file. */
function featureColumnsOf(features: readonly FeatureDeclaration[]): { itemColumns: string[]; userColumns: string[]; contextColumns: string[] } {
  const columns = (group: FeatureDeclaration['group']) => [...new Set(features.filter((f) => f.group === group && f.column !== undefined).map((f) => f.column!))];
  return { userColumns: columns('user'), itemColumns: columns('candidate'), contextColumns: columns('context') };
}

export const personalizeSource: DataSource = {
  name: 'personalize',
  description: "Amazon Personalize's layout: interactions (USER_ID, ITEM_ID, TIMESTAMP, …) + optional items, users — CSV or Parquet files, or directories of shards",
  dataHelp: 'a directory holding interactions.csv(.gz) (or interactions.parquet, or interactions/ of shards), optionally items, users and dataset.json',
  protocols: ['next', 'rating'],
  defaultProtocol: 'next',
  defaultSplit: { by: 'user', testFraction: 0.2, assign: 'hash' },
  featureColumns: { user: 'any', candidate: 'any', context: 'any' },
  async itemTitles(dir) {
    const layout = personalizeLayout(dir);
    return layout.needsEngine ? readItemTitlesWithEngine(layout) : readItemTitles(dir);
  },
  async read(dir, config, { progress }) {
    const rating = config.protocol === 'rating';
    if (rating && config.positive?.minEventValue === undefined) {
      throw new Error('the rating protocol labels a behaviour positive when EVENT_VALUE ≥ positive.minEventValue: set it in the dataset config');
    }
    const read = personalizeLayout(dir).needsEngine ? readThroughEngine : readPersonalize;
    const { log, stats } = await read({
      dir,
      eventTypes: config.positive?.eventTypes,
      // `next`: only positives are behaviours; `rating`: every event is one, labelled by the threshold.
      minEventValue: rating ? undefined : config.positive?.minEventValue,
      category: config.category,
      impressions: config.negatives?.from !== 'sampled',
      progress,
      maxMalformedFraction: config.maxMalformedFraction,
      ...featureColumnsOf(config.features ?? []),
      ...(config.conversion ? { conversion: config.conversion } : {}),
    });
    const malformed = malformedSummary([
      [stats.files.interactions, stats.interactions],
      [stats.files.items, stats.items],
      [stats.files.users, stats.users],
    ]);
    return { log, name: slug(basename(resolve(dir))), stats, positiveRating: config.positive?.minEventValue, malformed };
  },
};

/**
 * A Parquet or sharded layout read in memory (small data, commands that want a BehaviourLog): the
 * DuckDB engine validates and sorts, and its timelines are collected, users in order of first
 * appearance. Large logs train through the stream instead (train/streamedData.ts).
 */
async function readThroughEngine(o: PersonalizeReadOptions): Promise<{ log: BehaviourLog; stats: PersonalizeReadStats }> {
  const engine = await PersonalizeEngine.open({ ...o, layout: personalizeLayout(o.dir), minUserBehaviours: 1 });
  try {
    const timelines = new Map<string, Behaviour[]>();
    for await (const [user, timeline] of engine.timelines('all', { by: 'first' })) timelines.set(user, timeline);
    const log: BehaviourLog = {
      timelines,
      itemCategory: engine.itemCategory,
      source: o.source ?? `personalize-${slug(basename(resolve(o.dir)))}`,
      ...(engine.itemAttributes ? { itemAttributes: engine.itemAttributes } : {}),
      ...(engine.userAttributes ? { userAttributes: engine.userAttributes } : {}),
    };
    const { droppedUsers: _d, cappedUsers: _c, seconds: _s, ...stats } = engine.stats;
    return { log, stats };
  } finally {
    engine.close();
  }
}
