/** Amazon Personalize's dataset layout: a team's own interactions.csv (+ items.csv, users.csv). */
import { basename, resolve } from 'node:path';
import { readItemTitles, readPersonalize, slug } from '../data/personalize.js';
import { malformedSummary, type DataSource } from './dataSource.js';
import type { FeatureDeclaration } from './datasetConfig.js';

/** The CSV columns the declared features read, per file. */
function featureColumnsOf(features: readonly FeatureDeclaration[]): { itemColumns: string[]; userColumns: string[]; contextColumns: string[] } {
  const columns = (group: FeatureDeclaration['group']) => [...new Set(features.filter((f) => f.group === group && f.column !== undefined).map((f) => f.column!))];
  return { userColumns: columns('user'), itemColumns: columns('candidate'), contextColumns: columns('context') };
}

export const personalizeSource: DataSource = {
  name: 'personalize',
  description: "Amazon Personalize's CSV layout: interactions.csv (USER_ID, ITEM_ID, TIMESTAMP, …) + optional items.csv, users.csv",
  dataHelp: 'a directory holding interactions.csv(.gz), optionally items.csv, users.csv and dataset.json',
  protocols: ['next', 'rating'],
  defaultProtocol: 'next',
  defaultSplit: { by: 'user', testFraction: 0.2, assign: 'hash' },
  featureColumns: { user: 'any', candidate: 'any', context: 'any' },
  async itemTitles(dir) {
    return readItemTitles(dir);
  },
  async read(dir, config, { progress }) {
    const rating = config.protocol === 'rating';
    if (rating && config.positive?.minEventValue === undefined) {
      throw new Error('the rating protocol labels a behaviour positive when EVENT_VALUE ≥ positive.minEventValue: set it in the dataset config');
    }
    const { log, stats } = await readPersonalize({
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
