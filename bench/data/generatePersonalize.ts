/**
 * Seeded generator of synthetic interaction logs in Amazon Personalize's dataset CSV layout
 * (interactions.csv[.gz], items.csv, users.csv), for scale benchmarks (10^5–10^7 interactions)
 * of the Personalize reader / data pipeline. Synthetic data is for benchmarks and unit tests only,
 * never for judging model quality. Same options ⇒ byte-identical files.
 *
 * Planted structure: each user prefers 2–3 categories and draws ~80 % of events from items whose
 * main category is one of them (Zipf popularity within a category, exponent 1), ~20 % uniformly.
 * Rows are roughly time-ordered across users with ±15 min local disorder (users interleaved, not
 * grouped or sorted), as in a real export — readers must sort.
 *
 * CLI: npx tsx bench/data/generatePersonalize.ts --out DIR --interactions N [--users N]
 *        [--items N] [--categories N] [--seed N] [--gzip] [--impressions]
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import seedrandom from 'seedrandom';

export interface GenerateOptions {
  dir: string; // output directory (created if missing)
  interactions: number; // total rows of interactions.csv
  users?: number; // default: round(interactions / 100)  (≈100 events per user)
  items?: number; // default: max(1000, round(interactions / 50))
  categories?: number; // default 50
  seed?: number; // default 1
  gzip?: boolean; // write interactions.csv.gz instead of interactions.csv (default false)
  impressions?: boolean; // add an IMPRESSION column (default false)
}
export interface GenerateResult { dir: string; interactions: number; users: number; items: number; files: string[]; bytes: number; seconds: number }

const END = Date.UTC(2026, 10, 1) / 1000; // 2026-11-01T00:00:00Z (exclusive)
const SPAN = 90 * 86400; // ~90 days of events
const JITTER = 15 * 60; // ± seconds of local disorder around the time-ordered position
const CHUNK = 1 << 20; // ~1 MB string chunks per write
const PREF_SHARE = 0.8; // share of a user's events drawn from preferred categories
const PURCHASE_SHARE = 0.15;
const ZIPF = 1; // popularity exponent within a category
const DEVICES = ['mobile', 'desktop', 'tablet'] as const;

type Rng = () => number;
const int = (r: Rng, n: number): number => Math.floor(r() * n);
const rngFor = (seed: number, stream: string): Rng => seedrandom.alea(`personalize:${seed}:${stream}`);

/** Streams `row(k)` for k < n into `path` in ~1 MB chunks, awaiting 'drain' on backpressure.
 * Rows are encoded straight into 1 MB Buffers (output is ASCII, so latin1 == utf8): ~1.5–2x faster
 * than concatenating 1 MB strings (short-lived row strings, less GC, no rope flattening). */
async function writeCsv(path: string, gzip: boolean, header: string, n: number, row: (k: number) => string): Promise<void> {
  const file = createWriteStream(path);
  const gz = gzip ? createGzip() : undefined;
  const head: Writable = gz ?? file;
  const done = gz ? pipeline(gz, file) : finished(file);
  done.catch(() => undefined); // rethrown by the final await below
  let buf = Buffer.allocUnsafe(CHUNK);
  let pos = buf.write(header + '\n', 'latin1');
  for (let k = 0; k < n; k++) {
    const r = row(k);
    if (pos + r.length > CHUNK) {
      if (!head.write(buf.subarray(0, pos))) await once(head, 'drain');
      [buf, pos] = [Buffer.allocUnsafe(CHUNK), 0];
    }
    pos += buf.write(r, pos, 'latin1');
  }
  head.end(buf.subarray(0, pos));
  await done;
}

export async function generatePersonalize(o: GenerateOptions): Promise<GenerateResult> {
  const t0 = performance.now();
  const { interactions: n, gzip = false } = o;
  const { users: nUsers = Math.max(1, Math.round(n / 100)), items: nItems = Math.max(1000, Math.round(n / 50)) } = o;
  const { categories: nCat = 50, seed = 1 } = o;
  for (const [k, v] of Object.entries({ interactions: n, users: nUsers, items: nItems, categories: nCat, seed })) {
    if (!Number.isSafeInteger(v) || v < (k === 'seed' ? 0 : 1)) throw new Error(`generatePersonalize: bad ${k}: ${v}`);
  }
  if (nItems < nCat) throw new Error(`generatePersonalize: items (${nItems}) must be >= categories (${nCat})`);
  const dir = resolve(o.dir);
  mkdirSync(dir, { recursive: true });

  // Items: main category (every category gets ≥ 1 item), 1–3 genres, a price skewed cheap.
  const ri = rngFor(seed, 'items');
  const mainCat = new Int32Array(nItems);
  const [itemId, price] = [new Array<string>(nItems), new Array<string>(nItems)];
  const itemsPath = join(dir, 'items.csv');
  await writeCsv(itemsPath, false, 'ITEM_ID,GENRES,PRICE,TITLE', nItems, (i) => {
    const genres = [i < nCat ? i : int(ri, nCat)];
    const k = Math.min(nCat, 1 + int(ri, 3));
    for (let c = int(ri, nCat); genres.length < k; c = int(ri, nCat)) if (!genres.includes(c)) genres.push(c);
    mainCat[i] = genres[0];
    itemId[i] = `i${i}`;
    price[i] = (0.99 + 199 * ri() ** 3).toFixed(2);
    return `${itemId[i]},${genres.map((c) => `cat${c}`).join('|')},${price[i]},Item ${i}\n`;
  });

  // Per-category item lists (CSR layout), shuffled so popularity rank is unrelated to id,
  // with a cumulative Zipf table per category for O(log n) sampling.
  const off = new Int32Array(nCat + 1);
  for (let i = 0; i < nItems; i++) off[mainCat[i] + 1]++;
  for (let c = 0; c < nCat; c++) off[c + 1] += off[c];
  const catItems = new Int32Array(nItems);
  const cursor = off.slice(0, nCat);
  for (let i = 0; i < nItems; i++) catItems[cursor[mainCat[i]]++] = i;
  const cum = new Float64Array(nItems);
  for (let c = 0; c < nCat; c++) {
    for (let j = off[c + 1] - 1; j > off[c]; j--) {
      const r = off[c] + int(ri, j - off[c] + 1);
      [catItems[j], catItems[r]] = [catItems[r], catItems[j]];
    }
    let s = 0;
    for (let j = off[c]; j < off[c + 1]; j++) cum[j] = s += (j - off[c] + 1) ** -ZIPF;
  }
  const sampleCat = (c: number, u: number): number => {
    let lo = off[c], hi = off[c + 1] - 1;
    const target = u * cum[hi];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid] > target) hi = mid;
      else lo = mid + 1;
    }
    return catItems[lo];
  };

  // Users: 2–3 preferred categories, a primary device, age and gender.
  const ru = rngFor(seed, 'users');
  const [prefs, nPref, device] = [new Int32Array(nUsers * 3), new Uint8Array(nUsers), new Uint8Array(nUsers)];
  const userId = new Array<string>(nUsers);
  const usersPath = join(dir, 'users.csv');
  await writeCsv(usersPath, false, 'USER_ID,AGE,GENDER', nUsers, (u) => {
    const k = Math.min(nCat, 2 + int(ru, 2));
    for (let j = 0; j < k; j++) {
      let c: number;
      do c = int(ru, nCat); while (prefs.subarray(u * 3, u * 3 + j).includes(c));
      prefs[u * 3 + j] = c;
    }
    nPref[u] = k;
    device[u] = ru() < 0.55 ? 0 : ru() < 0.75 ? 1 : 2;
    userId[u] = `u${u}`;
    const g = ru();
    return `${userId[u]},${18 + int(ru, 58)},${g < 0.48 ? 'F' : g < 0.96 ? 'M' : 'X'}\n`;
  });

  // Interactions: event k sits at its time-ordered slot plus jitter; users are interleaved.
  // Impressions use their own stream so the other columns don't depend on `impressions`.
  const pick = (u: number, r: Rng): number =>
    r() < PREF_SHARE ? sampleCat(prefs[u * 3 + int(r, nPref[u])], r()) : int(r, nItems);
  const [re, rm] = [rngFor(seed, 'events'), rngFor(seed, 'impressions')];
  const first = END - SPAN + JITTER; // slots span [first, END - JITTER) so jitter needs no clamping
  const step = (SPAN - 2 * JITTER) / n;
  const shown: number[] = [];
  const impression = (u: number, item: number): string => {
    const m = Math.min(nItems, 5 + int(rm, 6));
    const pos = int(rm, m);
    let out = '';
    shown.length = 0;
    for (let j = 0; j < m; j++) {
      let x = item;
      if (j !== pos) do x = pick(u, rm); while (x === item || shown.includes(x));
      shown.push(x);
      out += (j === 0 ? ',' : '|') + itemId[x];
    }
    return out;
  };
  const interactionsPath = join(dir, gzip ? 'interactions.csv.gz' : 'interactions.csv');
  const header = 'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE,DEVICE' + (o.impressions ? ',IMPRESSION' : '');
  await writeCsv(interactionsPath, gzip, header, n, (k) => {
    const u = int(re, nUsers);
    const item = pick(u, re);
    const t = Math.floor(first + (k + 0.5) * step + (2 * re() - 1) * JITTER);
    const type = re() < PURCHASE_SHARE ? 'purchase' : 'click';
    const dev = DEVICES[re() < 0.7 ? device[u] : int(re, 3)];
    const row = `${userId[u]},${itemId[item]},${t},${type},${price[item]},${dev}`;
    return (o.impressions ? row + impression(u, item) : row) + '\n';
  });

  const files = [interactionsPath, itemsPath, usersPath];
  const [bytes, seconds] = [files.reduce((s, f) => s + statSync(f).size, 0), Math.round(performance.now() - t0) / 1000];
  return { dir, interactions: n, users: nUsers, items: nItems, files, bytes, seconds };
}

async function main(): Promise<void> {
  const [str, bool] = [{ type: 'string' }, { type: 'boolean' }] as const;
  const options = { out: str, interactions: str, users: str, items: str, categories: str, seed: str, gzip: bool, impressions: bool };
  const { values: v } = parseArgs({ options });
  if (v.out === undefined || v.interactions === undefined) throw new Error('usage: --out DIR --interactions N [--users N] [--items N] [--categories N] [--seed N] [--gzip] [--impressions]');
  const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
  const result = await generatePersonalize({ dir: v.out, interactions: Number(v.interactions), users: num(v.users), items: num(v.items),
    categories: num(v.categories), seed: num(v.seed), gzip: v.gzip, impressions: v.impressions });
  console.log(JSON.stringify(result, null, 2));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => { console.error(e); process.exitCode = 1; });
}
