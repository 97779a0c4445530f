/** MovieLens "latest" CSVs (ratings.csv + movies.csv); the vendored latest-small by default. */
import { MOVIELENS_SMALL_DIR, readMovieLens } from '../data/movielens.js';
import { movieTitles } from '../report/attentionExamples.js';
import type { DataSource } from './dataSource.js';

export const movielensSource: DataSource = {
  name: 'movielens',
  description: 'MovieLens ratings.csv + movies.csv (category = first genre); the vendored latest-small by default',
  dataHelp: 'a directory holding ratings.csv and movies.csv',
  defaultData: MOVIELENS_SMALL_DIR,
  protocols: ['next', 'rating'],
  defaultProtocol: 'next',
  // The shipped models' split: numeric user id mod 5 == 0 → test.
  defaultSplit: { by: 'user', testFraction: 0.2, assign: 'modulo' },
  // movies.csv: all genres (multi) and the year from the title (data/movielens.ts).
  featureColumns: { candidate: ['GENRES', 'YEAR'] },
  async itemTitles(data) {
    return movieTitles(data);
  },
  async read(data, config) {
    const log = readMovieLens(data);
    // Multi-task models' conversion: the rating reaches the threshold (rated ≥ 4 given rated).
    const threshold = config.conversion?.minEventValue ?? 4;
    for (const timeline of log.timelines.values()) for (const b of timeline) b.converted = b.value !== undefined && b.value >= threshold;
    return { log, name: 'movielens', stats: { users: log.timelines.size }, positiveRating: config.positive?.minEventValue ?? 4 };
  },
};
