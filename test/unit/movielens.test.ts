import { describe, expect, it } from 'vitest';
import { readMovieLens } from '../../model-export/data/movielens.js';

describe('vendored MovieLens latest-small', () => {
  const log = readMovieLens();
  it('holds 100,836 ratings by 610 users', () => {
    expect(log.timelines.size).toBe(610);
    expect([...log.timelines.values()].reduce((n, t) => n + t.length, 0)).toBe(100_836);
  });
  it('uses the first listed genre as the category', () => {
    expect(log.itemCategory.get('1')).toBe('Adventure'); // Toy Story: Adventure|Animation|Children|Comedy|Fantasy
    expect(log.itemCategory.size).toBe(9742);
  });
  it('sorts every timeline by time', () => {
    const unsorted = [...log.timelines.values()].filter((tl) => tl.some((b, i) => i > 0 && b.time < tl[i - 1].time));
    expect(unsorted).toHaveLength(0);
  });
});
