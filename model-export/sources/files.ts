import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** `data` itself when it is a file, else the one file of `dir` whose name matches. */
export function findFile(data: string, pattern: RegExp, what: string): string {
  let isDir: boolean;
  try {
    isDir = statSync(data).isDirectory();
  } catch {
    throw new Error(`--data ${data} does not exist (expected ${what} or a directory holding it)`);
  }
  if (!isDir) return data;
  const matches = readdirSync(data).filter((n) => pattern.test(n)).sort();
  if (matches.length === 0) throw new Error(`${data} holds no ${what}`);
  if (matches.length > 1) throw new Error(`${data} holds several files that could be ${what} (${matches.join(', ')}): pass one with --data`);
  return join(data, matches[0]);
}
