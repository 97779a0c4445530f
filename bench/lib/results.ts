/** Where every bench writes its figures: bench/results/ is committed, so progress shows in git. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './servingModels.js';

/** Writes `<name>.md` and `<name>.json` under bench/results/ (or `dir`); returns the path without extension. */
export function writeResults(name: string, markdown: string, json: unknown, dir = join(REPO_ROOT, 'bench/results')): string {
  mkdirSync(dir, { recursive: true });
  const stem = join(dir, name);
  writeFileSync(`${stem}.md`, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  writeFileSync(`${stem}.json`, JSON.stringify(json, null, 1) + '\n');
  return stem;
}
