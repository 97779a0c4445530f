/**
 * Parquet in, out of core (data/duckdb/personalizeEngine.ts, train/streamedData.ts): MovieLens
 * latest-small in the Personalize layout as CSV and as a directory of Parquet shards gives
 * byte-identical batches through the engine; the engine's `rating` samples are the in-memory CSV
 * path's, as a multiset; malformed Parquet rows are counted and located by row group; the shuffle
 * buffer holds what it promises.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recentBehaviours } from '../../model-export/data/behaviourLog.js';
import { distinctIds } from '../../model-export/layers/regularization.js';
import { personalizeLayout } from '../../model-export/data/personalizeLayout.js';
import type { DatasetConfig } from '../../model-export/sources/datasetConfig.js';
import { openStreamedDataset, usesEngine } from '../../model-export/sources/personalizeStream.js';
import { loadDataset, SOURCES } from '../../model-export/sources/registry.js';
import type { Batch, EncodedDataset } from '../../model-export/train/dataset.js';
import { createModel } from '../../model-export/models/index.js';
import { mbaTargets, streamedMbaTargets } from '../../model-export/train/mbaTargets.js';
import { DEFAULT_RUN, modelConfigFor, prepareRun } from '../../model-export/train/run.js';
import { prepareStreamed } from '../../model-export/train/streamedData.js';
import { writeMovieLensAsPersonalize } from '../helpers/personalizeLayout.js';

const root = mkdtempSync(join(tmpdir(), 'personalize-parquet-'));
const csvDir = join(root, 'movielens-csv');
const parquetDir = join(root, 'movielens-parquet');
const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

beforeAll(async () => {
  writeMovieLensAsPersonalize(csvDir);
  mkdirSync(join(parquetDir, 'interactions'), { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  // Typed columns (ids BIGINT, TIMESTAMP BIGINT, EVENT_VALUE DOUBLE), as a warehouse writes them; two shards in file order.
  await c.run(`CREATE TABLE t AS SELECT *, row_number() OVER () AS rn FROM read_csv(${q(join(csvDir, 'interactions.csv'))}, header = true)`);
  await c.run(`COPY (SELECT * EXCLUDE (rn) FROM t WHERE rn <= 50000 ORDER BY rn) TO ${q(join(parquetDir, 'interactions', 'part-0.parquet'))} (FORMAT parquet)`);
  await c.run(`COPY (SELECT * EXCLUDE (rn) FROM t WHERE rn > 50000 ORDER BY rn) TO ${q(join(parquetDir, 'interactions', 'part-1.parquet'))} (FORMAT parquet)`);
  await c.run(`COPY (SELECT * FROM read_csv(${q(join(csvDir, 'items.csv'))}, header = true)) TO ${q(join(parquetDir, 'items.parquet'))} (FORMAT parquet)`);
  c.closeSync();
  db.closeSync();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = (data: string): DatasetConfig => ({ source: 'personalize', data, protocol: 'rating', positive: { minEventValue: 4 } });
const run = { ...DEFAULT_RUN, protocol: 'rating' as const, seed: 3 };
const sha = (v: ArrayBufferView) => createHash('sha256').update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).digest('hex');
const batchDigest = (b: Batch) => sha256(Object.entries(b).map(([k, v]) => `${k}:${ArrayBuffer.isView(v) ? sha(v) : JSON.stringify(v)}`).join('\n'));
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** One digest per sample (its history, candidate and label, encoded), sorted: the multiset of samples. */
function sampleDigests(batches: Iterable<Batch>, H: number): string[] {
  const out: string[] = [];
  for (const b of batches) {
    for (let i = 0; i < b.size; i++) {
      out.push(sha256(`${b.historyItems.subarray(i * H, (i + 1) * H).join(',')}|${b.historyCategories.subarray(i * H, (i + 1) * H).join(',')}|${b.candidateItems[i]}|${b.candidateCategories[i]}|${b.labels[i]}`));
    }
  }
  return out.sort();
}
function* allBatches(d: EncodedDataset, size = 1024): Generator<Batch> {
  for (let s = 0; s < d.size; s += size) yield d.batch(Array.from({ length: Math.min(size, d.size - s) }, (_, i) => s + i));
}
async function collect(it: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

describe('Personalize layout in Parquet, out of core', () => {
  it('detects the layout: Parquet shards need the engine, mixed shard formats are refused', () => {
    const layout = personalizeLayout(parquetDir);
    expect(layout.interactions).toMatchObject({ format: 'parquet', sharded: true });
    expect(layout.interactions.files.map((f) => f.split('/').pop())).toEqual(['part-0.parquet', 'part-1.parquet']);
    expect(layout.needsEngine).toBe(true);
    expect(usesEngine(config(csvDir))).toBe(false);
    expect(usesEngine(config(csvDir), 'duckdb')).toBe(true);
    const mixed = join(root, 'mixed');
    mkdirSync(join(mixed, 'interactions'), { recursive: true });
    writeFileSync(join(mixed, 'interactions', 'a.csv'), 'USER_ID,ITEM_ID,TIMESTAMP\n');
    writeFileSync(join(mixed, 'interactions', 'b.parquet'), '');
    expect(() => personalizeLayout(mixed)).toThrow(/both Parquet \(b\.parquet\) and CSV \(a\.csv\) shards/);
    writeFileSync(join(mixed, 'items.csv'), 'ITEM_ID\n');
    writeFileSync(join(mixed, 'items.parquet'), '');
    expect(() => personalizeLayout(join(mixed))).toThrow();
  });

  it('item titles for reports come from items.parquet as from items.csv', async () => {
    const fromCsv = await SOURCES.personalize.itemTitles!(csvDir);
    const fromParquet = await SOURCES.personalize.itemTitles!(parquetDir);
    expect(fromParquet.size).toBe(fromCsv.size);
    expect(fromParquet.get('1')).toBe('Toy Story (1995)');
    expect([...fromParquet].every(([id, title]) => fromCsv.get(id) === title)).toBe(true);
  });

  for (const protocol of ['rating', 'next'] as const) it(`protocol ${protocol}: CSV and Parquet shards give byte-identical batches (first 40 of an epoch), test sets and contracts`, async () => {
    const digests = [];
    for (const dir of [csvDir, parquetDir]) {
      const d = await openStreamedDataset({ ...config(dir), protocol });
      try {
        // `next` keeps the positives (rating ≥ 4) as behaviours; `rating` keeps every rating.
        expect(d.stats.interactions).toMatchObject({ malformed: 0, kept: protocol === 'rating' ? 100836 : 48580 });
        const data = await prepareStreamed(d.engine, d.users, { ...run, protocol, positiveRating: 4 });
        const batches = (await collect(data.train.batches(1, 256))).slice(0, 40).map(batchDigest);
        digests.push({ contract: sha256(JSON.stringify(data.contract.spec)), batches, test: [...allBatches(data.test)].map(batchDigest), size: data.train.size });
      } finally {
        d.engine.close();
      }
    }
    expect(digests[0].batches).toHaveLength(40);
    expect(digests[1]).toEqual(digests[0]);
  });

  it('the engine’s rating samples are the in-memory CSV path’s (train and test, as multisets)', async () => {
    const memory = prepareRun(await loadDataset(config(csvDir)), { ...run, model: 'din' });
    const d = await openStreamedDataset(config(parquetDir));
    try {
      const data = await prepareStreamed(d.engine, d.users, { ...run, positiveRating: 4, shuffleBuffer: 5000 });
      expect(data.contract.spec).toEqual(memory.contract.spec);
      const streamed = await collect(data.train.batches(1, 256));
      expect(data.train.size).toBe(memory.train.size);
      expect(sampleDigests(streamed, run.maxHistory)).toEqual(sampleDigests(allBatches(memory.train), run.maxHistory));
      expect(data.test.size).toBe(memory.test.size);
      expect(sampleDigests(allBatches(data.test), run.maxHistory)).toEqual(sampleDigests(allBatches(memory.test), run.maxHistory));
      // Another epoch: another order, the same samples.
      const second = await collect(data.train.batches(2, 256));
      expect(batchDigest(second[0])).not.toBe(batchDigest(streamed[0]));
      expect(sampleDigests(second, run.maxHistory)).toEqual(sampleDigests(streamed, run.maxHistory));
    } finally {
      d.engine.close();
    }
  });

  it('a Parquet layout read in memory (loadDataset, for experiment and report) prepares exactly the CSV reader’s data', async () => {
    const run0 = { ...run, model: 'din' as const };
    const [a, b] = [prepareRun(await loadDataset(config(csvDir)), run0), prepareRun(await loadDataset(config(parquetDir)), run0)];
    expect(b.contract.spec).toEqual(a.contract.spec);
    const all = (d: EncodedDataset) => ({ users: d.userIds, batches: [...allBatches(d)].map(batchDigest) });
    expect(all(b.train)).toEqual(all(a.train));
    expect(all(b.test)).toEqual(all(a.test));
  });

  it('the shuffle buffer holds at most its bound plus one user’s samples', async () => {
    const d = await openStreamedDataset(config(parquetDir));
    try {
      const data = await prepareStreamed(d.engine, d.users, { ...run, positiveRating: 4, shuffleBuffer: 2000 });
      let samples = 0;
      for await (const b of data.train.batches(1, 256)) samples += b.size;
      const longest = (await d.engine.connection.runAndReadAll('SELECT max(n) AS n FROM users')).getRowObjectsJS()[0].n as bigint;
      expect(samples).toBe(data.train.size);
      expect(data.train.maxBufferedSamples).toBeGreaterThanOrEqual(2000);
      expect(data.train.maxBufferedSamples).toBeLessThan(2000 + Number(longest));
      // A capped test set: users in the fixed hash order until 3,000 samples.
      const capped = await prepareStreamed(d.engine, d.users, { ...run, positiveRating: 4, maxTestSamples: 3000 });
      expect(capped.test.size).toBeGreaterThanOrEqual(3000);
      expect(capped.test.size).toBeLessThan(3000 + Number(longest));
      expect(capped.test.userIds).toEqual(data.test.userIds.slice(0, capped.test.userIds.length));
    } finally {
      d.engine.close();
    }
  });

  it('maxUserBehaviours: the engine and the in-memory reader cut long users alike (never more than the cap; a tie at the cut goes whole)', async () => {
    const times = (ts: number[], max: number) => recentBehaviours(ts.map((time) => ({ item: `i${time}`, time })), max).map((b) => b.time);
    expect(times([1, 2, 3, 3, 4, 5], 3)).toEqual([4, 5]); // the tie at the cut goes whole: never more than max
    expect(times([1, 2, 3, 4], 2)).toEqual([3, 4]);
    expect(times([1, 2, 3], 3)).toEqual([1, 2, 3]);
    expect(times([7, 7, 7, 7], 2)).toEqual([]); // one timestamp: nothing is recent enough
    const capped = { ...config(csvDir), maxUserBehaviours: 40 };
    const loaded = await loadDataset(capped);
    const memory = prepareRun(loaded, { ...run, model: 'din' });
    const lengths = [...loaded.log.timelines.values()].map((t) => t.length);
    expect(loaded.cappedUsers).toBeGreaterThan(300); // of MovieLens' 610 users
    expect(Math.max(...lengths)).toBeLessThanOrEqual(40);
    // MovieLens rates in bursts: some cut users lose a tie at the cut and keep fewer than 40.
    const full = await loadDataset(config(csvDir));
    const cut = [...full.log.timelines].filter(([, t]) => t.length > 40).map(([u]) => loaded.log.timelines.get(u)?.length ?? 0);
    expect(cut).toHaveLength(loaded.cappedUsers);
    expect(cut.filter((n) => n < 40).length).toBeGreaterThan(10);
    const d = await openStreamedDataset({ ...capped, data: parquetDir });
    try {
      expect(d.engine.stats.cappedUsers).toBe(loaded.cappedUsers);
      expect((await d.engine.size('all')).behaviours).toBe(lengths.reduce((a, b) => a + b, 0));
      const data = await prepareStreamed(d.engine, d.users, { ...run, positiveRating: 4, shuffleBuffer: 5000 });
      expect(data.contract.spec).toEqual(memory.contract.spec);
      const streamed = await collect(data.train.batches(1, 256));
      expect(sampleDigests(streamed, run.maxHistory)).toEqual(sampleDigests(allBatches(memory.train), run.maxHistory));
      expect(sampleDigests(allBatches(data.test), run.maxHistory)).toEqual(sampleDigests(allBatches(memory.test), run.maxHistory));
    } finally {
      d.engine.close();
    }
    // The default cap (10⁵) leaves MovieLens whole.
    expect(full.cappedUsers).toBe(0);
  });

  it('mini-batch aware L2 over the stream: the in-memory training set’s n_j, counted a batch at a time', async () => {
    const runConfig = { ...run, model: 'din' as const };
    const memory = prepareRun(await loadDataset(config(csvDir)), runConfig);
    const model = createModel(modelConfigFor(runConfig, memory.contract), run.seed);
    const d = await openStreamedDataset(config(parquetDir));
    try {
      const data = await prepareStreamed(d.engine, d.users, { ...run, positiveRating: 4, shuffleBuffer: 5000 });
      const streamed = await streamedMbaTargets(model, data.train, 1, 512);
      const inMemory = mbaTargets(model, memory.train);
      expect(streamed.map((t) => t.param)).toEqual(['emb.item', 'emb.category']);
      expect(streamed.map((t) => t.param)).toEqual(inMemory.map((t) => t.param));
      // Rows no sample holds: 0 in memory (they never reach a batch), 1 streamed (a later epoch's fresh negatives may bring them).
      streamed.forEach((t, i) => expect(t.inverseFrequency).toEqual(inMemory[i].inverseFrequency.map((x) => (x === 0 ? 1 : x))));
      expect(streamed[0].inverseFrequency.filter((x) => x > 0).length).toBeGreaterThan(1000);
    } finally {
      d.engine.close();
    }
  });

  it('mini-batch aware L2 over the stream: a row a later epoch brings (a fresh negative) is penalised, not skipped', async () => {
    // 200 users × 10 items of their own and a validation slice: the items only validation users
    // touched are in the negative pool but reach training batches only as drawn negatives, which
    // the stream draws afresh each epoch, while n_j counts epoch 1.
    const dir = join(root, 'mba-epochs');
    mkdirSync(dir, { recursive: true });
    const rows = ['USER_ID,ITEM_ID,TIMESTAMP'];
    for (let u = 0; u < 200; u++) for (let k = 0; k < 10; k++) rows.push(`u${u},i${u * 10 + k},${1700000000 + k}`);
    writeFileSync(join(dir, 'interactions.csv'), rows.join('\n') + '\n');
    const d = await openStreamedDataset({ source: 'personalize', data: dir, protocol: 'next' }, { validationFraction: 0.2 });
    try {
      const runConfig = { ...DEFAULT_RUN, minItemCount: 1, model: 'din' as const, protocol: 'next' as const, seed: 3 };
      const data = await prepareStreamed(d.engine, d.users, { ...runConfig, shuffleBuffer: 5000, validationFraction: 0.2 });
      const [items] = await streamedMbaTargets(createModel(modelConfigFor(runConfig, data.contract), runConfig.seed), data.train, 1, 512);
      const firstEpoch = new Set<number>();
      for await (const b of data.train.batches(1, 64)) for (const j of distinctIds(...items.idsOf(b))) firstEpoch.add(j);
      let fresh = 0;
      let unpenalised = 0;
      for await (const b of data.train.batches(2, 64)) {
        for (const j of distinctIds(...items.idsOf(b))) {
          if (!firstEpoch.has(j)) fresh++;
          if (!(items.inverseFrequency[j] > 0)) unpenalised++;
        }
      }
      expect(fresh).toBeGreaterThan(0); // the case exists: epoch 2 trains rows epoch 1 never held
      expect(unpenalised).toBe(0);
    } finally {
      d.engine.close();
    }
  });

  it('maxUserBehaviours: a bot whose events share one TIMESTAMP is cut to nothing and dropped, in both paths', async () => {
    const dir = join(root, 'tied-bot');
    mkdirSync(dir, { recursive: true });
    const rows = ['USER_ID,ITEM_ID,TIMESTAMP'];
    for (let k = 0; k < 5000; k++) rows.push(`bot,i${k % 300},1700006400`);
    for (let u = 0; u < 20; u++) for (let k = 0; k < 5; k++) rows.push(`u${u},i${(u + k) % 50},${1600000000 + k}`);
    writeFileSync(join(dir, 'interactions.csv'), rows.join('\n') + '\n');
    const cfg = { source: 'personalize' as const, data: dir, maxUserBehaviours: 100 };
    const loaded = await loadDataset(cfg);
    expect([loaded.cappedUsers, loaded.droppedUsers, loaded.log.timelines.has('bot'), loaded.log.timelines.size]).toEqual([1, 1, false, 20]);
    const d = await openStreamedDataset(cfg);
    try {
      expect([d.engine.stats.cappedUsers, d.engine.stats.droppedUsers, d.engine.stats.userCount]).toEqual([1, 1, 20]);
      expect(await d.engine.size('all')).toEqual({ users: 20, behaviours: 100 });
    } finally {
      d.engine.close();
    }
  });

  it('DIEN’s auxiliary negatives in the stream: one unclicked item per history behaviour, fresh each epoch, the same on a replay', async () => {
    const d = await openStreamedDataset({ ...config(parquetDir), protocol: 'next' });
    try {
      const data = await prepareStreamed(d.engine, d.users, { ...run, protocol: 'next', positiveRating: 4, negativeSequences: true, shuffleBuffer: 5000 });
      const H = run.maxHistory;
      const epoch1 = await collect(data.train.batches(1, 256));
      // Counted, then asserted once: an expect per position would dominate the test's time.
      let positions = 0;
      const wrong = { paddingFilled: 0, missing: 0, clicked: 0, categoryDiffers: 0 };
      const categoryOf = new Map<number, number>();
      for (const b of epoch1) {
        expect(b.negativeItems).toHaveLength(b.size * H);
        for (let i = 0; i < b.size; i++) {
          const history = b.historyItems.subarray(i * H, (i + 1) * H);
          const clicked = new Set(history);
          for (let t = 0; t < H; t++) {
            const neg = b.negativeItems[i * H + t];
            // Padding stays padding; a real behaviour gets a negative the user did not click here
            // (1 is an item below minItemCount: out of the vocabulary).
            if (history[t] === 0) wrong.paddingFilled += neg === 0 ? 0 : 1;
            else {
              positions++;
              if (neg === 0) wrong.missing++;
              if (neg > 1 && clicked.has(neg)) wrong.clicked++;
              if (neg > 1) categoryOf.set(neg, b.negativeCategories[i * H + t]);
            }
          }
        }
      }
      // Each negative is encoded with its own category, as the same item is in a history.
      let compared = 0;
      for (const b of epoch1) for (let k = 0; k < b.historyItems.length; k++) {
        const c = categoryOf.get(b.historyItems[k]);
        if (c !== undefined) {
          compared++;
          if (b.historyCategories[k] !== c) wrong.categoryDiffers++;
        }
      }
      expect(wrong).toEqual({ paddingFilled: 0, missing: 0, clicked: 0, categoryDiffers: 0 });
      expect(positions).toBeGreaterThan(100_000);
      expect(compared).toBeGreaterThan(100_000);
      const replay = await collect(data.train.batches(1, 256));
      expect(replay.map(batchDigest)).toEqual(epoch1.map(batchDigest));
      const epoch2 = await collect(data.train.batches(2, 256));
      const negativesOf = (bs: Batch[]) => sha256(bs.map((b) => sha(b.negativeItems)).join());
      expect(negativesOf(epoch2)).not.toBe(negativesOf(epoch1));
      // Without the option the batches carry none.
      const plain = await prepareStreamed(d.engine, d.users, { ...run, protocol: 'next', positiveRating: 4, shuffleBuffer: 5000 });
      const [first] = await collect(plain.train.batches(1, 256));
      expect(first.negativeItems).toHaveLength(0);
    } finally {
      d.engine.close();
    }
  });

  it('malformed Parquet rows are counted and located by row group; the read stops above the fraction', async () => {
    const dir = join(root, 'bad-parquet');
    mkdirSync(dir, { recursive: true });
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    // 5000 rows in row groups of 2048: row 3001 (row group 1) has a text TIMESTAMP, row 4001 (row group 1) no user, row 4501 (row group 2) milliseconds.
    await c.run(`COPY (SELECT CASE WHEN i = 4000 THEN NULL ELSE 'u' || (i % 50) END AS USER_ID, 'i' || (i % 97) AS ITEM_ID,
        CASE WHEN i = 3000 THEN 'yesterday' WHEN i = 4500 THEN '1700000000000' ELSE CAST(1700000000 + i AS VARCHAR) END AS TIMESTAMP
      FROM range(5000) r(i)) TO ${q(join(dir, 'interactions.parquet'))} (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
    c.closeSync();
    db.closeSync();
    const d = await openStreamedDataset({ source: 'personalize', data: dir, maxMalformedFraction: 0.01 });
    try {
      expect(d.stats.interactions).toMatchObject({ lines: 5000, malformed: 3, kept: 4997 });
      expect(d.stats.interactions.examples.map((e) => e.where)).toEqual(['interactions.parquet:row 3001 (row group 1)', 'interactions.parquet:row 4001 (row group 1)', 'interactions.parquet:row 4501 (row group 2)']);
      expect(d.malformed).toEqual({ rows: 3, first: 'interactions.parquet:row 3001 (row group 1): TIMESTAMP "yesterday" is not Unix seconds' });
      expect(d.stats.interactions.examples[2].reason).toMatch(/milliseconds/);
    } finally {
      d.engine.close();
    }
    await expect(openStreamedDataset({ source: 'personalize', data: dir, maxMalformedFraction: 0.0005 })).rejects.toThrow(
      /interactions\.parquet: 3 of 5000 rows are malformed \(more than 0\.05 % allowed\) — first: interactions\.parquet:row 3001 \(row group 1\): TIMESTAMP "yesterday" is not Unix seconds; .*row 4001 \(row group 1\): USER_ID is empty/,
    );
  });

  it('malformed CSV shards through the engine: by file and line, wrong field counts included', async () => {
    const dir = join(root, 'bad-csv');
    mkdirSync(join(dir, 'interactions'), { recursive: true });
    const rows = (from: number, n: number) => Array.from({ length: n }, (_, k) => `u${(from + k) % 7},i${(from + k) % 11},${1700000000 + from + k}`);
    writeFileSync(join(dir, 'interactions', 'part-1.csv'), ['USER_ID,ITEM_ID,TIMESTAMP', ...rows(0, 100)].join('\n') + '\n');
    const second = rows(100, 100);
    second[9] = 'u1,i2'; // line 11: a missing field
    second[19] = 'u1,i2,soon'; // line 21
    writeFileSync(join(dir, 'interactions', 'part-2.csv'), ['USER_ID,ITEM_ID,TIMESTAMP', ...second].join('\n') + '\n');
    const d = await openStreamedDataset({ source: 'personalize', data: dir });
    try {
      expect(d.stats.interactions).toMatchObject({ lines: 200, malformed: 2, kept: 198 });
      expect(d.stats.interactions.examples).toEqual([
        { line: 11, where: 'part-2.csv:line 11', reason: "expected 3 fields (the header's), got 2" },
        { line: 21, where: 'part-2.csv:line 21', reason: 'TIMESTAMP "soon" is not Unix seconds' },
      ]);
    } finally {
      d.engine.close();
    }
  });
});
