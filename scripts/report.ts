/**
 * Writes the self-contained HTML experiment report and looks at it in headless Chromium.
 *
 *   npm run report -- [experiments/movielens-next.json …] [--out experiments/report] [--model models/din-movielens]
 *
 * Default: every experiments/*.json. Writes <out>/index.html; when Debian's `chromium` is
 * installed, also <out>/report.png (a screenshot) and checks the rendered page shows every chart.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readMovieLens } from '../model-export/data/movielens.js';
import { movieTitles } from '../model-export/report/attentionExamples.js';
import { buildReport } from '../model-export/report/buildReport.js';
import { findChromium, renderedDom, screenshot } from '../model-export/report/headlessChromium.js';
import { readExperiment } from '../model-export/train/experiments.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string', default: 'experiments/report' },
    results: { type: 'string', default: 'experiments/results' },
    model: { type: 'string', default: 'models/din-movielens' },
  },
});
const configs = positionals.length > 0 ? positionals : readdirSync('experiments').filter((f) => f.endsWith('.json')).map((f) => join('experiments', f));
const experiments = configs.map((file) => {
  const exp = readExperiment(file);
  return { exp, runDir: join(values.results!, exp.name) };
});
const html = await buildReport({
  experiments,
  attention: { log: readMovieLens(), titles: movieTitles(), options: { modelDir: values.model!, users: 3, candidates: 8, columns: 16, seed: 1 } },
});
mkdirSync(values.out!, { recursive: true });
const htmlFile = join(values.out!, 'index.html');
writeFileSync(htmlFile, html);
console.log(`wrote ${htmlFile} (${(html.length / 1024).toFixed(0)} KiB)`);

const chromium = findChromium();
if (!chromium) {
  console.log('chromium not found (apt-get install chromium): no screenshot');
} else {
  const dom = renderedDom(chromium, htmlFile);
  const svgs = (dom.match(/<svg/g) ?? []).length;
  const expected = (html.match(/<svg/g) ?? []).length;
  if (svgs !== expected || !dom.includes('Learning curves') || !dom.includes('real next movie ranked')) {
    throw new Error(`the page Chromium rendered is missing charts (${svgs} of ${expected} SVGs)`);
  }
  const png = join(values.out!, 'report.png');
  screenshot(chromium, htmlFile, png);
  console.log(`chromium rendered ${svgs} charts; screenshot ${png}`);
}
