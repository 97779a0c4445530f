/**
 * The reliability soak (issue 16): against real `wrangler dev` instances on 127.0.0.1 only, bounded
 * in request count and wall time. Phases:
 *
 * 1. baseline: fixed requests whose scores are kept;
 * 2. load: valid requests on every route, random users;
 * 3. fuzz: hostile bodies (fuzzBodies.ts), a valid request interleaved every `probeEvery`;
 * 4. transport: over-limit chunked bodies and a stalled body, each followed by a valid request;
 * 5. after: the baseline again (scores must be bit-identical: hostile input never touches a loaded
 *    model) and the isolate's heap after a forced GC;
 * 6. attacks (attacks.ts, issue 24): dense and bid extremes, forged and replayed exposures, empty and
 *    invented API keys, IPv6 rotation within a /64, on deployments of their own; after each case a
 *    valid request must get the baseline's scores bit for bit and /healthz must say "ok";
 * 7. faults: for each model fault (corruptModels.ts), a fresh deployment serving the damaged model
 *    on the `home` route: a model refused at load leaves every request to the control, with
 *    probabilities; a model that loads but meets a bad row answers those requests 422 and keeps serving.
 *
 * workerd's RSS is sampled throughout, tagged with the phase.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import seedrandom from 'seedrandom';
import defaultRoutes from '../../config/routes.json' with { type: 'json' };
import { assign, unitKeyOf } from '../../core/experiments/assignment.js';
import { parseRouteConfig } from '../../core/experiments/routeConfig.js';
import { rawPost } from '../lib/rawHttp.js';
import { loadShippedModel, REPO_ROOT } from '../lib/servingModels.js';
import { openInspector, startWranglerDev, workerdPids, workerdRssBytes, type WranglerDev } from '../lib/wranglerDev.js';
import { ATTACKS, runAttacks, type AttackName, type AttackResult, type AttackSettings } from './attacks.js';
import { FAULTS, POISONED_POSITION, writeFaultyDeployment, type FaultName } from './corruptModels.js';
import { fuzzCases } from './fuzzBodies.js';
import { newTally, pool, remember, REQUEST_TIMEOUT_MS, tally, type Tally } from './tally.js';

export interface SoakSettings extends AttackSettings {
  validRequests: number;
  fuzzRequests: number;
  /** Concurrent connections of the load and fuzz phases. */
  concurrency: number;
  /** A valid request after every this many fuzz cases. */
  probeEvery: number;
  faults: FaultName[];
  /** Users per fault scenario. */
  faultUsers: number;
  /** Wall-time cap of the whole soak; phases stop early when it is reached (and say so). */
  maxSeconds: number;
  rssSampleMs: number;
  seed: string;
  /** Seconds of no traffic after the fuzz, then `reloadRequests` valid requests (the memory phases). */
  idleSeconds: number;
  reloadRequests: number;
}

export const FULL_SOAK: SoakSettings = { validRequests: 10_000, fuzzRequests: 30_000, concurrency: 8, probeEvery: 500, faults: Object.keys(FAULTS) as FaultName[], faultUsers: 200, maxSeconds: 30 * 60, rssSampleMs: 1000, seed: 'soak-1', idleSeconds: 30, reloadRequests: 3000, attacks: Object.keys(ATTACKS) as AttackName[], attackRepeats: 10, exposureReplays: 100 };
/** The short form covers issue 24's items 1–3 (dense extremes, forged and replayed exposures, empty and invented keys) and the cheap bid case; IPv6 rotation needs twice the scoring budget in requests. */
export const QUICK_SOAK: SoakSettings = { validRequests: 300, fuzzRequests: 1500, concurrency: 4, probeEvery: 250, faults: ['shifted-bias', 'poisoned-row'], faultUsers: 40, maxSeconds: 300, rssSampleMs: 500, seed: 'soak-quick', idleSeconds: 2, reloadRequests: 50, attacks: ['dense-extremes', 'bid-extremes', 'forged-exposures', 'replayed-exposures', 'api-keys'], attackRepeats: 1, exposureReplays: 10 };

export interface FaultResult {
  fault: FaultName;
  what: string;
  requests: number;
  serverErrors: number;
  nonProbabilities: number;
  /** Users the route assigned to the damaged model's variant. */
  assignedToDamaged: number;
  /** Of those, requests answered by the control (fallbacks). */
  fallbacks: number;
  /** Requests the damaged model itself answered (only 'poisoned-row': every request without the bad item). */
  servedByDamaged: number;
  /** Requests on the damaged variant that carried the poisoned item ('poisoned-row' only). */
  poisonedRequests: number;
  /** 422 `unscorable_request` answers: the request's own error while the model keeps serving ('poisoned-row' only). */
  unscorable: number;
  /** Any other answer that was neither a 200 nor a 5xx (examples in `problems`). */
  otherErrors: number;
  problems: string[];
  /** `<status of /healthz>; <damaged model>: <its status>`. */
  healthz: string;
  passed: boolean;
}

export interface SoakResult {
  settings: SoakSettings;
  startedAt: string;
  seconds: number;
  stoppedAtTimeLimit: boolean;
  load: Tally & { p50Ms: number; p99Ms: number; rssMiB: number };
  /** workerd RSS (MiB) at the end of the load, after the fuzz, after idling, after valid load again. */
  memory: { rssAfterLoadMiB: number; rssAfterFuzzMiB: number; rssAfterIdleMiB: number; rssAfterReloadMiB: number; reloadRequests: number; reloadFailures: number; reloadProblems: string[] };
  fuzz: Tally & { probes: number; probeFailures: number; largestErrorBytes: number };
  transport: Array<{ case: string; status: string; nextStatus: number; passed: boolean }>;
  after: { baselineRequests: number; maxScoreDelta: number; heapUsedMiB: number; heapTotalMiB: number };
  attacks: AttackResult[];
  faults: FaultResult[];
  /** workerd RSS over time, and every fifth sample the isolate's used V8 heap (main deployment only). */
  rss: Array<{ t: number; phase: string; mib: number; heapMiB?: number }>;
  rssByPhase: Record<string, { minMiB: number; maxMiB: number; lastMiB: number }>;
  /** workerd processes of the main deployment that appeared after its start (a runtime restart each). */
  workerdRestarts: number;
  /** The end of the main deployment's wrangler dev output (its request log, warnings, restarts): read it when a phase fails. */
  devLogTail: string;
  passed: boolean;
}

type Log = (line: string) => void;

const MODEL = 'din-movielens';
/** The main deployment's phases after its processes appeared (in 'start' or 'baseline'): a new workerd pid in one of them is a restart. */
const MAIN_PHASES_AFTER_START = ['load', 'fuzz', 'transport', 'idle', 'reload', 'after'];
const FAULTY_MODEL = 'dien-movielens';
const FAULT_ROUTE = 'home';

export async function runSoak(settings: SoakSettings, log: Log = () => {}): Promise<SoakResult> {
  const started = performance.now();
  const deadline = started + settings.maxSeconds * 1000;
  const timeLeft = () => performance.now() < deadline;
  // Load and fuzz stop early enough for the idle/reload phases, the attacks and every fault scenario to run.
  const mainDeadline = deadline - (settings.idleSeconds + 60 + (settings.attacks.length ? 90 : 0) + settings.faults.length * 45) * 1000;
  const mainTimeLeft = () => performance.now() < mainDeadline;
  let stoppedAtTimeLimit = false;
  const rng = seedrandom(settings.seed);
  const items = loadShippedModel(MODEL).manifest.featureContract.items;
  const draw = (n: number) => Array.from({ length: n }, () => items[Math.floor(rng() * items.length)]);

  const rss: SoakResult['rss'] = [];
  let phase = 'start';
  let sampled: WranglerDev | undefined;
  // The isolate's V8 heap beside the process RSS: live JS memory vs what the process holds.
  let heapOf: (() => Promise<number>) | undefined;
  let samples = 0;
  /** Every workerd pid seen, with the phase it appeared in: more than the first two means a restart. */
  const seenPids = new Map<number, string>();
  const sampler = setInterval(() => {
    if (!sampled) return;
    const bytes = workerdRssBytes(sampled.pid);
    if (bytes === 0) return; // between processes
    const sample: SoakResult['rss'][number] = { t: Math.round((performance.now() - started) / 100) / 10, phase, mib: mib(bytes) };
    for (const p of workerdPids(sampled.pid)) if (!seenPids.has(p)) seenPids.set(p, phase);
    rss.push(sample);
    if (heapOf && samples++ % 5 === 0) heapOf().then((h) => (sample.heapMiB = mib(h)), () => undefined);
  }, settings.rssSampleMs);

  const result: Partial<SoakResult> = { settings, startedAt: new Date().toISOString() };
  try {
    const dev = await startWranglerDev('wrangler.toml', { RATE_LIMIT_KEY: 'off', BODY_READ_TIMEOUT_MS: '2000' });
    sampled = dev;
    // Its processes as of "Ready on": were they first seen by the sampler, a fast start and baseline
    // (under one sampling interval) would have them appear in 'load' and count as restarts.
    for (const p of workerdPids(dev.pid)) seenPids.set(p, 'start');
    // Needs Node's WebSocket (npm run soak passes --experimental-websocket; the test's short form does without heap figures).
    const inspector = await openInspector(dev.inspectorPort).catch(() => undefined);
    if (inspector) heapOf = async () => (await inspector.send<{ usedSize: number }>('Runtime.getHeapUsage')).usedSize;
    try {
      const post = (path: string, body: string | Uint8Array, contentType = 'application/json') =>
        fetch(`${dev.origin}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body: body as BodyInit, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });

      // 1. baseline
      phase = 'baseline';
      const baseline = Array.from({ length: 20 }, (_, i) => ({ user: `base-${i}`, history: draw(50), candidates: draw(20) }));
      const baselineScores: number[][] = [];
      for (const body of baseline) baselineScores.push(await scoresOf(await post('/v1/score', JSON.stringify(body))));
      log(`baseline: ${baseline.length} requests`);

      // 2. load
      phase = 'load';
      const routes = Object.keys(defaultRoutes.routes);
      const load = newTally();
      const latencies: number[] = [];
      await pool(settings.validRequests, settings.concurrency, mainTimeLeft, load, async (i) => {
        const route = routes[i % routes.length];
        // The ads route ranks by eCPM/eCPA: every candidate carries its bid.
        const candidates = route === 'ads' ? draw(100).map((item) => ({ item, bid: Math.round(rng() * 300) / 100 })) : draw(100);
        const body = JSON.stringify({ user: `u${Math.floor(rng() * 5000)}`, history: draw(50), candidates });
        const t0 = performance.now();
        const res = await post(`/v1/score/${route}`, body);
        latencies.push(performance.now() - t0);
        await tally(load, res, `load ${route}`, (status) => status === 200);
      });
      if (load.sent + load.noAnswer < settings.validRequests) stoppedAtTimeLimit = true;
      latencies.sort((a, b) => a - b);
      result.load = { ...load, p50Ms: round(quantile(latencies, 0.5)), p99Ms: round(quantile(latencies, 0.99)), rssMiB: mib(workerdRssBytes(dev.pid)) };
      log(`load: ${load.sent} requests, ${load.serverErrors} 5xx, p50 ${result.load.p50Ms} ms, p99 ${result.load.p99Ms} ms, RSS ${lastRss(rss)} MiB`);

      // 3. fuzz
      phase = 'fuzz';
      const fuzz = { ...newTally(), probes: 0, probeFailures: 0, largestErrorBytes: 0 };
      const valid = { user: 'fuzz', history: draw(10), candidates: draw(5) };
      const cases = fuzzCases(settings.fuzzRequests, settings.seed, valid);
      await pool(settings.fuzzRequests, settings.concurrency, mainTimeLeft, fuzz, async (i) => {
        const c = cases.next().value;
        if (!c) return;
        const res = await post('/v1/score', c.body, c.contentType);
        const text = await res.clone().text();
        if (res.status >= 400) fuzz.largestErrorBytes = Math.max(fuzz.largestErrorBytes, text.length);
        await tally(fuzz, res, `fuzz ${c.label}`, (status) => status === 200 || (status >= 400 && status < 500));
        if (i % settings.probeEvery === 0) {
          fuzz.probes++;
          const probe = await post('/v1/score', JSON.stringify(valid));
          if (probe.status !== 200) {
            fuzz.probeFailures++;
            remember(fuzz, `valid request after fuzz case ${i}: ${probe.status} ${(await probe.text()).slice(0, 200)}`);
          } else await probe.arrayBuffer();
        }
      });
      if (fuzz.sent + fuzz.noAnswer < settings.fuzzRequests) stoppedAtTimeLimit = true;
      result.fuzz = fuzz;
      log(`fuzz: ${fuzz.sent} bodies, ${fuzz.serverErrors} 5xx, ${fuzz.nonJsonErrors} non-JSON errors, ${fuzz.probeFailures}/${fuzz.probes} probe failures, statuses ${JSON.stringify(fuzz.byStatus)}, RSS ${lastRss(rss)} MiB`);

      // 4. transport
      phase = 'transport';
      const next = async () => {
        const res = await post('/v1/score', JSON.stringify(valid));
        await res.arrayBuffer();
        return res.status;
      };
      const transport: SoakResult['transport'] = [];
      for (const bytes of [300_000, 2_000_000, 8_000_000]) {
        const status = (await rawPost(dev.origin, bytes, 'chunked')).replace(/^HTTP\/1\.1 /, '');
        const nextStatus = await next();
        transport.push({ case: `chunked body of ${bytes} bytes`, status, nextStatus, passed: status.startsWith('413') && nextStatus === 200 });
      }
      const stalled = (await rawPost(dev.origin, 1000, 'stall')).replace(/^HTTP\/1\.1 /, '');
      const afterStall = await next();
      transport.push({ case: 'body stalled after 1000 bytes (BODY_READ_TIMEOUT_MS = 2000)', status: stalled, nextStatus: afterStall, passed: stalled.startsWith('408') && afterStall === 200 });
      result.transport = transport;
      log(`transport: ${transport.map((t) => `${t.case} → ${t.status}, next ${t.nextStatus}`).join('; ')}`);

      // 5. memory: idle, then valid load again. RSS that stays flat while serving again is memory
      // the process keeps and reuses (allocator caches), not a leak that grows with traffic.
      phase = 'idle';
      const rssAfterFuzz = mib(workerdRssBytes(dev.pid));
      await new Promise((r) => setTimeout(r, settings.idleSeconds * 1000));
      const rssAfterIdle = mib(workerdRssBytes(dev.pid));
      phase = 'reload';
      const reload = newTally();
      await pool(settings.reloadRequests, settings.concurrency, () => true, reload, async () => {
        const res = await post('/v1/score', JSON.stringify({ user: `r${Math.floor(rng() * 5000)}`, history: draw(50), candidates: draw(100) }));
        await tally(reload, res, 'reload', (status) => status === 200);
      });
      const rssAfterReload = mib(workerdRssBytes(dev.pid));
      result.memory = { rssAfterLoadMiB: result.load.rssMiB, rssAfterFuzzMiB: rssAfterFuzz, rssAfterIdleMiB: rssAfterIdle, rssAfterReloadMiB: rssAfterReload, reloadRequests: reload.sent, reloadFailures: reload.sent - (reload.byStatus['200'] ?? 0) + reload.noAnswer, reloadProblems: reload.problems };
      log(`memory: RSS ${rssAfterFuzz} MiB after fuzz, ${rssAfterIdle} after ${settings.idleSeconds} s idle, ${rssAfterReload} after ${reload.sent} more valid requests (${result.memory.reloadFailures} not 200)`);

      // 6. after
      phase = 'after';
      let maxScoreDelta = 0;
      for (const [i, body] of baseline.entries()) {
        const again = await scoresOf(await post('/v1/score', JSON.stringify(body)));
        for (let c = 0; c < again.length; c++) maxScoreDelta = Math.max(maxScoreDelta, Math.abs(again[c] - baselineScores[i][c]));
      }
      const usage = await inspector?.send<{ usedSize: number; totalSize: number }>('Runtime.getHeapUsage');
      const heap = { usedBytes: usage?.usedSize ?? Number.NaN, totalBytes: usage?.totalSize ?? Number.NaN };
      result.after = { baselineRequests: baseline.length, maxScoreDelta, heapUsedMiB: mib(heap.usedBytes), heapTotalMiB: mib(heap.totalBytes) };
      log(`after: baseline max |Δ| ${maxScoreDelta}, isolate V8 heap ${result.after.heapUsedMiB} MiB used of ${result.after.heapTotalMiB} MiB, RSS ${lastRss(rss)} MiB`);
    } finally {
      sampled = undefined;
      heapOf = undefined;
      inspector?.close();
      await dev.stop();
      result.devLogTail = dev.log().slice(-8000);
    }

    // 6. attacks
    result.attacks = [];
    if (timeLeft()) {
      phase = 'attacks';
      result.attacks = await runAttacks(settings, log, (d) => (sampled = d));
      sampled = undefined;
    } else if (settings.attacks.length) stoppedAtTimeLimit = true;

    // 7. faults
    result.faults = [];
    for (const fault of settings.faults) {
      if (!timeLeft()) {
        stoppedAtTimeLimit = true;
        break;
      }
      phase = `fault ${fault}`;
      result.faults.push(await runFault(fault, settings, draw, (d) => (sampled = d)));
      sampled = undefined;
      const f = result.faults.at(-1)!;
      log(`fault ${fault}: ${f.requests} requests, ${f.serverErrors} 5xx, ${f.fallbacks} fallbacks of ${f.assignedToDamaged} assigned, ${f.servedByDamaged} served by the damaged model, ${f.unscorable} 422 of ${f.poisonedRequests} with the poisoned item, ${f.otherErrors} other errors, healthz ${f.healthz} → ${f.passed ? 'passed' : 'FAILED'}`);
    }
  } finally {
    clearInterval(sampler);
  }

  const r = result as SoakResult;
  r.seconds = Math.round((performance.now() - started) / 1000);
  r.stoppedAtTimeLimit = stoppedAtTimeLimit;
  r.rss = rss;
  // The main deployment's processes appear in 'baseline' (or 'start'); later new pids there are restarts.
  r.workerdRestarts = [...seenPids.values()].filter((p) => MAIN_PHASES_AFTER_START.includes(p)).length;
  r.rssByPhase = {};
  for (const s of rss) {
    const p = (r.rssByPhase[s.phase] ??= { minMiB: s.mib, maxMiB: s.mib, lastMiB: s.mib });
    p.minMiB = Math.min(p.minMiB, s.mib);
    p.maxMiB = Math.max(p.maxMiB, s.mib);
    p.lastMiB = s.mib;
  }
  r.passed =
    r.load.serverErrors === 0 &&
    r.load.nonJsonErrors === 0 &&
    r.load.byStatus['200'] === r.load.sent &&
    r.fuzz.serverErrors === 0 &&
    r.fuzz.nonJsonErrors === 0 &&
    r.fuzz.probeFailures === 0 &&
    r.fuzz.problems.length === 0 &&
    r.load.problems.length === 0 &&
    r.load.noAnswer + r.fuzz.noAnswer === 0 &&
    r.transport.every((t) => t.passed) &&
    r.after.maxScoreDelta === 0 &&
    r.workerdRestarts === 0 &&
    r.memory.reloadFailures === 0 &&
    r.attacks.length === settings.attacks.length &&
    r.attacks.every((a) => a.passed) &&
    r.faults.every((f) => f.passed);
  if (r.passed) r.devLogTail = ''; // kept only to explain a failure
  return r;
}

async function runFault(fault: FaultName, settings: SoakSettings, draw: (n: number) => string[], track: (dev: WranglerDev) => void): Promise<FaultResult> {
  const config = writeFaultyDeployment(join(REPO_ROOT, '.cache/soak', fault), FAULTY_MODEL, fault);
  const dev = await startWranglerDev(config, { RATE_LIMIT_KEY: 'off' });
  track(dev);
  const route = parseRouteConfig(defaultRoutes).routes.get(FAULT_ROUTE)!;
  const damagedVariant = route.variants.find((v) => v.model === FAULTY_MODEL)!.name;
  const poisoned = loadShippedModel(FAULTY_MODEL).manifest.featureContract.items[POISONED_POSITION];
  const r: FaultResult = { fault, what: describeFault(fault), requests: 0, serverErrors: 0, nonProbabilities: 0, assignedToDamaged: 0, fallbacks: 0, servedByDamaged: 0, poisonedRequests: 0, unscorable: 0, otherErrors: 0, problems: [], healthz: '', passed: false };
  try {
    for (let u = 0; u < settings.faultUsers; u++) {
      const user = `fault-${u}`;
      // The worker assigns by the unit key (SHA-256 of `unit:<user>`), so the soak does too.
      const assigned = (await assign(route, await unitKeyOf(user))).variant.name;
      if (assigned === damagedVariant) r.assignedToDamaged++;
      // 'poisoned-row': the bad item appears in the second half of the run, after the model has served.
      const withPoison = fault === 'poisoned-row' && u >= settings.faultUsers / 2;
      if (withPoison && assigned === damagedVariant) r.poisonedRequests++;
      const candidates = withPoison ? [...draw(9), poisoned] : draw(10);
      const res = await fetch(`${dev.origin}/v1/score/${FAULT_ROUTE}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, history: draw(30), candidates }), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      r.requests++;
      if (res.status !== 200) {
        const text = await res.text();
        if (res.status >= 500) r.serverErrors++;
        else if (res.status === 422 && text.includes('"unscorable_request"')) r.unscorable++;
        else r.otherErrors++;
        if (res.status !== 422 && r.problems.length < 10) r.problems.push(`${user}: ${res.status} ${text.slice(0, 200)}`);
        continue;
      }
      const body = (await res.json()) as { variant: string; model: { name: string }; scores: Array<{ score: number }> };
      r.nonProbabilities += body.scores.filter((s) => !(s.score >= 0 && s.score <= 1)).length;
      if (body.model.name === FAULTY_MODEL) r.servedByDamaged++;
      else if (assigned === damagedVariant) r.fallbacks++;
    }
    const health = (await (await fetch(`${dev.origin}/healthz`)).json()) as { status: string; models: Array<{ name: string; status: string }> };
    r.healthz = `${health.status}; ${FAULTY_MODEL}: ${health.models.find((m) => m.name === FAULTY_MODEL)?.status}`;
  } finally {
    await dev.stop();
  }
  // A damaged model refused at load: every user of its variant falls back to the control, and
  // /healthz says so. 'poisoned-row' loads (its golden requests never touch the bad row), so a NaN
  // output is the request's fault: exactly the requests with the bad item get a 422, every other
  // request on the variant is served by the model, which stays loaded.
  const asExpected =
    fault === 'poisoned-row'
      ? r.fallbacks === 0 && r.poisonedRequests > 0 && r.unscorable === r.poisonedRequests && r.servedByDamaged === r.assignedToDamaged - r.poisonedRequests && r.healthz.startsWith('ok;')
      : r.servedByDamaged === 0 && r.unscorable === 0 && r.fallbacks === r.assignedToDamaged && r.healthz.startsWith('degraded;') && r.healthz.endsWith('failed');
  r.passed = r.serverErrors === 0 && r.otherErrors === 0 && r.nonProbabilities === 0 && r.assignedToDamaged > 0 && asExpected;
  return r;
}

function describeFault(fault: FaultName): string {
  return {
    'nan-bias': 'output bias NaN, manifest re-signed',
    'shifted-bias': 'output bias + 0.05, manifest re-signed (scores stay probabilities)',
    'sha-mismatch': 'one weight changed, manifest not re-signed',
    'poisoned-row': `one item's embedding row NaN (vocabulary position ${POISONED_POSITION}), manifest re-signed`,
  }[fault];
}

async function scoresOf(res: Response): Promise<number[]> {
  if (res.status !== 200) throw new Error(`baseline request: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { scores: Array<{ id: string; score: number }> };
  return body.scores.sort((a, b) => (a.id < b.id ? -1 : 1)).map((s) => s.score);
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : Number.NaN;
}
const round = (x: number) => Math.round(x * 10) / 10;
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const lastRss = (rss: SoakResult['rss']) => rss.at(-1)?.mib ?? 0;
