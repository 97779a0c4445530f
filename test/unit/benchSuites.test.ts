/** `npm run bench -- <suite>`: every suite's script exists, and docs/benchmarks.md lists every suite (issue 25). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SUITES } from '../../bench/suites.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('benchmark suites', () => {
  it('every suite runs a script that exists, names are unique', () => {
    expect(SUITES.filter((s) => !existsSync(join(ROOT, s.script))).map((s) => s.script)).toEqual([]);
    expect(new Set(SUITES.map((s) => s.name)).size).toBe(SUITES.length);
  });
  it('docs/benchmarks.md has a row for every suite', () => {
    const doc = readFileSync(join(ROOT, 'docs/benchmarks.md'), 'utf8');
    expect(SUITES.filter((s) => !doc.includes(`| ${s.name} |`)).map((s) => s.name)).toEqual([]);
  });
});
