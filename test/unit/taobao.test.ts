import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readTaobao } from '../../model-export/data/taobao.js';
import { buildSamples } from '../../model-export/samples/protocols.js';

const CSV = new URL('../fixtures/taobao/UserBehavior.csv', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'taobao-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// The fixture has 16 lines, 4 of them malformed (25 %): above the default 1 %.
const { log, stats } = await readTaobao(CSV, { progress: false, maxMalformedFraction: 0.3 });
const items = (user: string) => log.timelines.get(user)?.map((b) => b.item);

describe('Taobao UserBehavior.csv reader', () => {
  it('keeps pv events only, as time-sorted timelines (ties by numeric item id)', () => {
    expect(log.source).toBe('taobao-userbehavior');
    expect(items('1')).toEqual(['101', '102', '104']); // the buy of 101 and the fav of 103 are dropped
    expect(items('2')).toEqual(['102', '101', '106']); // 101 and 106 share a timestamp; the cart is dropped
    expect(items('3')).toEqual(['107', '101']);
    expect(log.timelines.has('4')).toBe(false); // only a buy
    expect(log.timelines.get('1')!.map((b) => b.time)).toEqual([1511544070, 1511544080, 1511544100]);
    expect(stats.behaviours).toEqual({ pv: 8, fav: 1, cart: 1, buy: 2 });
    expect(stats).toMatchObject({ users: 3, items: 5 });
  });

  it("takes an item's category from its first pv line", () => {
    expect(Object.fromEntries(log.itemCategory)).toEqual({ '101': '11', '102': '12', '104': '13', '106': '14', '107': '15' });
    expect(stats.categoryConflicts).toBe(1); // user 3 saw item 101 under category 99
  });

  it('counts malformed lines and fails past the threshold (default 1 %)', async () => {
    expect(stats).toMatchObject({ lines: 16, malformed: 4 });
    expect(stats.examples).toEqual([
      { line: 13, reason: 'expected 5 comma-separated fields, got 1' },
      { line: 14, reason: 'unknown behavior "click"' },
      { line: 15, reason: 'timestamp is not an integer' },
      { line: 16, reason: 'expected 5 comma-separated fields, got 4' },
    ]);
    await expect(readTaobao(CSV, { progress: false })).rejects.toThrow(/4 of 16 lines are malformed \(more than 1 % allowed\) — first: line 13/);
  });

  it('reads CRLF line endings and gzip, and can keep a subset of users', async () => {
    const crlf = join(tmp, 'UserBehavior.csv.gz');
    writeFileSync(crlf, gzipSync(readFileSync(CSV, 'utf8').replace(/\n/g, '\r\n')));
    const again = await readTaobao(crlf, { progress: false, maxMalformedFraction: 0.3 });
    expect(again.log).toEqual(log);
    const some = await readTaobao(CSV, { progress: false, maxMalformedFraction: 0.3, keepUser: (u) => u !== '2' });
    expect([...some.log.timelines.keys()]).toEqual(['1', '3']);
  });

  it('feeds the `next` protocol unchanged', () => {
    const samples = buildSamples(log, 'next', { seed: 1 });
    // (n − 1) positive/negative pairs per user: users 1, 2, 3 have 3, 3, 2 clicks.
    expect(samples).toHaveLength(2 * (2 + 2 + 1));
    expect(samples.filter((s) => s.label === 1).map((s) => [s.user, s.position, s.candidate])).toEqual([
      ['1', 1, '102'],
      ['1', 2, '104'],
      ['2', 1, '101'],
      ['2', 2, '106'],
      ['3', 1, '101'],
    ]);
    const pool = new Set(log.itemCategory.keys());
    for (const s of samples.filter((x) => x.label === 0)) {
      expect(pool.has(s.candidate)).toBe(true);
      expect(items(s.user)).not.toContain(s.candidate);
    }
    expect(buildSamples(log, 'next', { seed: 1 })).toEqual(samples);
  });
});
