/** Feature columns: encoding rules (contract/features.ts), time context, manifest compatibility, Personalize columns. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FeatureContract, OOV_INDEX, type FeatureContractSpec } from '../../contract/featureContract.js';
import { DENSE_Z_LIMIT, denseInput, FeatureEncoder, parseCsvValue, type FeatureSpec } from '../../contract/features.js';
import { modelManifestSchema } from '../../contract/manifest.js';
import { timeContext, timeContextCache } from '../../contract/timeContext.js';
import { readPersonalize } from '../../model-export/data/personalize.js';
import { buildFeatureSpecs } from '../../model-export/features/featureColumns.js';
import { datasetConfigSchema } from '../../model-export/sources/datasetConfig.js';
import { loadDataset } from '../../model-export/sources/registry.js';
import { prepareRun } from '../../model-export/train/run.js';
import { readFileSync } from 'node:fs';

const genres: FeatureSpec = { name: 'genres', group: 'candidate', source: { column: 'GENRES' }, kind: 'multi', vocabulary: ['drama', 'comedy', 'noir'], embeddingDim: 4, maxValues: 2, pooling: 'mean', itemValues: [[2, 3], [], [4]] };
const age: FeatureSpec = { name: 'age', group: 'user', source: { column: 'AGE' }, kind: 'dense', mean: 40, std: 10 };
const device: FeatureSpec = { name: 'device', group: 'context', source: { column: 'DEVICE' }, kind: 'sparse', vocabulary: ['mobile', 'desktop'], embeddingDim: 4 };
const hour: FeatureSpec = { name: 'hour', group: 'context', source: { derive: 'hour', timeZone: 'UTC' }, kind: 'sparse', vocabulary: Array.from({ length: 24 }, (_, h) => String(h)), embeddingDim: 4 };
const pid: FeatureSpec = { name: 'pid', group: 'context', source: { derive: 'route', column: 'PAGE' }, kind: 'sparse', vocabulary: ['home', 'search'], embeddingDim: 4 };

function contract(features: FeatureSpec[] = [genres, age, device, hour, pid]): FeatureContract {
  const spec: FeatureContractSpec = {
    formatVersion: 2,
    maxHistory: 4,
    padding: 'right',
    truncation: 'keep-most-recent',
    padIndex: 0,
    oovIndex: 1,
    items: ['a', 'b', 'c'],
    categories: ['x'],
    itemCategories: [2, 2, 2],
    vocabularyRule: 'test',
    features,
  };
  return new FeatureContract(spec);
}

describe('feature encoding rules', () => {
  it('multi: known values in order, unknown dropped and counted, truncated to maxValues, nothing known → [OOV], padded with 0', () => {
    const e = new FeatureEncoder(genres);
    const out = new Int32Array(2);
    expect(e.write(out, 0, ['noir', 'zzz', 'drama', 'comedy'])).toBe(1);
    expect([...out]).toEqual([4, 2]); // the first maxValues known values
    expect(e.write(out, 0, ['zzz'])).toBe(1);
    expect([...out]).toEqual([OOV_INDEX, 0]);
    expect(e.write(out, 0, undefined)).toBe(0);
    expect([...out]).toEqual([OOV_INDEX, 0]);
  });

  it('dense: (x − mean) / std, missing → 0 (the training mean)', () => {
    const e = new FeatureEncoder(age);
    const out = new Float32Array(2);
    e.write(out, 0, 55);
    e.write(out, 1, undefined);
    expect([...out]).toEqual([1.5, 0]);
  });

  it('candidate attributes: a known item uses the manifest value and ignores hints; an unknown one uses its hints', () => {
    const c = contract();
    const h = c.encodeHistory([{ item: 'a', attributes: { genres: ['noir'] } }, { item: 'new', attributes: { genres: ['noir', 'drama'] } }, { item: 'b' }, 'newer']);
    const f = h.features.find((x) => x.input === 'hist_genres')!;
    expect(f.dims).toEqual([4, 2]);
    expect([...f.data]).toEqual([2, 3, 4, 2, OOV_INDEX, 0, OOV_INDEX, 0]);
  });

  it('request features: values, derived hour and pid, unused entries counted, client values override derived ones', () => {
    const c = contract();
    const time = Date.UTC(2026, 11, 1, 17, 30) / 1000;
    const r = c.encodeRequestFeatures({ profile: { age: 50, gender: 'F' }, context: { device: 'tv', tz: 'UTC', extra: 1 }, time, timeZone: 'UTC', route: 'search' });
    const by = Object.fromEntries(r.features.map((f) => [f.input, [...f.data]]));
    expect(by).toEqual({ user_age: [1], ctx_device: [OOV_INDEX], ctx_hour: [2 + 17], ctx_pid: [3] });
    expect(r.unknown).toEqual({ profile: 1, context: 2 }); // gender unused; tv unknown + extra unused
    const explicit = c.encodeRequestFeatures({ context: { hour: '3' }, time, timeZone: 'Asia/Kolkata', route: 'home' });
    expect(explicit.features.find((f) => f.input === 'ctx_hour')!.data[0]).toBe(2 + 3);
  });

  it('checkRequest names the field of every wrong type', () => {
    const c = contract();
    const issues = c.checkRequest({ profile: { age: '31' }, context: { device: ['a'], tz: 'Nowhere/City', unused: { x: 1 } }, candidates: [{ item: "n", attributes: { genres: [{}] as never } }] });
    expect(issues.map((i) => i.path).sort()).toEqual(['candidates.0.attributes.genres', 'context.device', 'context.tz', 'profile.age']);
  });

  it('CSV values: empty is missing, multi splits on |, dense must be a number', () => {
    expect(parseCsvValue({ kind: 'multi' }, ' a | b ||')).toEqual(['a', 'b']);
    expect(parseCsvValue({ kind: 'dense' }, '12.5')).toBe(12.5);
    expect(parseCsvValue({ kind: 'dense' }, 'n/a')).toBeUndefined();
    expect(parseCsvValue({ kind: 'sparse' }, '  ')).toBeUndefined();
  });
});

describe('time context', () => {
  it('hour and weekday in a zone, with the 15-minute cache agreeing with Intl', () => {
    const t = Date.UTC(2026, 2, 29, 1, 45) / 1000; // Sunday 01:45 UTC: 03:45 in Paris, just after its DST switch (01:00 UTC)
    expect(timeContext(t, 'UTC')).toEqual({ hour: '1', weekday: 'Sun' });
    expect(timeContext(t, 'Europe/Paris')).toEqual({ hour: '3', weekday: 'Sun' });
    expect(timeContext(t - 3600, 'Europe/Paris')).toEqual({ hour: '1', weekday: 'Sun' }); // 00:45 UTC, still CET
    expect(timeContext(t, 'America/Los_Angeles')).toEqual({ hour: '18', weekday: 'Sat' });
    const cached = timeContextCache('Asia/Kathmandu'); // +05:45
    for (let s = t; s < t + 86_400; s += 611) expect(cached(s)).toEqual(timeContext(s, 'Asia/Kathmandu'));
  });
});

describe('manifest compatibility', () => {
  // dien-movielens is still a format-1 export (the DIN was re-exported in format 2 on 2026-12-02).
  const shipped = JSON.parse(readFileSync(new URL('../../models/dien-movielens/manifest.json', import.meta.url), 'utf8'));

  it('a shipped format-1 manifest (dien-movielens) still loads, without features', () => {
    const m = modelManifestSchema.parse(shipped);
    expect(m.featureContract.formatVersion).toBe(1);
    expect(new FeatureContract(m.featureContract as FeatureContractSpec).featureSpecs).toEqual([]);
  });

  it('an unknown format is refused, not guessed at; features in format 1 are refused', () => {
    const future = structuredClone(shipped);
    (future.featureContract as { formatVersion: number }).formatVersion = 4;
    expect(modelManifestSchema.safeParse(future).success).toBe(false);
    expect(() => new FeatureContract({ ...shipped.featureContract, formatVersion: 4 as never })).toThrow(/not supported/);
    // 3 is hashed item ids (test/unit/hashedItems.test.ts): a vocabulary contract cannot claim it.
    expect(() => new FeatureContract({ ...shipped.featureContract, formatVersion: 3 })).toThrow(/needs itemIds/);
    expect(() => new FeatureContract({ ...shipped.featureContract, features: [device] })).toThrow(/formatVersion 2/);
  });
});

describe('feature columns from data', () => {
  function layout(): string {
    const dir = mkdtempSync(join(tmpdir(), 'features-'));
    const rows = ['USER_ID,ITEM_ID,TIMESTAMP,DEVICE,PAGE'];
    for (let u = 0; u < 12; u++) for (let t = 0; t < 6; t++) rows.push(`u${u},i${(u + t) % 8},${1_700_000_000 + 3600 * (u + 7 * t)},${t % 2 ? 'mobile' : 'desktop'},${u % 3 ? 'home' : 'search'}`);
    writeFileSync(join(dir, 'interactions.csv'), rows.join('\n') + '\n');
    writeFileSync(join(dir, 'items.csv'), 'ITEM_ID,GENRES,PRICE,BRAND\ni0,a|b,1.5,x\ni1,b,2.5,x\ni2,,,y\ni3,c|a,9,y\ni4,a,4,x\ni5,c,7,x\ni6,b,3,y\ni7,a|c,5,x\n');
    writeFileSync(join(dir, 'users.csv'), 'USER_ID,AGE,GENDER\n' + Array.from({ length: 12 }, (_, u) => `u${u},${u % 4 ? 20 + u : ''},${u % 2 ? 'F' : 'M'}`).join('\n') + '\n');
    return dir;
  }

  it('reads users.csv, items.csv and context columns; infers kinds; vocabularies and statistics from the training split', async () => {
    const dir = layout();
    const config = datasetConfigSchema.parse({
      data: dir,
      minItemCount: 1,
      features: [
        { group: 'user', column: 'age' },
        { group: 'user', column: 'gender', minCount: 1 },
        { group: 'candidate', column: 'genres', minCount: 1 },
        { group: 'candidate', column: 'price' },
        { group: 'context', column: 'device' },
        { group: 'context', derive: 'route', column: 'page' },
        { group: 'context', derive: 'weekday' },
      ],
    });
    const dataset = await loadDataset(config, { progress: false });
    const data = prepareRun(dataset, { model: 'din', protocol: 'next', seed: 1, epochs: 1, batchSize: 8, learningRate: 1e-3, maxHistory: 4, minItemCount: 1, embeddingDim: 4 });
    const specs = Object.fromEntries(data.contract.featureSpecs.map((f) => [f.name, f]));
    expect(Object.fromEntries(Object.entries(specs).map(([n, f]) => [n, f.kind]))).toEqual({ age: 'dense', gender: 'sparse', genres: 'multi', price: 'dense', device: 'sparse', pid: 'sparse', weekday: 'sparse' });
    expect(specs.pid.source).toEqual({ derive: 'route', column: 'page' });
    expect(specs.genres.kind === 'multi' && specs.genres.maxValues).toBe(2);
    // Dense statistics: AGE over training users that have one.
    const trainUsers = [...Array(12).keys()].filter((u) => dataset.prepare.split && (typeof dataset.prepare.split === 'function' ? true : dataset.prepare.split.by === 'user' ? dataset.prepare.split.test(`u${u}`) === 'train' : true));
    const ages = trainUsers.filter((u) => u % 4).map((u) => 20 + u);
    const mean = ages.reduce((a, b) => a + b, 0) / ages.length;
    expect(specs.age.kind === 'dense' && specs.age.mean).toBeCloseTo(mean, 10);
    // A batch carries every input with a leading batch dimension.
    const batch = data.train.batch([0, 1, 2]);
    expect(Object.fromEntries(Object.entries(batch.features).map(([k, v]) => [k, v.dims]))).toEqual({
      hist_genres: [3, 4, 2],
      cand_genres: [3, 2],
      hist_price: [3, 4],
      cand_price: [3],
      user_age: [3],
      user_gender: [3],
      ctx_device: [3],
      ctx_pid: [3],
      ctx_weekday: [3],
    });
  });

  it('a declared column the files lack is an error naming the file and the column', async () => {
    const dir = layout();
    await expect(loadDataset(datasetConfigSchema.parse({ data: dir, features: [{ group: 'user', column: 'INCOME' }] }), { progress: false })).rejects.toThrow(/users\.csv.*INCOME|INCOME.*users\.csv/);
    await expect(loadDataset(datasetConfigSchema.parse({ source: 'movielens', features: [{ group: 'user', column: 'AGE' }] }))).rejects.toThrow(/movielens source has no user column "AGE"/);
  });

  it('the dataset config refuses malformed declarations', () => {
    const bad = [
      { group: 'user', derive: 'hour' },
      { group: 'context', derive: 'route' },
      { group: 'context', derive: 'hour', kind: 'dense' },
      { group: 'candidate' },
    ];
    for (const f of bad) expect(datasetConfigSchema.safeParse({ features: [f] }).success, JSON.stringify(f)).toBe(false);
    expect(datasetConfigSchema.safeParse({ features: [{ group: 'context', derive: 'hour' }, { group: 'user', column: 'HOUR' }] }).success).toBe(false); // same name twice
    expect(datasetConfigSchema.safeParse({ timeZone: 'Mars/Base' }).success).toBe(false);
  });

  it('reads only declared columns, and context objects are shared per distinct combination', async () => {
    const dir = layout();
    const { log } = await readPersonalize({ dir, contextColumns: ['DEVICE'], userColumns: ['GENDER'], progress: false });
    const contexts = new Set([...log.timelines.values()].flat().map((b) => b.context));
    expect(contexts.size).toBe(2);
    expect(log.userAttributes?.get('u1')).toEqual({ GENDER: 'F' });
    expect(buildFeatureSpecs(undefined, log)).toEqual([]);
  });
});

describe('denseInput: the one clamp of dense values (issue 24, item 1)', () => {
  const ranged = { mean: 20, std: 8, min: 1, max: 99 };
  const legacy = { mean: 0.5, std: 0.2 };
  it('clamps to the training range, then normalises', () => {
    expect(denseInput(ranged, 50)).toBe((50 - 20) / 8);
    expect(denseInput(ranged, 1e300)).toBe((99 - 20) / 8);
    expect(denseInput(ranged, -1e300)).toBe((1 - 20) / 8);
    expect(denseInput(ranged, 2 ** 53)).toBe((99 - 20) / 8);
  });
  it(`without a range, bounds the z-score at ±${DENSE_Z_LIMIT}`, () => {
    expect(denseInput(legacy, 1e39)).toBe(DENSE_Z_LIMIT);
    expect(denseInput(legacy, -Number.MAX_VALUE)).toBe(-DENSE_Z_LIMIT);
    expect(denseInput(legacy, 0.7)).toBeCloseTo(1, 12);
  });
  it('every input encodes to a finite float32, whatever the value', () => {
    for (const v of [1e300, -1e300, 1e39, -0, 5e-324, 2 ** 53, Number.MAX_VALUE, Infinity, -Infinity, NaN]) {
      for (const spec of [ranged, legacy]) expect(Number.isFinite(Math.fround(denseInput(spec, v)))).toBe(true);
    }
  });
  it('the encoder writes the clamped value for requests and for stored item values alike', () => {
    const e = new FeatureEncoder({ name: 'price', group: 'candidate', kind: 'dense', source: { column: 'P' }, ...ranged, itemValues: [1e6, null] });
    const out = e.allocate(3) as Float32Array;
    e.write(out, 0, 1e300);
    e.writeItem(out, 1, 0);
    e.writeItem(out, 2, 1);
    expect(Array.from(out)).toEqual([Math.fround(79 / 8), Math.fround(79 / 8), 0]);
  });
  it('refuses a manifest range that overflows float32 after normalising, or half a range', () => {
    expect(() => new FeatureEncoder({ name: 'x', group: 'user', kind: 'dense', source: { column: 'X' }, mean: 0, std: 1e-10, min: 0, max: 1e35 })).toThrow(/overflows float32/);
    expect(() => new FeatureEncoder({ name: 'x', group: 'user', kind: 'dense', source: { column: 'X' }, mean: 0, std: 1, min: 0 } as never)).toThrow(/come together/);
  });
});
