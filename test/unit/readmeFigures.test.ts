/**
 * No stale figure in the README (issue 25): a figure quoted from a committed result is written as
 * a link whose text is the figure and whose target is the result file, `[8.04](bench/results/….md)`;
 * every number in such a link text must appear in that file. The README's ± figures (the results
 * tables) must each appear in a committed experiments/results/*.md file.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const numbers = (text: string) => text.match(/\d[\d,]*(\.\d+)?/g) ?? [];

describe('README figures', () => {
  const links = [...readme.matchAll(/\[([^\]]*\d[^\]]*)\]\(((?:bench|experiments)\/results\/[^)#]+)\)/g)].map((m) => ({ text: m[1], file: m[2] }));

  it('quotes results through links (sanity: the convention is in use)', () => {
    expect(links.length).toBeGreaterThanOrEqual(8);
  });

  it('every figure linked to a result file appears in that file', () => {
    const stale = links.flatMap(({ text, file }) => {
      if (!existsSync(join(ROOT, file))) return [`${file}: missing`];
      const content = readFileSync(join(ROOT, file), 'utf8');
      return numbers(text).filter((n) => !content.includes(n)).map((n) => `"${text}" → ${file}: ${n} not found`);
    });
    expect(stale).toEqual([]);
  });

  it('every "mean ± std" figure of the README is in a committed experiment result', () => {
    const dir = join(ROOT, 'experiments/results');
    const results = readdirSync(dir).filter((f) => f.endsWith('.md')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    const figures = readme.match(/\d\.\d{4} ± \d\.\d{4}/g) ?? [];
    expect(figures.length).toBeGreaterThan(10);
    expect(figures.filter((f) => !results.includes(f))).toEqual([]);
  });
});
