/**
 * Headless Debian Chromium driven by playwright-core (no browser download: `.ci/run` installs the
 * `chromium` package with apt). `--enable-unsafe-webgpu` makes Chromium expose WebGPU here through
 * SwiftShader (a CPU implementation: fine for correctness, meaningless for speed); without it
 * `navigator.gpu.requestAdapter()` gives null and pages fall back to WASM.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh profile each time (no HTTP cache, no storage); no background traffic (the network here is closed). */
export async function launchChromium(options: { webgpu: boolean }): Promise<Chromium> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'interest-edge-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...(options.webgpu ? ['--enable-unsafe-webgpu'] : [])],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
