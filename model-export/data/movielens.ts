/**
 * MovieLens reader (ratings.csv + movies.csv, the "latest" CSV layout).
 * Category = the first genre listed in movies.csv ("(no genres listed)" is kept as a category).
 * Item attributes for feature columns: GENRES (all of them, `|`-separated) and YEAR (from the
 * title's trailing "(1995)"; missing when the title has none).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { toTimelines, type BehaviourLog, type RawAttributes } from './behaviourLog.js';

export const MOVIELENS_SMALL_DIR = new URL('../../data/movielens-latest-small/', import.meta.url).pathname;

export function readMovieLens(dir: string = MOVIELENS_SMALL_DIR): BehaviourLog {
  const movies = parse(readFileSync(join(dir, 'movies.csv')), { columns: true, skip_empty_lines: true }) as Array<{
    movieId: string;
    title: string;
    genres: string;
  }>;
  const itemCategory = new Map(movies.map((m) => [m.movieId, m.genres.split('|')[0]]));
  const itemAttributes = new Map<string, RawAttributes>(
    movies.map((m) => [m.movieId, { GENRES: m.genres === '(no genres listed)' ? '' : m.genres, YEAR: /\((\d{4})\)\s*$/.exec(m.title)?.[1] ?? '' }]),
  );
  const ratings = parse(readFileSync(join(dir, 'ratings.csv')), { columns: true, skip_empty_lines: true }) as Array<{
    userId: string;
    movieId: string;
    rating: string;
    timestamp: string;
  }>;
  const timelines = toTimelines(
    ratings.map((r) => ({ user: r.userId, item: r.movieId, time: Number(r.timestamp), value: Number(r.rating) })),
  );
  return { timelines, itemCategory, source: 'movielens-latest-small', itemAttributes };
}
