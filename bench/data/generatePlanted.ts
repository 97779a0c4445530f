/**
 * Seeded generator of synthetic interaction logs in Amazon Personalize's CSV layout with PLANTED
 * feature effects: proves that a CTR model which sees a feature group (user profile, or context)
 * recovers an effect that only that group explains. Same options ⇒ byte-identical files.
 *
 * Files: items.csv (ITEM_ID,CATEGORY,PRICE), users.csv (USER_ID,SEGMENT,AGE,NOISE),
 * interactions.csv (USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,DEVICE), rows grouped by user and
 * strictly time-ordered per user, integer Unix seconds in the 60 days before 2026-11-01T00:00:00Z.
 *
 * Generative rule (C categories, H = floor(C/2); P = profileStrength, X = contextStrength):
 *  - item i has CATEGORY cat(i mod C); PRICE log-normal (median ~20), no effect.
 *  - user: SEGMENT a|b, AGE 18–70, NOISE x|y|z, each uniform and independent; only SEGMENT matters.
 *  - N events are spread over users uniformly at random (multinomial, ~N/U each).
 *  - each event, independently of every other event (no fixed per-user preference, so a short
 *    history is only a noisy signal of the segment):
 *      DEVICE uniform in {mobile, desktop};
 *      with prob X            → category uniform among the even ones (mobile) / odd ones (desktop);
 *      else with prob P       → category uniform in 0..H-1 (SEGMENT a) / H..C-1 (SEGMENT b);
 *      else                   → category uniform in 0..C-1;
 *      item within the category by Zipf popularity (exponent 0.8, rank order shuffled vs id).
 *    So P(own half | SEGMENT) = X/2 + (1-X)(P + (1-P)/2) and P(matching parity | DEVICE) = X + (1-X)/2
 *    (for even H; defaults: 0.675 and 0.75). EVENT_TYPE is always `click`.
 *  - A strength of 0 removes that effect. Every event consumes the same random draws whatever the
 *    strengths, so the control data set differs from the planted one only in ITEM_ID.
 *
 * CLI: npx tsx bench/data/generatePlanted.ts --out DIR [--users N] [--items N] [--categories N]
 *        [--interactions N] [--seed N] [--profile-strength X] [--context-strength X]
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import seedrandom from 'seedrandom';

export interface PlantedOptions {
  dir: string; // output directory (created if missing)
  users?: number; // default 3000
  items?: number; // default 400
  categories?: number; // default 8 (≥ 2)
  interactions?: number; // total rows of interactions.csv, default 60000
  seed?: number; // default 1
  profileStrength?: number; // in [0, 1], default 0.7
  contextStrength?: number; // in [0, 1], default 0.5
}
export interface PlantedResult { dir: string; users: number; items: number; interactions: number; files: string[]; seconds: number }

const END = Date.UTC(2026, 10, 1) / 1000; // 2026-11-01T00:00:00Z (exclusive)
const SPAN = 60 * 86400;
const ZIPF = 0.8;
const CHUNK = 1 << 20;

type Rng = () => number;
const int = (r: Rng, n: number): number => Math.floor(r() * n);
const rngFor = (seed: number, stream: string): Rng => seedrandom.alea(`planted:${seed}:${stream}`);

/** Streams `row(k)` for k < n into `path` in ~1 MB latin1 chunks (output is ASCII), honouring backpressure. */
async function writeCsv(path: string, header: string, n: number, row: (k: number) => string): Promise<void> {
  const file = createWriteStream(path);
  const done = finished(file);
  done.catch(() => undefined); // rethrown by the final await
  let buf = Buffer.allocUnsafe(CHUNK);
  let pos = buf.write(header + '\n', 'latin1');
  for (let k = 0; k < n; k++) {
    const r = row(k);
    if (pos + r.length > CHUNK) {
      if (!file.write(buf.subarray(0, pos))) await once(file, 'drain');
      [buf, pos] = [Buffer.allocUnsafe(CHUNK), 0];
    }
    pos += buf.write(r, pos, 'latin1');
  }
  file.end(buf.subarray(0, pos));
  await done;
}

export async function generatePlanted(o: PlantedOptions): Promise<PlantedResult> {
  const t0 = performance.now();
  const { users: nUsers = 3000, items: nItems = 400, categories: nCat = 8, interactions: n = 60000, seed = 1 } = o;
  const { profileStrength: P = 0.7, contextStrength: X = 0.5 } = o;
  for (const [k, v] of Object.entries({ users: nUsers, items: nItems, categories: nCat, interactions: n, seed })) {
    if (!Number.isSafeInteger(v) || v < (k === 'seed' ? 0 : k === 'categories' ? 2 : 1)) throw new Error(`generatePlanted: bad ${k}: ${v}`);
  }
  for (const [k, v] of Object.entries({ profileStrength: P, contextStrength: X })) {
    if (!(v >= 0 && v <= 1)) throw new Error(`generatePlanted: ${k} must be in [0, 1]: ${v}`);
  }
  if (nItems < nCat) throw new Error(`generatePlanted: items (${nItems}) must be >= categories (${nCat})`);
  const dir = resolve(o.dir);
  mkdirSync(dir, { recursive: true });

  // Items: round-robin categories; price exp(N(ln 20, 0.8)) via Box–Muller.
  const ri = rngFor(seed, 'items');
  const itemsPath = join(dir, 'items.csv');
  await writeCsv(itemsPath, 'ITEM_ID,CATEGORY,PRICE', nItems, (i) => {
    const z = Math.sqrt(-2 * Math.log(1 - ri())) * Math.cos(2 * Math.PI * ri());
    return `i${i},cat${i % nCat},${Math.max(0.01, Math.exp(Math.log(20) + 0.8 * z)).toFixed(2)}\n`;
  });

  // Per-category item lists (item i sits at slot floor(i/C) of category i mod C), shuffled so
  // popularity rank is unrelated to id, with a cumulative Zipf table for O(log n) sampling.
  const catItems: Int32Array[] = [];
  const cums: Float64Array[] = [];
  for (let c = 0; c < nCat; c++) {
    const list = Int32Array.from({ length: Math.ceil((nItems - c) / nCat) }, (_, j) => c + j * nCat);
    for (let j = list.length - 1; j > 0; j--) {
      const r = int(ri, j + 1);
      [list[j], list[r]] = [list[r], list[j]];
    }
    const cum = new Float64Array(list.length);
    let s = 0;
    for (let j = 0; j < list.length; j++) cum[j] = s += (j + 1) ** -ZIPF;
    catItems.push(list);
    cums.push(cum);
  }
  const sampleItem = (c: number, u: number): number => {
    const cum = cums[c];
    const target = u * cum[cum.length - 1];
    let [lo, hi] = [0, cum.length - 1];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid] > target) hi = mid;
      else lo = mid + 1;
    }
    return catItems[c][lo];
  };

  // Users: SEGMENT (0 = a, 1 = b), AGE, NOISE — all independent.
  const ru = rngFor(seed, 'users');
  const segment = new Uint8Array(nUsers);
  const usersPath = join(dir, 'users.csv');
  await writeCsv(usersPath, 'USER_ID,SEGMENT,AGE,NOISE', nUsers, (u) => {
    segment[u] = int(ru, 2);
    return `u${u},${'ab'[segment[u]]},${18 + int(ru, 53)},${'xyz'[int(ru, 3)]}\n`;
  });

  // Allocation: multinomial event counts per user (CSR offsets), then per-user sorted times made
  // strictly increasing (ties bumped by 1 s, clamped below END) so per-user order is unambiguous.
  const ra = rngFor(seed, 'alloc');
  const off = new Int32Array(nUsers + 1);
  for (let k = 0; k < n; k++) off[int(ra, nUsers) + 1]++;
  for (let u = 0; u < nUsers; u++) off[u + 1] += off[u];
  const owner = new Int32Array(n);
  const time = new Float64Array(n);
  for (let u = 0; u < nUsers; u++) {
    const ts = time.subarray(off[u], off[u + 1]);
    for (let j = 0; j < ts.length; j++) ts[j] = END - SPAN + int(ra, SPAN);
    ts.sort();
    for (let j = ts.length - 1; j >= 0; j--) {
      if (j > 0 && ts[j - 1] >= ts[j]) ts[j - 1] = ts[j] - 1; // walk back so the last stays < END
    }
    owner.fill(u, off[u], off[u + 1]);
  }

  // Events: always 5 draws each (device, context coin, profile coin, category, item).
  const re = rngFor(seed, 'events');
  const H = Math.floor(nCat / 2);
  const [nEven, nOdd] = [Math.ceil(nCat / 2), H];
  const category = (u: number, mobile: boolean, uCtx: number, uProf: number, uCat: number): number => {
    if (uCtx < X) return mobile ? 2 * Math.floor(uCat * nEven) : 1 + 2 * Math.floor(uCat * nOdd);
    if (uProf < P) return segment[u] === 0 ? Math.floor(uCat * H) : H + Math.floor(uCat * (nCat - H));
    return Math.floor(uCat * nCat);
  };
  const interactionsPath = join(dir, 'interactions.csv');
  await writeCsv(interactionsPath, 'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,DEVICE', n, (k) => {
    const u = owner[k];
    const mobile = re() < 0.5;
    const c = category(u, mobile, re(), re(), re());
    return `u${u},i${sampleItem(c, re())},${time[k]},click,${mobile ? 'mobile' : 'desktop'}\n`;
  });

  const files = [interactionsPath, itemsPath, usersPath];
  return { dir, users: nUsers, items: nItems, interactions: n, files, seconds: Math.round(performance.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  const s = { type: 'string' } as const;
  const options = { out: s, users: s, items: s, categories: s, interactions: s, seed: s, 'profile-strength': s, 'context-strength': s };
  const { values: v } = parseArgs({ options });
  if (v.out === undefined) {
    throw new Error('usage: --out DIR [--users N] [--items N] [--categories N] [--interactions N] [--seed N] [--profile-strength X] [--context-strength X]');
  }
  const num = (x: string | undefined): number | undefined => (x === undefined ? undefined : Number(x));
  const r = await generatePlanted({ dir: v.out, users: num(v.users), items: num(v.items), categories: num(v.categories),
    interactions: num(v.interactions), seed: num(v.seed), profileStrength: num(v['profile-strength']), contextStrength: num(v['context-strength']) });
  console.log(`generatePlanted: ${r.interactions} interactions, ${r.users} users, ${r.items} items → ${r.files.join(', ')} (${r.seconds} s)`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => { console.error(e); process.exitCode = 1; });
}
