/**
 * The Personalize-layout reader and the data-source registry on small fixtures: headers in any
 * case, quoted fields (with commas, quotes, newlines), gzip, event filters, impressions as
 * negatives, the time split, category columns, and every kind of bad input.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readPersonalize } from '../../model-export/data/personalize.js';
import { buildSamples } from '../../model-export/samples/protocols.js';
import { readDatasetConfig } from '../../model-export/sources/datasetConfig.js';
import { datasetIdentity, loadDataset, resolveDatasetConfig } from '../../model-export/sources/registry.js';
import { prepareData } from '../../model-export/train/pipeline.js';
import { writeCsv } from '../helpers/personalizeLayout.js';

const SHOP = new URL('../fixtures/personalize/shop/', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'personalize-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh directory with the given files (name → text). */
function dataDir(name: string, files: Record<string, string | Buffer>): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

const read = (dir: string, o: Partial<Parameters<typeof readPersonalize>[0]> = {}) => readPersonalize({ dir, progress: false, maxMalformedFraction: 0.5, ...o });
const items = (log: Awaited<ReturnType<typeof read>>['log'], user: string) => log.timelines.get(user)?.map((b) => b.item);

describe('Personalize reader', () => {
  it('reads headers in any case, quoted fields across lines, and sorts timelines (out-of-order rows counted)', async () => {
    const { log, stats } = await read(SHOP);
    expect(items(log, 'u1')).toEqual(['i2', 'i1', 'i4']); // file order i1@100, i2@000, i4@200
    expect(items(log, 'u2')).toEqual(['i1', 'i2', 'i3', 'i3']); // the view counts too without a filter; ties by item id
    expect(items(log, 'u3')).toEqual(['i5', 'i6']); // the multi-line quoted DEVICE is one record
    expect(log.timelines.get('u1')!.map((b) => b.value)).toEqual([undefined, undefined, 19.99]);
    expect(log.timelines.get('u1')![1].shown).toEqual(['i1', 'i2', 'i3']);
    expect(log.timelines.get('u1')![0].shown).toBeUndefined();
    expect(log.source).toBe('personalize-shop');
    expect(stats.interactions).toMatchObject({ lines: 15, kept: 10, outOfOrder: 1, withImpressions: 6, eventTypes: { click: 8, purchase: 1, view: 1 } });
    expect(stats.users).toMatchObject({ lines: 3, malformed: 0 });
    expect(stats).toMatchObject({ userCount: 4, itemCount: 6 });
  });

  it('counts malformed rows with file:line examples and fails past the threshold', async () => {
    const { stats } = await read(SHOP);
    expect(stats.interactions.malformed).toBe(5);
    expect(stats.interactions.examples).toEqual([
      { line: 13, reason: "expected 7 fields (the header's), got 3" },
      { line: 14, reason: 'TIMESTAMP 1700000000000 is after the year 2286: milliseconds? The layout wants seconds' },
      { line: 15, reason: 'TIMESTAMP "soon" is not Unix seconds' },
      { line: 16, reason: 'ITEM_ID is empty' },
      { line: 17, reason: 'EVENT_VALUE "cheap" is not a number' },
    ]);
    await expect(read(SHOP, { maxMalformedFraction: undefined })).rejects.toThrow(/interactions\.csv: 5 of 15 lines are malformed \(more than 1 % allowed\) — first: line 13: expected 7 fields/);
  });

  it('guesses the category column (skipping numbers and per-item titles) or takes the one named', async () => {
    const guessed = await read(SHOP);
    expect(guessed.stats.items).toMatchObject({ categoryColumn: 'GENRES', categoryColumnGuessed: true });
    expect(Object.fromEntries(guessed.log.itemCategory)).toEqual({ i1: 'home', i2: 'kitchen', i3: 'kitchen', i4: 'home', i5: 'kitchen' }); // i6: empty GENRES
    expect(guessed.stats.itemsWithoutCategory).toBe(1);
    const brand = await read(SHOP, { category: 'brand' }); // case-insensitive
    expect(brand.log.itemCategory.get('i6')).toBe('bolt');
    await expect(read(SHOP, { category: 'COLOUR' })).rejects.toThrow(/items\.csv: column COLOUR is missing \(named by --category/);
  });

  it('filters by event type and value', async () => {
    const clicks = await read(SHOP, { eventTypes: ['click'] });
    expect(clicks.stats.interactions).toMatchObject({ kept: 8, filteredByType: 2 });
    expect(items(clicks.log, 'u1')).toEqual(['i2', 'i1']);
    const valued = await read(SHOP, { minEventValue: 10 });
    expect(valued.stats.interactions).toMatchObject({ kept: 1, filteredByValue: 9 });
    expect(items(valued.log, 'u1')).toEqual(['i4']);
  });

  it('reads gzip (by content, not name), CRLF and a BOM the same', async () => {
    const text = readFileSync(join(SHOP, 'interactions.csv'), 'utf8');
    const dir = dataDir('gz', { 'Interactions.csv.gz': gzipSync('\ufeff' + text.replace(/\n/g, '\r\n')), 'items.csv': readFileSync(join(SHOP, 'items.csv')) });
    const again = await read(dir);
    const plain = await read(SHOP);
    expect(again.log.timelines).toEqual(plain.log.timelines);
    expect(again.log.itemCategory).toEqual(plain.log.itemCategory);
  });

  it('names the file and the column that is missing', async () => {
    const dir = dataDir('no-timestamp', { 'interactions.csv': 'USER_ID,ITEM_ID\nu1,i1\n' });
    await expect(read(dir)).rejects.toThrow(/no-timestamp\/interactions\.csv: column TIMESTAMP is missing \(required\); the header has USER_ID, ITEM_ID/);
    const noType = dataDir('no-type', { 'interactions.csv': 'USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1\n' });
    await expect(read(noType, { eventTypes: ['click'] })).rejects.toThrow(/column EVENT_TYPE is missing \(the dataset config keeps event types click\)/);
    await expect(read(noType, { category: 'GENRES' })).rejects.toThrow(/has no items\.csv/);
    await expect(read(join(tmp, 'nowhere'))).rejects.toThrow(/--data .*nowhere: .*expected a directory holding interactions\.csv/);
    await expect(read(dataDir('empty', {}))).rejects.toThrow(/has no interactions\.csv/);
    await expect(read(dataDir('blank', { 'interactions.csv': '' }))).rejects.toThrow(/the file is empty/);
    const items = dataDir('no-item-id', { 'interactions.csv': 'USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1\n', 'items.csv': 'ID,GENRES\ni1,a\n' });
    await expect(read(items)).rejects.toThrow(/items\.csv: column ITEM_ID is missing/);
  });

  it('reports an unclosed quote as a malformed row, not a hang', async () => {
    const dir = dataDir('unclosed', { 'interactions.csv': 'USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1\nu1,"i2,2\nu1,i3,3\n' });
    const { stats, log } = await read(dir);
    expect(items(log, 'u1')).toEqual(['i1']);
    expect(stats.interactions.malformed).toBe(1);
  });
});

describe('next protocol on impression logs', () => {
  it('takes shown-but-not-clicked items as negatives, else samples one', async () => {
    const { log } = await read(SHOP, { eventTypes: ['click', 'purchase'] });
    const samples = buildSamples(log, 'next', { seed: 1, maxImpressionNegatives: 2 });
    const of = (user: string) => samples.filter((s) => s.user === user).map((s) => `${s.position}:${s.candidate}:${s.label}`);
    expect(of('u1')).toEqual(['1:i1:1', '1:i2:0', '1:i3:0', '2:i4:1', '2:i5:0']);
    // i2 and i3 were both clicked at 1700000300 from the same impression: only i6 was shown and not clicked.
    expect(of('u2')).toEqual(['1:i2:1', '1:i6:0', '2:i3:1', '2:i6:0']);
    const u3 = of('u3'); // no impression: one sampled item u3 never touched
    expect(u3[0]).toBe('1:i6:1');
    expect(u3[1]).toMatch(/^1:i[1-4]:0$/);
    expect(buildSamples(log, 'next', { seed: 1, maxImpressionNegatives: 1 }).filter((s) => s.user === 'u1' && s.position === 1)).toHaveLength(2);
  });
});

describe('data sources and the dataset config', () => {
  it('loads a directory with its dataset.json: time split, impressions, min behaviours', async () => {
    const config = resolveDatasetConfig({ data: SHOP });
    expect(config).toMatchObject({ split: { by: 'time', lastDays: 0.001 }, negatives: { from: 'auto', maxPerPositive: 2 } });
    const dataset = await loadDataset(config, { progress: false });
    expect(dataset).toMatchObject({ source: 'personalize', name: 'shop', protocol: 'next', droppedUsers: 1 }); // u4 has one click
    const data = prepareData(dataset.log, { ...dataset.prepare, seed: 1, maxHistory: 50, minItemCount: 2 });
    // Train: behaviours before the cutoff (1700000500 − 86.4 s); test: u3's click at 1700000500 with its whole history.
    expect(data.train.size).toBe(9);
    expect(data.test.size).toBe(2);
    expect(data.test.userIds).toEqual(['u3']);
    expect(data.contract.spec.items).toEqual(['i1', 'i2']); // counted before the cutoff only, ≥ 2 times
    expect(data.contract.spec.categories).toEqual(['home', 'kitchen']);
  });

  it('ignores impressions with negatives.from "sampled", and takes H and the vocabulary cut-off from the config', async () => {
    const dataset = await loadDataset({ ...resolveDatasetConfig({ data: SHOP }), negatives: { from: 'sampled', maxPerPositive: 10 }, maxHistory: 7, minItemCount: 1 }, { progress: false });
    expect(dataset.prepare).toMatchObject({ maxHistory: 7, minItemCount: 1 });
    expect([...dataset.log.timelines.values()].flat().some((b) => b.shown !== undefined)).toBe(false);
    const data = prepareData(dataset.log, { seed: 1, maxHistory: 50, minItemCount: 2, ...dataset.prepare });
    expect(data.contract.maxHistory).toBe(7);
    expect(data.train.size).toBe(8); // 4 positives before the cutoff, one sampled negative each
    expect(data.contract.spec.items).toEqual(['i1', 'i2', 'i3', 'i4', 'i5']);
  });

  it('lets flags override the file, and checks the protocol against the source', async () => {
    const config = resolveDatasetConfig({ data: SHOP, category: 'BRAND', protocol: 'rating' });
    expect(config.category).toBe('BRAND');
    await expect(loadDataset(config, { progress: false })).rejects.toThrow(/rating protocol .* positive\.minEventValue/);
    await expect(loadDataset(resolveDatasetConfig({ data: SHOP, protocol: 'dien' }), { progress: false })).rejects.toThrow(/personalize source supports the protocols next, rating, not "dien"/);
    expect(() => resolveDatasetConfig({ source: 'parquet' })).toThrow(/--source must be one of movielens, amazon, taobao, personalize/);
  });

  it('refuses a config with a wrong field, naming the file and the field', () => {
    const file = join(dataDir('bad-config', {}), 'dataset.json');
    writeFileSync(file, JSON.stringify({ split: { by: 'time', lastDays: -3 }, negatives: { from: 'clicks' }, colour: 1 }));
    expect(() => readDatasetConfig(file)).toThrow(/bad-config\/dataset\.json is not a valid dataset config: .*split\.lastDays: .*negatives\.from: .*colour/s);
    writeFileSync(file, JSON.stringify({ minUserBehaviours: 5, maxUserBehaviours: 3 }));
    expect(() => readDatasetConfig(file)).toThrow(/not a valid dataset config: maxUserBehaviours: 3 is below minUserBehaviours \(5\)/);
    writeFileSync(file, JSON.stringify({ maxUserBehaviours: 1 }));
    expect(() => readDatasetConfig(file)).toThrow(/not a valid dataset config: maxUserBehaviours: /);
    writeFileSync(file, '{ not json');
    expect(() => readDatasetConfig(file)).toThrow(/bad-config\/dataset\.json: .*JSON/);
  });

  it('splits by user hash by default, the same users for every seed', async () => {
    const users = Array.from({ length: 2000 }, (_, u) => u);
    const dir = dataDir('many-users', {});
    writeCsv(join(dir, 'interactions.csv'), ['USER_ID', 'ITEM_ID', 'TIMESTAMP'], users.flatMap((u) => [[`user-${u}`, `i${u % 7}`, 1], [`user-${u}`, `i${(u + 1) % 7}`, 2]]));
    const dataset = await loadDataset({ data: dir }, { progress: false });
    const a = prepareData(dataset.log, { ...dataset.prepare, seed: 1, maxHistory: 5, minItemCount: 1 });
    const b = prepareData(dataset.log, { ...dataset.prepare, seed: 2, maxHistory: 5, minItemCount: 1 });
    expect(a.test.userIds).toEqual(b.test.userIds);
    expect(a.test.userIds.length / users.length).toBeGreaterThan(0.17);
    expect(a.test.userIds.length / users.length).toBeLessThan(0.23);
  });

  it('reads Taobao and Amazon through the same registry', async () => {
    const taobao = await loadDataset({ source: 'taobao', data: new URL('../fixtures/taobao/', import.meta.url).pathname, maxMalformedFraction: 0.3 }, { progress: false });
    expect(taobao).toMatchObject({ name: 'taobao', protocol: 'next' });
    expect(taobao.log.timelines.get('1')!.map((b) => b.item)).toEqual(['101', '102', '104']);
    // The directory holds reviews_Tiny_5.json and meta_Tiny.json (and meta_Hostile.json, not picked).
    const amazon = await loadDataset({ source: 'amazon', data: new URL('../fixtures/amazon/', import.meta.url).pathname, maxMalformedFraction: 0.5 }, { progress: false });
    expect(amazon).toMatchObject({ name: 'amazon-tiny', protocol: 'din' });
    expect(amazon.log.itemCategory.size).toBeGreaterThan(0);
    const din = prepareData(amazon.log, { ...amazon.prepare, seed: 1, maxHistory: 10, minItemCount: 1 });
    expect(din.test.size).toBe(2 * amazon.log.timelines.size); // one pair per user: the last review
    await expect(loadDataset({ source: 'taobao' }, { progress: false })).rejects.toThrow(/taobao source needs --data: UserBehavior\.csv/);
  });

  it('identifies datasets for stored runs; the vendored MovieLens keeps no identity', () => {
    expect(datasetIdentity({})).toBeUndefined();
    expect(datasetIdentity({ source: 'movielens' })).toBeUndefined();
    expect(datasetIdentity({ data: SHOP })).toBe('personalize:shop');
    expect(datasetIdentity({ data: SHOP, split: { by: 'time', lastDays: 7 } })).toMatch(/^personalize:shop#[0-9a-f]{8}$/);
  });
});

