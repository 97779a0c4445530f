/**
 * The demo page (`/demo`): pick movies, see candidates re-ranked in the page by the browser library
 * (browser/), the attention heat map of which picks drove each score, and the worker's answer to
 * the same request when asked — with how far apart the two are. Plain DOM, no framework.
 *
 * For tests and the curious: `document.body.dataset` carries `ready` (first score done), `renders`
 * (rankings drawn so far) and `provider`.
 */
import { RouteScorer, Scorer, type BrowserScoreResponse } from 'interest-edge/browser';

interface Movie {
  id: string;
  title: string;
  year: number | null;
  genres: string[];
}

const ROUTE = 'home';
const CANDIDATES = 40;
const SHOWN = 20;
const HEAT_ROWS = 10;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const base = location.origin;
const unitId = (() => {
  const key = 'interest-edge-demo-unit';
  const existing = localStorage.getItem(key);
  if (existing) return existing;
  const id = crypto.randomUUID();
  localStorage.setItem(key, id);
  return id;
})();

let catalogue: Movie[] = [];
const byId = new Map<string, Movie>();
const picks: string[] = [];
let scorer: Scorer | RouteScorer | undefined;
let where: 'browser' | 'worker' = 'browser';
let renders = 0;
let firstScoreAt: number | undefined;
let pending = Promise.resolve();

const label = (m: Movie | undefined, id: string) => (m ? `${m.title}${m.year ? ` (${m.year})` : ''}` : `#${id}`);

async function loadCatalogue(): Promise<void> {
  const res = await fetch(`${base}/browser/catalogue.json`);
  const data = (await res.json()) as { items: Array<[string, string, number | null, string[]]> };
  catalogue = data.items.map(([id, title, year, genres]) => ({ id, title, year, genres }));
  for (const m of catalogue) byId.set(m.id, m);
}

async function loadScorer(model: string): Promise<void> {
  $('provider').textContent = 'loading…';
  const previous = scorer;
  scorer = model ? await Scorer.load({ baseUrl: base, model }) : await RouteScorer.load({ baseUrl: base, route: ROUTE, unitId });
  await (previous instanceof RouteScorer ? previous.scorer : previous)?.release();
  const s = scorer instanceof RouteScorer ? scorer.scorer : scorer;
  const r = s.report;
  $('provider').textContent = `${r.executionProvider === 'webgpu' ? 'WebGPU' : 'WASM (SIMD)'}${r.adapter ? ` · ${r.adapter.vendor} ${r.adapter.architecture}`.trimEnd() : ''}${r.fallbackReason ? ' (WebGPU fell back)' : ''}`;
  if (r.fallbackReason) $('provider').title = r.fallbackReason;
  document.body.dataset.provider = r.executionProvider;
  $('model').textContent = `${s.manifest.name} ${s.manifest.version}`;
  $('variant').textContent = scorer instanceof RouteScorer ? `${scorer.assignment.variant.name} (route ${ROUTE}, bucket ${scorer.assignment.bucket})` : 'chosen by hand';
}

function candidates(): string[] {
  const picked = new Set(picks);
  return catalogue.filter((m) => !picked.has(m.id)).slice(0, CANDIDATES).map((m) => m.id);
}

/** Whether the worker answered with another model than the one scored in the page (then no agreement is claimed). */
let workerModelDiffers = false;

async function scoreWithWorker(request: object): Promise<BrowserScoreResponse['scores']> {
  const model = scorer instanceof RouteScorer ? undefined : (scorer as Scorer).manifest.name;
  // The worker serves route "home" by the same assignment; a hand-picked model is compared only when it is the one the worker serves.
  const res = await fetch(`${base}/v1/score/${ROUTE}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...request, user: unitId }) });
  if (!res.ok) throw new Error(`worker: HTTP ${res.status}`);
  const body = (await res.json()) as { model: { name: string }; scores: BrowserScoreResponse['scores'] };
  workerModelDiffers = model !== undefined && body.model.name !== model;
  if (workerModelDiffers) $('agreement').textContent = `The worker serves ${body.model.name} to you on route ${ROUTE}; pick "Your A/B variant" to compare like with like.`;
  return body.scores;
}

async function rank(): Promise<void> {
  if (!scorer) return;
  const request = { history: [...picks], candidates: candidates() };
  const t0 = performance.now();
  const local = await scorer.score(request, { attention: true });
  let shown = local.scores;
  if (where === 'worker') {
    const remote = await scoreWithWorker(request);
    const localById = new Map(local.scores.map((s) => [s.item, s.score]));
    const delta = Math.max(...remote.map((s) => Math.abs(s.score - (localById.get(s.item) ?? Number.NaN))));
    // Issue 27, bug 3: a different model is not "agreement"; the mismatch note above stays.
    if (Number.isFinite(delta) && !workerModelDiffers) $('agreement').textContent = `Worker and browser agree: max |Δ| = ${delta.toExponential(1)} over ${remote.length} candidates.`;
    document.body.dataset.maxDelta = String(delta);
    shown = remote;
  } else {
    $('agreement').textContent = 'Scored in this page; choose "On the worker" to compare.';
    if (scorer instanceof RouteScorer) scorer.reportExposure(local).catch(() => undefined); // route, variant, version, hashed unit only
  }
  const ms = performance.now() - t0;
  firstScoreAt ??= performance.now();
  if (renders === 0) $('first-score').textContent = `${(firstScoreAt / 1000).toFixed(2)} s after the page started`;
  $('last-score').textContent = `${ms.toFixed(1)} ms (${where === 'browser' ? 'browser' : 'worker + browser'})`;
  drawRanking(shown);
  drawHeatmap(local);
  document.body.dataset.renders = String(++renders);
  document.body.dataset.ready = 'true';
  document.body.dataset.top = shown.slice(0, 5).map((s) => s.item).join(',');
  document.body.dataset.ranking = shown.map((s) => s.item).join(',');
}

function drawRanking(scores: BrowserScoreResponse['scores']): void {
  const list = $('ranking');
  const shown = scores.slice(0, SHOWN);
  // Bars span the shown scores' range: popular candidates all score high, the order is what matters.
  const lo = Math.min(...shown.map((s) => s.score));
  const hi = Math.max(...shown.map((s) => s.score));
  list.replaceChildren(
    ...shown.map((s) => {
      const li = document.createElement('li');
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = `${Math.round(8 + 112 * (hi > lo ? (s.score - lo) / (hi - lo) : 1))}px`;
      bar.setAttribute('aria-hidden', 'true');
      const score = document.createElement('span');
      score.className = 'score';
      score.textContent = s.score.toFixed(3);
      li.append(bar, label(byId.get(s.item), s.item), score);
      li.dataset.item = s.item;
      return li;
    }),
  );
  $('ranking-status').textContent = picks.length ? `Re-ranked for your ${picks.length} pick${picks.length > 1 ? 's' : ''}.` : 'No picks yet: the ranking reflects popularity alone.';
}

function drawHeatmap(response: BrowserScoreResponse): void {
  const table = $('heatmap') as HTMLTableElement;
  const rows = response.scores.slice(0, HEAT_ROWS).filter((s) => s.attention && s.attention.length === picks.length);
  if (picks.length === 0 || rows.length === 0) {
    table.replaceChildren();
    table.dataset.cells = '0';
    return;
  }
  // Colour by position between the smallest and largest weight shown: DIN's weights are unnormalised
  // and often all negative (no softmax, eq. 3), so w / max would make every cell transparent.
  const weights = rows.flatMap((s) => s.attention!);
  const min = Math.min(...weights);
  const span = Math.max(...weights) - min;
  const head = document.createElement('thead');
  const hr = document.createElement('tr');
  const corner = document.createElement('th');
  corner.textContent = 'Candidate \\ pick';
  hr.append(corner, ...picks.map((id) => Object.assign(document.createElement('th'), { scope: 'col', textContent: label(byId.get(id), id), title: label(byId.get(id), id) })));
  head.append(hr);
  const body = document.createElement('tbody');
  for (const s of rows) {
    const tr = document.createElement('tr');
    const th = Object.assign(document.createElement('th'), { scope: 'row', textContent: label(byId.get(s.item), s.item) });
    tr.append(th);
    for (const w of s.attention!) {
      const td = document.createElement('td');
      const share = span > 0 ? (w - min) / span : 0.5;
      td.textContent = w.toFixed(2);
      // Alpha ≤ 0.85 keeps the page's own text colour at ≥ 4.5:1 on every cell, light and dark (issue 27, bug 6).
      td.style.background = `rgba(var(--cell), ${(0.08 + 0.77 * share).toFixed(3)})`;
      tr.append(td);
    }
    body.append(tr);
  }
  table.replaceChildren(head, body);
  table.dataset.cells = String(rows.length * picks.length);
}

function drawPicks(): void {
  $('picks').replaceChildren(
    ...picks.map((id, i) => {
      const li = document.createElement('li');
      const remove = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Remove' });
      remove.setAttribute('aria-label', `Remove ${label(byId.get(id), id)}`);
      remove.addEventListener('click', () => {
        picks.splice(i, 1);
        drawPicks();
        // Focus stays in the list (the next Remove, else the previous), else returns to the search box: never to <body>.
        const buttons = $('picks').querySelectorAll('button');
        ((buttons[Math.min(i, buttons.length - 1)] as HTMLElement | undefined) ?? $('search')).focus();
        schedule();
      });
      li.append(label(byId.get(id), id), remove);
      return li;
    }),
  );
}

function search(text: string): void {
  const q = text.trim().toLowerCase();
  const found = q.length < 2 ? [] : catalogue.filter((m) => m.title.toLowerCase().includes(q) && !picks.includes(m.id)).slice(0, 12);
  $('results').replaceChildren(
    ...found.map((m) => {
      const li = document.createElement('li');
      const add = Object.assign(document.createElement('button'), { type: 'button', textContent: `${label(m, m.id)} · ${m.genres.slice(0, 2).join(', ')}` });
      add.dataset.item = m.id;
      add.addEventListener('click', () => {
        picks.push(m.id);
        drawPicks();
        search(($('search') as HTMLInputElement).value);
        // The clicked result is gone from the list: keep keyboard users on the next result, else the search box.
        (($('results').querySelector('button') as HTMLElement | null) ?? $('search')).focus();
        schedule();
      });
      li.append(add);
      return li;
    }),
  );
}

/** One ranking at a time, in order. */
function schedule(): void {
  pending = pending.then(rank).catch((err: unknown) => {
    $('ranking-status').textContent = `Scoring failed: ${err instanceof Error ? err.message : String(err)}`;
  });
}

async function main(): Promise<void> {
  await Promise.all([loadCatalogue(), loadScorer('')]);
  ($('search') as HTMLInputElement).addEventListener('input', (e) => search((e.target as HTMLInputElement).value));
  ($('model-select') as HTMLSelectElement).addEventListener('change', (e) => {
    pending = pending.then(() => loadScorer((e.target as HTMLSelectElement).value)).then(rank);
  });
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name=where]')) {
    radio.addEventListener('change', () => {
      where = radio.value === 'worker' ? 'worker' : 'browser';
      schedule();
    });
  }
  schedule();
}

main().catch((err: unknown) => {
  $('provider').textContent = `failed: ${err instanceof Error ? err.message : String(err)}`;
  document.body.dataset.error = err instanceof Error ? err.message : String(err);
});
