/**
 * Code bundled into the worker imports zod as a namespace (`import * as z from …`), never zod's `z`
 * object or default export: those hold all of zod, ~40 locales included, and put ≈ 350 KB minified
 * (≈ 65 KiB gzip) of unused code back into the upload (core/zod.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const BUNDLED_DIRS = ['worker', 'core', 'contract', 'client'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** zod imports (of the package or core/zod.ts) that take its default export or its `z` object. */
function wholeZodImports(text: string): string[] {
  const imports = text.match(/^import\s+[^;]*?\s+from\s+['"][^'"]*zod(?:\.js)?['"]/gm) ?? [];
  return imports.filter((s) => /^import\s+\w+\s*(,|from)/.test(s) || /\{[^}]*\bz\b[^}]*\}/.test(s));
}

describe('zod imports in bundled code', () => {
  it('finds the pattern it guards against', () => {
    expect(wholeZodImports(`import { z } from 'zod';`)).toHaveLength(1);
    expect(wholeZodImports(`import z from 'zod';`)).toHaveLength(1);
    expect(wholeZodImports(`import { z } from '../zod.js';`)).toHaveLength(1);
    expect(wholeZodImports(`import * as z from '../zod.js';`)).toHaveLength(0);
    expect(wholeZodImports(`import { config } from 'zod';`)).toHaveLength(0);
  });

  it('worker, core, contract and client import zod as a namespace only', () => {
    const offenders = BUNDLED_DIRS.flatMap((d) => sources(join(ROOT, d))).flatMap((file) =>
      wholeZodImports(readFileSync(file, 'utf8')).map((s) => `${relative(ROOT, file)}: ${s}`),
    );
    expect(offenders).toEqual([]);
  });
});
