/**
 * Looking at the report as a person would: Debian's `chromium` in headless mode renders the page,
 * takes a screenshot and dumps the DOM it laid out. Optional: absent chromium, callers skip.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium(): string | undefined {
  return CANDIDATES.find((p) => existsSync(p));
}

function run(chromium: string, args: string[]): string {
  // --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
  return execFileSync(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** The DOM after Chromium loaded and laid out the page. */
export function renderedDom(chromium: string, htmlFile: string): string {
  return run(chromium, ['--dump-dom', pathToFileURL(htmlFile).href]);
}

export function screenshot(chromium: string, htmlFile: string, pngFile: string, width = 1400, height = 4000): void {
  run(chromium, [`--screenshot=${pngFile}`, `--window-size=${width},${height}`, pathToFileURL(htmlFile).href]);
  if (!existsSync(pngFile)) throw new Error(`chromium wrote no screenshot to ${pngFile}`);
}
