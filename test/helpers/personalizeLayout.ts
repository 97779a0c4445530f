/**
 * Writes data in Amazon Personalize's CSV layout for tests: MovieLens latest-small as
 * interactions.csv + items.csv (the equality test with the `movielens` source), and small
 * hand-made tables for the reader's fixtures.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { MOVIELENS_SMALL_DIR } from '../../model-export/data/movielens.js';

/** RFC 4180 quoting where needed. */
export function csvLine(values: ReadonlyArray<string | number>): string {
  return values.map((v) => (/[",\n\r]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v))).join(',');
}

export function writeCsv(file: string, header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): void {
  writeFileSync(file, [csvLine(header), ...rows.map(csvLine)].join('\n') + '\n');
}

/**
 * ratings.csv → interactions.csv (EVENT_TYPE `rating`, EVENT_VALUE the rating), movies.csv →
 * items.csv with the title before the genres, as a team's catalogue export might order them.
 */
export function writeMovieLensAsPersonalize(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const ratings = parse(readFileSync(join(MOVIELENS_SMALL_DIR, 'ratings.csv')), { columns: true }) as Array<Record<string, string>>;
  writeCsv(
    join(dir, 'interactions.csv'),
    ['USER_ID', 'ITEM_ID', 'TIMESTAMP', 'EVENT_TYPE', 'EVENT_VALUE'],
    ratings.map((r) => [r.userId, r.movieId, r.timestamp, 'rating', r.rating]),
  );
  const movies = parse(readFileSync(join(MOVIELENS_SMALL_DIR, 'movies.csv')), { columns: true }) as Array<Record<string, string>>;
  writeCsv(join(dir, 'items.csv'), ['ITEM_ID', 'TITLE', 'GENRES'], movies.map((m) => [m.movieId, m.title, m.genres]));
}
