/** Amazon product data (McAuley et al.): a reviews file and its metadata, the DIN and DIEN papers' data. */
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { amazonSourceName, readAmazon } from '../data/amazon.js';
import { malformedSummary, type DataSource } from './dataSource.js';
import { findFile } from './files.js';

export const amazonSource: DataSource = {
  name: 'amazon',
  description: 'Amazon reviews_<Category>_5.json (+ meta_<Category>.json), plain or gzip; protocols of the DIN and DIEN papers',
  dataHelp: 'reviews_<Category>_5.json(.gz), or a directory holding one (meta_<Category>.json(.gz) beside it is used)',
  protocols: ['din', 'dien', 'next', 'rating'],
  defaultProtocol: 'din',
  defaultSplit: { by: 'user', testFraction: 0.2, assign: 'hash' },
  async read(data, config, { progress }) {
    const reviews = findFile(data, /^reviews_.+\.json(\.gz)?$/i, 'reviews_<Category>_5.json');
    const meta = metaBeside(reviews);
    // Category of an item: DIN's rule (last entry of the last path) except for DIEN's protocol (first path).
    const { log, stats } = await readAmazon({ reviews, meta, categoryPath: config.protocol === 'dien' ? 'first' : 'last', progress, maxMalformedFraction: config.maxMalformedFraction });
    const malformed = malformedSummary([
      [reviews, stats.reviews],
      [meta, stats.meta],
    ]);
    return { log, name: amazonSourceName(reviews), stats, positiveRating: config.positive?.minEventValue ?? 4, malformed };
  },
};

/** `reviews_Electronics_5.json.gz` → `meta_Electronics.json(.gz)` in the same directory, if there. */
function metaBeside(reviews: string): string | undefined {
  const category = /^reviews_(.+?)(?:_5)?\.json(?:\.gz)?$/i.exec(basename(reviews))?.[1];
  if (!category) return undefined;
  const dir = dirname(reviews);
  const name = readdirSync(dir).find((n) => new RegExp(`^meta_${category.replace(/[^A-Za-z0-9_]/g, '\\$&')}\\.json(\\.gz)?$`, 'i').test(n));
  return name && existsSync(join(dir, name)) ? join(dir, name) : undefined;
}
