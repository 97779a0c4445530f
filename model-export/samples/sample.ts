/**
 * Protocol output: which prefix of which user's timeline is the history, which item is the
 * candidate, and the label. Histories are not copied: `position` says the history is
 * `timeline[position - H .. position)` — the contract decides H and truncation when encoding.
 */
export interface Sample {
  user: string;
  /** Number of timeline behaviours before this sample (its history is the last ≤ H of them). */
  position: number;
  candidate: string;
  label: 0 | 1;
}

/** Which users go to the test split. */
export type UserSplit = (user: string) => 'train' | 'test';

/** The issue-2 split: numeric user id % 5 == 0 → test. */
export const moduloFiveSplit: UserSplit = (user) => {
  const n = Number(user);
  if (!Number.isSafeInteger(n)) throw new Error(`moduloFiveSplit needs numeric user ids, got "${user}"`);
  return n % 5 === 0 ? 'test' : 'train';
};
