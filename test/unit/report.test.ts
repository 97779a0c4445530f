/**
 * The HTML report: built from stored experiment runs and the shipped DIN model, then rendered in
 * headless Chromium (Debian `chromium`, installed by .ci/run) to check the page shows every chart.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMovieLens } from '../../model-export/data/movielens.js';
import { movieTitles } from '../../model-export/report/attentionExamples.js';
import { buildReport } from '../../model-export/report/buildReport.js';
import { findChromium, renderedDom, screenshot } from '../../model-export/report/headlessChromium.js';
import { experimentSchema, runConfigOf } from '../../model-export/train/experiments.js';

const exp = experimentSchema.parse({
  name: 'fixture',
  protocol: 'next',
  seeds: [1, 2],
  epochs: 2,
  baseline: 'base',
  models: [
    { id: 'base', model: 'base', label: 'Base fixture' },
    { id: 'din', model: 'din', label: 'DIN fixture' },
    { id: 'dien', model: 'dien', label: 'never run' },
  ],
});

function writeRuns(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const m of exp.models.slice(0, 2)) {
    for (const seed of exp.seeds) {
      const lift = m.id === 'din' ? 0.01 : 0;
      const epochs = [1, 2].map((epoch) => ({ epoch, trainLoss: 0.5 - 0.05 * epoch, auxLoss: 0, l2Loss: 0, auc: 0.8 + 0.02 * epoch + lift + seed * 0.001, gauc: 0.79 + 0.02 * epoch + lift, logloss: 0.45, samplesPerSecond: 1000 }));
      writeFileSync(join(dir, `${m.id}-seed${seed}.json`), JSON.stringify({ config: runConfigOf(exp, m, seed), backend: 'cpu', epochs, trainSamples: 10, testSamples: 10, seconds: 1 }));
    }
  }
}

describe('experiment report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'report-'));
  const runDir = join(dir, 'runs');
  writeRuns(runDir);
  let html = '';

  it('holds the table, the learning curves and attention heat maps', async () => {
    html = await buildReport({
      experiments: [{ exp, runDir }],
      attention: { log: readMovieLens(), titles: movieTitles(), options: { modelDir: 'models/din-movielens', users: 2, candidates: 5, columns: 6, seed: 1 } },
    });
    expect(html).toContain('<td>DIN fixture</td>');
    expect(html).toMatch(/Not yet run for every seed: dien/);
    expect(html).not.toContain('<script'); // self-contained, static
    expect((html.match(/<svg/g) ?? []).length).toBe(3); // 1 learning-curve figure + 2 heat maps
    expect(html).toContain('real next item ranked');
    writeFileSync(join(dir, 'index.html'), html);
  }, 120_000);

  it.runIf(findChromium())('renders in headless Chromium with every chart laid out', () => {
    const chromium = findChromium()!;
    const dom = renderedDom(chromium, join(dir, 'index.html'));
    expect((dom.match(/<svg/g) ?? []).length).toBe(3);
    // Vega's text marks survive into the rendered DOM: axis titles, legend entries, user titles.
    for (const text of ['test GAUC', 'train loss', 'DIN fixture', 'past clicks (oldest → newest)', 'attention']) expect(dom).toContain(text);
    screenshot(chromium, join(dir, 'index.html'), join(dir, 'report.png'), 1200, 1600);
  }, 180_000);
});
