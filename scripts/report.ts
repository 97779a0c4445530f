/**
 * Writes the self-contained HTML experiment report and looks at it in headless Chromium.
 *
 *   npm run report -- [experiments/movielens-next.json …] [--out experiments/report] [--model models/din-movielens]
 *   npm run report -- experiments/movielens-next.json --data path/to/csvs --model models/din-shop
 *
 * --source, --data and --config choose the data (docs/data-sources.md) the runs were trained on
 * and the heat maps' held-out users come from; default each experiment's own, else MovieLens.
 *
 * Default: every experiments/*.json. Writes <out>/index.html; when Debian's `chromium` is
 * installed, also <out>/report.png (a screenshot) and checks the rendered page shows every chart.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { slug } from '../model-export/data/personalize.js';
import { datasetIdentity, loadDataset, resolveDatasetConfig } from '../model-export/sources/registry.js';
import { buildReport } from '../model-export/report/buildReport.js';
import { findChromium, renderedDom, screenshot } from '../model-export/report/headlessChromium.js';
import { experimentDataset, readExperiment } from '../model-export/train/experiments.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string', default: 'experiments/report' },
    results: { type: 'string', default: 'experiments/results' },
    model: { type: 'string', default: 'models/din-movielens' },
    source: { type: 'string' },
    data: { type: 'string' },
    config: { type: 'string' },
  },
});
const flags = { source: values.source, data: values.data, config: values.config };
const otherData = values.source !== undefined || values.data !== undefined || values.config !== undefined;
const configs = positionals.length > 0 ? positionals : readdirSync('experiments').filter((f) => f.endsWith('.json')).map((f) => join('experiments', f));
const experiments = configs.map((file) => {
  const exp = readExperiment(file);
  const dataset = experimentDataset(exp, flags);
  // experiment.ts stores runs on other data than the config's under <experiment>-<dataset>.
  const runDir = join(values.results!, exp.name + (otherData ? `-${slug(datasetIdentity(dataset) ?? 'movielens')}` : ''));
  return { exp, runDir, dataset };
});
// Heat maps: held-out users of the data the model was trained on.
const dataset = await loadDataset(otherData ? resolveDatasetConfig(flags) : {}, { progress: false });
const split = dataset.prepare.split;
const isTestUser = typeof split === 'object' && split.by === 'user' ? (u: string) => split.test(u) === 'test' : () => true;
const html = await buildReport({
  experiments,
  attention: { log: dataset.log, titles: await dataset.titles(), options: { modelDir: values.model!, users: 3, candidates: 8, columns: 16, seed: 1, isTestUser } },
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
  if (svgs !== expected || !dom.includes('Learning curves') || !dom.includes('real next item ranked')) {
    throw new Error(`the page Chromium rendered is missing charts (${svgs} of ${expected} SVGs)`);
  }
  const png = join(values.out!, 'report.png');
  screenshot(chromium, htmlFile, png);
  console.log(`chromium rendered ${svgs} charts; screenshot ${png}`);
}
