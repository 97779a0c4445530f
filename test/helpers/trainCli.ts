/** `npm run train` as the CLI tests run it: a fresh Node process on scripts/train.ts. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;

export const train = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/train.ts'), ...args], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' }, maxBuffer: 16 << 20 });

/** A command expected to fail: its exit code and stderr (undefined when it succeeded). */
export const refused = (...args: string[]) =>
  train(...args).then(
    () => undefined,
    (err: { code: number; stderr: string }) => err,
  );
