/**
 * `npm run soak [-- --quick] [--valid N] [--fuzz N] [--attacks a,b] [--faults a,b] [--max-seconds S]`: the
 * reliability soak (soak.ts) against wrangler dev on 127.0.0.1. Writes
 * bench/results/<date>-soak.{md,json} (a quick run writes to the system's temp folder) and exits 1
 * when anything failed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../lib/servingModels.js';
import { ATTACKS, type AttackName } from './attacks.js';
import { FAULTS, type FaultName } from './corruptModels.js';
import { soakMarkdown } from './report.js';
import { FULL_SOAK, QUICK_SOAK, runSoak } from './soak.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    valid: { type: 'string' },
    fuzz: { type: 'string' },
    attacks: { type: 'string' },
    faults: { type: 'string' },
    'max-seconds': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`npm run soak [-- --quick] [--valid N] [--fuzz N] [--attacks ${Object.keys(ATTACKS).join(',')}] [--faults ${Object.keys(FAULTS).join(',')}] [--max-seconds S]`);
  process.exit(0);
}
const base = args.quick ? QUICK_SOAK : FULL_SOAK;
const positive = (v: string | undefined, name: string, max: number) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`--${name}: an integer 0 … ${max}`);
  return n;
};
const faults = args.faults?.split(',').map((f) => f.trim()) ?? base.faults;
for (const f of faults) if (!(f in FAULTS)) throw new Error(`--faults: unknown fault "${f}"; one of ${Object.keys(FAULTS).join(', ')}`);
const attacks = args.attacks?.split(',').map((a) => a.trim()).filter(Boolean) ?? base.attacks;
for (const a of attacks) if (!(a in ATTACKS)) throw new Error(`--attacks: unknown case "${a}"; one of ${Object.keys(ATTACKS).join(', ')}`);
const settings = {
  ...base,
  validRequests: positive(args.valid, 'valid', 1_000_000) ?? base.validRequests,
  fuzzRequests: positive(args.fuzz, 'fuzz', 1_000_000) ?? base.fuzzRequests,
  maxSeconds: positive(args['max-seconds'], 'max-seconds', 4 * 3600) ?? base.maxSeconds,
  faults: faults as FaultName[],
  attacks: attacks as AttackName[],
};

const result = await runSoak(settings, (line) => console.error(`[soak] ${line}`));
const markdown = soakMarkdown(result);
console.log(markdown);
const dir = args.quick ? join(tmpdir(), 'interest-edge-bench') : join(REPO_ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
const name = `${result.startedAt.slice(0, 10)}-soak${args.quick ? '-quick' : ''}`;
writeFileSync(join(dir, `${name}.json`), JSON.stringify(result, null, 1) + '\n');
writeFileSync(join(dir, `${name}.md`), markdown + '\n');
console.error(`[soak] written ${relative(process.cwd(), join(dir, name)) || name}.json and .md`);
process.exit(result.passed ? 0 : 1);
