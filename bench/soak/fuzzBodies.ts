/**
 * Hostile request bodies for `POST /v1/score`, seeded: each case is a valid request with one or a
 * few mutations, or a malformed body outright. The worker must answer every one with a JSON 4xx
 * (or a 200 when the mutation leaves a valid request), never a 5xx, never a non-JSON error.
 */
import seedrandom from 'seedrandom';

export interface FuzzCase {
  label: string;
  contentType: string;
  body: string | Uint8Array;
}

type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

/** Values of every JSON type, including the edges: huge numbers, long strings, deep and wide structures. */
function hostileValue(rng: Rng, depth = 0): unknown {
  if (depth > 4) return null;
  switch (int(rng, 0, 13)) {
    case 0: return null;
    case 1: return pick(rng, [true, false]);
    case 2: return pick(rng, [0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, -0, 1e-320]);
    case 3: return 'x'.repeat(int(rng, 0, 3) === 0 ? 300_000 : int(rng, 0, 200));
    case 4: return pick(rng, ['', ' ', '\u0000', '\ud800', '💥'.repeat(40), '<script>alert(1)</script>', '../../etc/passwd', '%00', 'Europe/Nowhere', '__proto__']);
    case 5: return depth > 3 ? [] : Array.from({ length: int(rng, 0, 5) }, () => hostileValue(rng, depth + 1));
    case 6: return depth > 3 ? {} : Object.fromEntries(Array.from({ length: int(rng, 0, 5) }, () => [pick(rng, ['item', 'category', 'attributes', '__proto__', 'constructor', 'x'.repeat(int(rng, 1, 64))]), hostileValue(rng, depth + 1)]));
    case 7: return Array.from({ length: int(rng, 1001, 1500) }, (_, i) => String(i));
    case 8: return { item: hostileValue(rng, depth + 1), category: hostileValue(rng, depth + 1) };
    case 9: return Array.from({ length: int(rng, 1, 40) }, (_, i) => ({ item: String(i), attributes: { genres: hostileValue(rng, depth + 1), year: hostileValue(rng, depth + 1) } }));
    case 10: return Object.fromEntries(Array.from({ length: int(rng, 30, 80) }, (_, i) => [`k${i}`, i]));
    case 11: return pick(rng, ['ctr', 'cvr', 'ecpm', 'ECPM', 'ctr;drop', 'score']);
    case 12: return { tz: pick(rng, ['UTC', 'Asia/Tokyo', 'Mars/Olympus', 'x'.repeat(500), 5]) };
    default: return int(rng, -5, 2000);
  }
}

/** `obj[key] = value` as an own enumerable property, also for `__proto__` (which plain assignment would treat as the prototype). */
function set(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

const FIELDS = ['history', 'candidates', 'user', 'topK', 'explain', 'rankBy', 'bids', 'profile', 'context', '__proto__', 'constructor', 'x'.repeat(250_000)] as const;

/** `count` cases from `seed`, each built from `valid` (a valid request body). */
export function* fuzzCases(count: number, seed: string, valid: Record<string, unknown>): Generator<FuzzCase> {
  const rng = seedrandom(seed);
  for (let i = 0; i < count; i++) {
    const kind = int(rng, 0, 9);
    if (kind === 0) {
      // Malformed text: truncated, invalid UTF-8, deep nesting, BOM, empty.
      const text = JSON.stringify(valid);
      yield pick(rng, [
        { label: 'truncated', contentType: 'application/json', body: text.slice(0, int(rng, 0, text.length - 1)) },
        { label: 'invalid utf-8', contentType: 'application/json', body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) },
        { label: 'deep nesting', contentType: 'application/json', body: `{"candidates":${'['.repeat(50_000)}${']'.repeat(50_000)}}` },
        { label: 'bom', contentType: 'application/json', body: `\ufeff${text}` },
        { label: 'empty', contentType: 'application/json', body: '' },
        { label: 'not json', contentType: 'application/json', body: 'candidates=1&history=2' },
        { label: 'duplicate keys', contentType: 'application/json', body: `{"candidates":["1"],"candidates":{"a":1}}` },
        { label: 'proto pollution', contentType: 'application/json', body: `{"candidates":["1"],"__proto__":{"topK":0,"polluted":true},"constructor":{"prototype":{"polluted":true}}}` },
      ]);
    } else if (kind === 1) {
      yield { label: 'content type', contentType: pick(rng, ['text/plain', 'application/x-www-form-urlencoded', `application/${'x'.repeat(8000)}`, 'application/json; charset=utf-16', 'multipart/form-data; boundary=x']), body: JSON.stringify(valid) };
    } else {
      const body: Record<string, unknown> = structuredClone(valid);
      const mutations = int(rng, 1, 3);
      for (let m = 0; m < mutations; m++) {
        const field = pick(rng, FIELDS);
        if (rng() < 0.15) delete body[field];
        else if (rng() < 0.5 && Array.isArray(body[field])) (body[field] as unknown[])[int(rng, 0, (body[field] as unknown[]).length)] = hostileValue(rng);
        else set(body, field, hostileValue(rng));
      }
      yield { label: 'mutated', contentType: 'application/json', body: JSON.stringify(body) };
    }
  }
}
