/**
 * Protocol output: which prefix of which user's timeline is the history, which item is the
 * candidate, and the label. Histories are not copied: `position` says the history is
 * `timeline[position - H .. position)` — the contract decides H and truncation when encoding.
 */
import { createHash } from 'node:crypto';

export interface Sample {
  user: string;
  /** Number of timeline behaviours before this sample (its history is the last ≤ H of them). */
  position: number;
  candidate: string;
  label: 0 | 1;
  /** Multi-task second label: the click converted (0 for negatives); absent when the source has no conversions. */
  conversion?: 0 | 1;
}

/** Which users go to the test split. */
export type UserSplit = (user: string) => 'train' | 'test';

/** The issue-2 split: numeric user id % 5 == 0 → test. */
export const moduloFiveSplit: UserSplit = (user) => {
  const n = Number(user);
  if (!Number.isSafeInteger(n)) throw new Error(`moduloFiveSplit needs numeric user ids, got "${user}"`);
  return n % 5 === 0 ? 'test' : 'train';
};

/** Numeric ids: id mod `modulus` == 0 → test (moduloFiveSplit is modulus 5). */
export function moduloUserSplit(modulus: number): UserSplit {
  return (user) => {
    const n = Number(user);
    if (!Number.isSafeInteger(n)) throw new Error(`the modulo user split needs numeric user ids, got "${user}": use split.assign "hash"`);
    return n % modulus === 0 ? 'test' : 'train';
  };
}

/**
 * Any ids: a user is in test when the first 4 bytes of SHA-256(`user-split:<id>`), as a
 * big-endian uint32 over 2³², fall below `testFraction`. Independent of the seed, so every run of
 * an experiment tests on the same users.
 */
export function hashUserSplit(testFraction: number): UserSplit {
  const threshold = Math.round(testFraction * 2 ** 32);
  return (user) => (createHash('sha256').update(`user-split:${user}`).digest().readUInt32BE(0) < threshold ? 'test' : 'train');
}
