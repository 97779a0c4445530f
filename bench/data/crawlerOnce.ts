/**
 * One pass of a training epoch's stream over a Personalize layout with a crawler in it, in a fresh
 * process (its peak RSS is its own): open the DuckDB engine with `maxUserBehaviours` (default cap,
 * or `--max-user-behaviours N`), build the held-out set, stream epoch 1. Prints one JSON line
 * (CrawlerRun). bench/crawler.ts runs it.
 *
 *   node --import tsx bench/data/crawlerOnce.ts --data DIR --crawler ID [--max-user-behaviours N]
 */
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_USER_BEHAVIOURS } from '../../model-export/data/behaviourLog.js';
import { openStreamedDataset } from '../../model-export/sources/personalizeStream.js';
import { DEFAULT_RUN } from '../../model-export/train/run.js';
import { prepareStreamed } from '../../model-export/train/streamedData.js';

export interface CrawlerRun {
  maxUserBehaviours: number;
  cappedUsers: number;
  trainSamples: number;
  /** Training samples of the crawler (2 per kept behaviour after its first). */
  crawlerSamples: number;
  /** The largest shuffle group (users are kept whole in one). */
  maxBufferedSamples: number;
  seconds: number;
  peakRssBytes: number;
}

const { values } = parseArgs({ options: { data: { type: 'string' }, crawler: { type: 'string' }, 'max-user-behaviours': { type: 'string' } } });
if (!values.data || !values.crawler) throw new Error('crawlerOnce: --data DIR --crawler ID');
const cap = values['max-user-behaviours'] ? Number(values['max-user-behaviours']) : DEFAULT_MAX_USER_BEHAVIOURS;
const t0 = performance.now();
const d = await openStreamedDataset({ source: 'personalize', data: values.data, maxUserBehaviours: cap });
try {
  const data = await prepareStreamed(d.engine, d.users, { ...DEFAULT_RUN, protocol: 'next', seed: 1 });
  let trainSamples = 0;
  for await (const b of data.train.batches(1, 1024)) trainSamples += b.size;
  // `next` without impressions: a positive and a drawn negative per behaviour after the first.
  const kept = (await d.engine.connection.runAndReadAll(`SELECT n FROM users WHERE user_id = '${values.crawler.replace(/'/g, "''")}'`)).getRowObjectsJS()[0];
  const crawlerSamples = kept ? 2 * (Number(kept.n) - 1) : 0;
  const run: CrawlerRun = {
    maxUserBehaviours: cap,
    cappedUsers: d.engine.stats.cappedUsers,
    trainSamples,
    crawlerSamples,
    maxBufferedSamples: data.train.maxBufferedSamples,
    seconds: (performance.now() - t0) / 1000,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  console.log(JSON.stringify(run));
} finally {
  d.engine.close();
}
