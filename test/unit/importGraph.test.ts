/**
 * The house shows its data flow (issue 25): contract ← core ← {worker, browser, exporter}. Read from
 * the code's own imports (type imports included):
 * - only the worker itself, tests and benchmarks import `worker/`; scripts do not import `bench/`;
 * - `contract/` imports only `contract/`; `core/` only `contract/` and `core/`, and neither Hono
 *   nor Workers APIs (the browser and the exporter run it unchanged);
 * - no import circle inside `contract/` or `core/`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SKIP = new Set(['node_modules', '.git', '.cache', '.wrangler', 'dist', 'models', 'data']);

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(relative(ROOT, path));
  }
  return out;
}

const SPEC = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
/** file → { local: repo paths it imports, packages: bare specifiers } */
const graph = new Map<string, { local: string[]; packages: string[] }>();
for (const file of sources(ROOT)) {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const local: string[] = [];
  const packages: string[] = [];
  for (const m of text.matchAll(SPEC)) {
    const spec = m[1] ?? m[2];
    if (spec.startsWith('.')) local.push(normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts'));
    else packages.push(spec);
  }
  graph.set(file, { local, packages });
}
const top = (path: string) => path.split('/')[0];

describe('import graph', () => {
  it('reads the repository (sanity: the parser finds known edges)', () => {
    expect(graph.get('worker/app.ts')?.local).toContain('worker/errors.ts');
    expect(graph.get('browser/scorer.ts')?.local.some((p) => p.startsWith('core/'))).toBe(true);
  });

  it('nothing outside worker/ imports worker/, except tests and benchmarks', () => {
    const offenders = [...graph].flatMap(([file, { local }]) =>
      ['worker', 'test', 'bench'].includes(top(file)) ? [] : local.filter((p) => top(p) === 'worker').map((p) => `${file} → ${p}`),
    );
    expect(offenders).toEqual([]);
  });

  it('entry points (scripts/) do not depend on the benchmarks', () => {
    const offenders = [...graph].flatMap(([file, { local }]) => (top(file) === 'scripts' ? local.filter((p) => top(p) === 'bench').map((p) => `${file} → ${p}`) : []));
    expect(offenders).toEqual([]);
  });

  it('contract/ imports only contract/; core/ only contract/ and core/, and no Hono or Workers APIs', () => {
    const offenders: string[] = [];
    for (const [file, { local, packages }] of graph) {
      if (top(file) === 'contract') offenders.push(...local.filter((p) => top(p) !== 'contract').map((p) => `${file} → ${p}`));
      if (top(file) === 'core') {
        offenders.push(...local.filter((p) => !['core', 'contract'].includes(top(p))).map((p) => `${file} → ${p}`));
        offenders.push(...packages.filter((p) => /^(hono|cloudflare:|@cloudflare\/)/.test(p)).map((p) => `${file} → ${p}`));
      }
    }
    expect(offenders).toEqual([]);
  });

  it('no import circle inside contract/ or core/', () => {
    const inScope = (p: string) => ['contract', 'core'].includes(top(p));
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file)?.local ?? []) if (inScope(next) && graph.has(next)) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (inScope(file)) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
