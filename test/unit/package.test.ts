/**
 * The package web developers install (issue 27): `npm pack` gives only the built library, the typed
 * client, their types, the licence and the README; every `exports` target is in it; onnxruntime-web
 * is a peer. (`npm run test:node` builds dist/ first; the Chromium test installs the tarball into a
 * scratch app and scores with it: test/browser/package.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

describe('npm pack', () => {
  const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString())[0] as { files: Array<{ path: string }>; size: number };
  const files = packed.files.map((f) => f.path);

  it('holds the built library, the client, their types, LICENSE, README and package.json — nothing else', () => {
    expect(files.filter((f) => !/^(dist\/(browser|client)\/|LICENSE$|README\.md$|package\.json$)/.test(f))).toEqual([]);
    expect(files).toContain('dist/browser/index.js');
    expect(files).toContain('dist/client/index.js');
    expect(files.some((f) => f.startsWith('dist/browser/types/worker/'))).toBe(false); // the library never needs the worker
    expect(packed.size).toBeLessThan(1024 * 1024);
  });

  it('every exports target is in the tarball; onnxruntime-web is a peer; the package is publishable', () => {
    const targets = Object.values(pkg.exports as Record<string, string | Record<string, string>>).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e)));
    expect(targets.map((t) => t.replace(/^\.\//, '')).filter((t) => !files.includes(t))).toEqual([]);
    expect(pkg.peerDependencies).toEqual({ 'onnxruntime-web': '1.30.0' });
    expect(pkg.dependencies?.['onnxruntime-web']).toBeUndefined();
    expect(pkg.private).toBeUndefined();
    expect(pkg.license).toBe('MIT');
    expect(pkg.scripts.prepack).toMatch(/build:browser/);
  });
});
