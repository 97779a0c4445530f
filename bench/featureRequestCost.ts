/**
 * `npm run bench -- features`: what profile and context cost the worker's JS per request, at H = 50,
 * C = 100 (ids only), on the shipped model with feature columns (din-movielens-features) and on
 * din-movielens (no features) for reference.
 *
 * Measured path = every piece of worker JS the new fields touch, in the worker's own code:
 * JSON.parse of the body text → the zod request schema → the model's feature check → encoding
 * (contract + requestEncoder). The graph run is not included: a model with feature columns gets
 * its `user_*` / `ctx_*` inputs whether or not the client sends values (missing → OOV / mean), so
 * ORT's work does not depend on the fields' presence. Variants run interleaved in rounds (A B A B …)
 * so machine noise hits them alike; the table gives the median of the per-round means.
 *
 * Writes bench/results/<date>-features.{json,md}.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contractOf, modelManifestSchema } from '../contract/manifest.js';
import { encodeScoreRequest } from '../core/encode/requestEncoder.js';
import { scoreRequestSchema } from '../core/schema/score.schema.js';
import { REPO_ROOT } from './lib/servingModels.js';
import { systemInfo } from './lib/system.js';
import { writeResults } from './lib/results.js';

const ROUNDS = 15;
const PER_ROUND = 2000;

function load(name: string) {
  const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(REPO_ROOT, 'models', name, 'manifest.json'), 'utf8')));
  return { manifest, contract: contractOf(manifest) };
}

const features = load('din-movielens-features');
const plain = load('din-movielens');
const items = features.manifest.featureContract.items;
const body = (extra: object) =>
  JSON.stringify({ history: items.slice(0, 50), candidates: items.slice(200, 300), ...extra });
const variants = [
  { name: 'din-movielens (no feature columns), ids only', model: plain, text: body({}) },
  { name: 'din-movielens-features, profile/context absent (derived hour/weekday)', model: features, text: body({}) },
  {
    name: 'din-movielens-features, profile + context present',
    model: features,
    text: body({ profile: { gender: 'F', age: 31, segment: 'a' }, context: { device: 'mobile', tz: 'Europe/Paris', hour: '21', weekday: 'Fri' } }),
  },
];

function once(v: (typeof variants)[number]): number {
  const request = scoreRequestSchema.parse(JSON.parse(v.text));
  const issues = v.model.contract.checkRequest(request);
  if (issues.length) throw new Error(JSON.stringify(issues));
  const encoded = encodeScoreRequest(v.model.contract, request, { time: Date.now() / 1000, route: 'home' });
  return encoded.feeds.candidateItems.length;
}

for (const v of variants) for (let i = 0; i < 3000; i++) once(v); // warm-up (V8 tiers up)
const rounds: number[][] = variants.map(() => []);
for (let r = 0; r < ROUNDS; r++) {
  variants.forEach((v, i) => {
    const t0 = performance.now();
    for (let k = 0; k < PER_ROUND; k++) once(v);
    rounds[i].push(((performance.now() - t0) / PER_ROUND) * 1000); // µs per request
  });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = variants.map((v, i) => ({ name: v.name, bodyBytes: v.text.length, microsPerRequest: median(rounds[i]), min: Math.min(...rounds[i]), max: Math.max(...rounds[i]) }));
const reference = rows[1].microsPerRequest;
const date = new Date().toISOString().slice(0, 10);
const markdown = [
  `# Feature columns: worker JS per request (${date})`,
  '',
  `H = 50, C = 100, ids only; JSON.parse → zod schema → feature check → encoding, in Node ${process.version}; median of ${ROUNDS} interleaved rounds of ${PER_ROUND} requests. Reference: the features model with profile/context absent.`,
  '',
  '| variant | body bytes | µs / request (median) | min – max of rounds | ratio |',
  '| --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.name} | ${r.bodyBytes} | ${r.microsPerRequest.toFixed(1)} | ${r.min.toFixed(1)} – ${r.max.toFixed(1)} | ${(r.microsPerRequest / reference).toFixed(2)}× |`),
].join('\n');
console.log(markdown);
writeResults(`${date}-features`, markdown, { date, system: systemInfo(), rounds: ROUNDS, perRound: PER_ROUND, rows });
