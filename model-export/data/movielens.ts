/**
 * MovieLens reader (ratings.csv + movies.csv, the "latest" CSV layout).
 * Category = the first genre listed in movies.csv ("(no genres listed)" is kept as a category).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { toTimelines, type BehaviourLog } from './behaviourLog.js';

export const MOVIELENS_SMALL_DIR = new URL('../../data/movielens-latest-small/', import.meta.url).pathname;

export function readMovieLens(dir: string = MOVIELENS_SMALL_DIR): BehaviourLog {
  const movies = parse(readFileSync(join(dir, 'movies.csv')), { columns: true, skip_empty_lines: true }) as Array<{
    movieId: string;
    genres: string;
  }>;
  const itemCategory = new Map(movies.map((m) => [m.movieId, m.genres.split('|')[0]]));
  const ratings = parse(readFileSync(join(dir, 'ratings.csv')), { columns: true, skip_empty_lines: true }) as Array<{
    userId: string;
    movieId: string;
    rating: string;
    timestamp: string;
  }>;
  const timelines = toTimelines(
    ratings.map((r) => ({ user: r.userId, item: r.movieId, time: Number(r.timestamp), value: Number(r.rating) })),
  );
  return { timelines, itemCategory, source: 'movielens-latest-small' };
}
