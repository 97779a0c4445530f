/**
 * `npm run deploy` — build the browser files, check the upload against Cloudflare's limits, deploy.
 * `npm run deploy -- --dry-run` — build and check only (no account needed, works offline).
 *
 * Limits checked (developers.cloudflare.com/workers/platform/limits, late 2026): the worker script
 * ≤ 64 MiB uncompressed on every plan; one static asset ≤ 25 MiB; ≤ 20,000 asset files (Free plan;
 * 100,000 on Paid). What the account needs besides (bindings, secrets): README "Deploy".
 * `--config <wrangler.toml>`: another deployment (its own assets directory), e.g. a catalogue's.
 *
 * A model whose item rows live outside its graph (docs/catalogues.md) uploads its shards as assets
 * here too: the one command deploys graph, manifest and rows together, so a worker version never
 * sees shards of another export (each shard also carries its store id).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const MiB = 1024 * 1024;
const LIMITS = { scriptBytes: 64 * MiB, assetBytes: 25 * MiB, assetFiles: 20_000 };
const ROOT = new URL('..', import.meta.url).pathname;
const OUT = join(ROOT, '.cache', 'deploy');

const { values: args } = parseArgs({ options: { 'dry-run': { type: 'boolean', default: false }, config: { type: 'string' } } });
const CONFIG = args.config ? resolve(args.config) : join(ROOT, 'wrangler.toml');
const ASSETS_DIR = resolve(dirname(CONFIG), /^directory\s*=\s*"([^"]+)"/m.exec(readFileSync(CONFIG, 'utf8'))?.[1] ?? './models');
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false' };
const run = (cmd: string, cmdArgs: string[]) => execFileSync(cmd, cmdArgs, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] }).toString();

run('npm', ['run', '--silent', 'build:browser']);
rmSync(OUT, { recursive: true, force: true });
run('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', OUT, '-c', CONFIG]);

const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true, recursive: true }).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));
const script = files(OUT).filter((f) => !f.endsWith('.map') && !f.endsWith('README.md'));
const scriptBytes = script.reduce((n, f) => n + statSync(f).size, 0);
const scriptGzip = script.reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);
const assets = files(ASSETS_DIR).map((f) => ({ path: relative(ROOT, f), bytes: statSync(f).size }));
const largest = assets.reduce((a, b) => (b.bytes > a.bytes ? b : a));

const fmt = (b: number) => `${(b / MiB).toFixed(2)} MiB`;
const rows: Array<[string, string, string, boolean]> = [
  ['worker script (uncompressed)', fmt(scriptBytes), fmt(LIMITS.scriptBytes), scriptBytes <= LIMITS.scriptBytes],
  ['worker script (gzip, what is uploaded)', fmt(scriptGzip), '–', true],
  [`largest asset (${largest.path})`, fmt(largest.bytes), fmt(LIMITS.assetBytes), largest.bytes <= LIMITS.assetBytes],
  ['asset files', String(assets.length), String(LIMITS.assetFiles), assets.length <= LIMITS.assetFiles],
  ['assets in all', fmt(assets.reduce((n, a) => n + a.bytes, 0)), '–', true],
];
console.log('| upload | size | Cloudflare limit | ok |\n| --- | --- | --- | --- |');
for (const [what, size, limit, ok] of rows) console.log(`| ${what} | ${size} | ${limit} | ${ok ? 'yes' : '**NO**'} |`);
console.log(`| script headroom | ${fmt(LIMITS.scriptBytes - scriptBytes)} | | |`);
if (rows.some((r) => !r[3])) {
  console.error('deploy: over a Cloudflare limit (table above); nothing deployed');
  process.exit(1);
}
if (args['dry-run']) {
  console.log(`\ndry run: built in ${relative(ROOT, OUT)}; nothing deployed`);
} else {
  console.log('\nproduction needs these secrets (wrangler secret put <NAME>): ASSIGNMENT_TOKEN_SECRET (required: the worker refuses to serve without it), UNIT_HASH_KEY, ADMIN_TOKEN; API_KEY_SECRET with RATE_LIMIT_KEY = header:…');
  execFileSync('npx', ['wrangler', 'deploy', '-c', CONFIG], { cwd: ROOT, env, stdio: 'inherit' });
}
