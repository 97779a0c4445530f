/**
 * Builds the React example with esbuild into `dist/` (app.js, scorer-worker.js, index.html):
 *   npx tsx examples/react-shop/build.ts
 * A real app installs `interest-edge` from npm; here the package resolves to this repository
 * (`interest-edge/browser` → browser/index.ts), so the example always runs against the current code.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const HERE = import.meta.dirname;
const ROOT = join(HERE, '..', '..');
export const OUT = join(HERE, 'dist');

export async function buildExample(): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  await build({
    entryPoints: { app: join(HERE, 'App.tsx'), 'scorer-worker': join(HERE, 'scorer-worker.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    outdir: OUT,
    logLevel: 'warning',
    alias: { 'interest-edge/browser/worker': join(ROOT, 'browser/worker.ts'), 'interest-edge/browser': join(ROOT, 'browser/index.ts') },
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  copyFileSync(join(HERE, 'index.html'), join(OUT, 'index.html'));
  return OUT;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`built ${await buildExample()}`);
