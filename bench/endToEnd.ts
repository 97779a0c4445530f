/**
 * Section 2, end to end: the worker under `wrangler dev` on 127.0.0.1, driven by autocannon.
 *
 * In order, on a fresh `wrangler dev`: workerd RSS before any request; the first `POST /v1/score`
 * (cold: worker start, model fetch + sha256, ORT wasm start, session creation, first run);
 * `/healthz` (wrangler dev's own overhead: no model work); an untimed warm-up (long enough for V8
 * to tier ORT's wasm up, see bench/compute.ts); then load at 1
 * and at 8 connections, each for a fixed duration; workerd RSS, the isolate's V8 heap and ORT's
 * wasm memory after the load.
 *
 * Bodies are ids only, H = 50, C = 100, sampled from the served model's vocabulary, with a `user`
 * (so no unit id is generated). Latencies are autocannon's per-response times (float ms from its
 * `response` event: its own histogram rounds to whole milliseconds); req/s is completed 2xx
 * responses / the run's duration.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { loadShippedModel, REPO_ROOT } from './lib/servingModels.js';
import { mulberry32, percentile, summarise, type Timing } from './lib/stats.js';
import { profileWhile, type ProfileBreakdown } from './cpuProfile.js';
import { isolateHeap, openInspector, startWranglerDev, workerdRssBytes, type WranglerDev } from './lib/wranglerDev.js';

/** `GET /v1/models` shows runtime memory only to operators: the bench starts its worker with this token. */
const BENCH_ADMIN_TOKEN = 'bench-admin-token';

export interface EndToEndSettings {
  config: string;
  /** Route of config/routes.json to load (its first variant's model); default: the default route. */
  route?: string;
  H: number;
  C: number;
  /** Distinct request bodies cycled through. */
  bodies: number;
  healthzSeconds: number;
  warmupSeconds: number;
  loadSeconds: number;
  connections: number[];
  /** A separate 1-connection run under V8's sampling profiler (bench/cpuProfile.ts). */
  profileSeconds: number;
  profileIntervalUs: number;
  /** Fresh wrangler dev instances per ORT_START setting for the cold request, alternating settings (plus the main instance's own). */
  coldStarts: number;
}

export function endToEndSettings(quick: boolean, route?: string): EndToEndSettings {
  return {
    config: join(REPO_ROOT, 'wrangler.toml'),
    ...(route ? { route } : {}),
    H: 50,
    C: 100,
    bodies: 256,
    healthzSeconds: quick ? 1 : 4,
    warmupSeconds: quick ? 1 : 6,
    loadSeconds: quick ? 2 : 12,
    connections: [1, 8],
    profileSeconds: quick ? 2 : 5,
    profileIntervalUs: 200,
    coldStarts: quick ? 1 : 3,
  };
}

export interface LoadRun extends Timing {
  connections: number;
  seconds: number;
  requestsPerSecond: number;
  errors: number;
  non2xx: number;
}

export interface EndToEndResults {
  settings: EndToEndSettings;
  route: string;
  model: string;
  bodyBytes: number;
  /** Median first request with the shipped `ORT_START = "first-request"` over `cold.firstRequest`. */
  coldMs: number;
  /** Median first request with `ORT_START = "isolate"` (ORT started at isolate start) over `cold.isolate`. */
  coldOrtAtIsolateStartMs: number;
  /** Every cold sample (ms), one fresh wrangler dev each; the last first-request one is the main instance's. */
  cold: { firstRequest: number[]; isolate: number[] };
  /** The registry's own figure for loading the model during the cold request (fetch, sha256, session). */
  modelLoadMs: number | null;
  healthz: LoadRun;
  load: LoadRun[];
  /** CPU time inside the isolate by kind of code, 1 connection, profiled (after the load runs). */
  profile: ProfileBreakdown | string;
  memory: {
    rssBeforeFirstBytes: number;
    rssAfterFirstBytes: number;
    rssAfterLoadBytes: number;
    /** After the load − before the first request. */
    rssAddedBytes: number;
    /** ORT's wasm linear memory (GET /v1/models). */
    ortWasmBytes: number | null;
    isolateHeap: { usedBytes: number; totalBytes: number } | string;
  };
}

export async function runEndToEnd(settings: EndToEndSettings, log: (line: string) => void): Promise<EndToEndResults> {
  const { route, model } = routeModel(settings.route);
  const manifest = loadShippedModel(model).manifest;
  const vocabulary = manifest.featureContract.items;
  const random = mulberry32(20240601);
  const sample = (k: number) => Array.from({ length: k }, () => vocabulary[Math.floor(random() * vocabulary.length)]);
  const bodies = Array.from({ length: settings.bodies }, (_, i) => JSON.stringify({ user: `bench-${i}`, history: sample(settings.H), candidates: sample(settings.C) }));

  // One first request per fresh instance, the two settings alternating (isolate first), so a drift
  // of the machine's state hits both alike; the request goes out as soon as wrangler reports ready.
  const cold = { firstRequest: [] as number[], isolate: [] as number[] };
  for (let i = 0; i < settings.coldStarts; i++) {
    for (const setting of ['isolate', 'first-request'] as const) {
      log(`e2e: cold request ${i + 1}/${settings.coldStarts}, ORT_START = ${setting}`);
      const instance = await startWranglerDev(settings.config, { ORT_START: setting });
      const ms = await timedPost(`${instance.origin}/v1/score/${route}`, bodies[0]).finally(() => instance.stop());
      (setting === 'isolate' ? cold.isolate : cold.firstRequest).push(ms);
    }
  }

  log('e2e: starting wrangler dev');
  const dev = await startWranglerDev(settings.config, { ADMIN_TOKEN: BENCH_ADMIN_TOKEN });
  try {
    const rssBeforeFirstBytes = workerdRssBytes(dev.pid);
    log('e2e: cold request');
    const path = `/v1/score/${route}`;
    cold.firstRequest.push(await timedPost(`${dev.origin}${path}`, bodies[0]));
    const rssAfterFirstBytes = workerdRssBytes(dev.pid);
    log('e2e: /healthz');
    const healthz = await load(dev, { path: '/healthz', connections: 1, seconds: settings.healthzSeconds });
    await load(dev, { path, bodies, connections: 1, seconds: settings.warmupSeconds });
    const runs: LoadRun[] = [];
    for (const connections of settings.connections) {
      log(`e2e: POST /v1/score, ${connections} connection(s), ${settings.loadSeconds} s`);
      runs.push(await load(dev, { path, bodies, connections, seconds: settings.loadSeconds }));
    }
    const rssAfterLoadBytes = workerdRssBytes(dev.pid);
    log(`e2e: CPU profile of the isolate, 1 connection, ${settings.profileSeconds} s`);
    const profile = await profileRun(dev, path, bodies, settings).catch((err: unknown) => `unavailable (${String(err)})`);
    const heap = await isolateHeap(dev.inspectorPort).catch((err: unknown) => `unavailable (${String(err)})`);
    const models = (await (await fetch(`${dev.origin}/v1/models`, { headers: { 'x-admin-token': BENCH_ADMIN_TOKEN } })).json()) as {
      models: Array<{ name: string; runtime?: { wasmMemoryBytes?: number | null; loadMs?: number } }>;
    };
    const served = models.models.find((m) => m.name === model)?.runtime;
    const ortWasmBytes = served?.wasmMemoryBytes ?? null;
    return {
      settings,
      route,
      model: `${manifest.name}@${manifest.version}`,
      bodyBytes: Math.round(bodies.reduce((n, b) => n + Buffer.byteLength(b), 0) / bodies.length),
      coldMs: percentile(cold.firstRequest, 0.5),
      coldOrtAtIsolateStartMs: percentile(cold.isolate, 0.5),
      cold,
      modelLoadMs: served?.loadMs ?? null,
      healthz,
      load: runs,
      profile,
      memory: { rssBeforeFirstBytes, rssAfterFirstBytes, rssAfterLoadBytes, rssAddedBytes: rssAfterLoadBytes - rssBeforeFirstBytes, ortWasmBytes, isolateHeap: heap },
    };
  } finally {
    await dev.stop();
  }
}

async function profileRun(dev: WranglerDev, path: string, bodies: string[], settings: EndToEndSettings): Promise<ProfileBreakdown> {
  const inspector = await openInspector(dev.inspectorPort);
  try {
    return await profileWhile(inspector, settings.profileIntervalUs, async () => (await load(dev, { path, bodies, connections: 1, seconds: settings.profileSeconds })).runs);
  } finally {
    inspector.close();
  }
}

/** A route of config/routes.json (default: the default route) and its first variant's model. */
function routeModel(name?: string): { route: string; model: string } {
  const routes = JSON.parse(readFileSync(resolve(REPO_ROOT, 'config/routes.json'), 'utf8')) as {
    defaultRoute: string;
    routes: Record<string, { variants: Array<{ model: string }> }>;
  };
  const routeName = name ?? routes.defaultRoute;
  const route = routes.routes[routeName];
  if (!route) throw new Error(`config/routes.json: no route "${routeName}"`);
  return { route: routeName, model: route.variants[0].model };
}

async function timedPost(url: string, body: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`POST ${url}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  return ms;
}

/** One autocannon run against `dev` (wrangler dev, or any server with an origin): GET `path`, or POST cycling through `bodies` (each connection from its own offset). */
export function load(dev: Pick<WranglerDev, 'origin' | 'log'>, o: { path: string; bodies?: string[]; connections: number; seconds: number }): Promise<LoadRun> {
  const latencies: number[] = [];
  const headers = { 'content-type': 'application/json' };
  const requests: autocannon.Request[] = o.bodies
    ? o.bodies.map((body) => ({ method: 'POST', path: o.path, headers, body }))
    : [{ method: 'GET', path: o.path }];
  let client = 0;
  return new Promise((ok, fail) => {
    const instance = autocannon(
      {
        url: dev.origin,
        connections: o.connections,
        duration: o.seconds,
        timeout: 30,
        requests,
        setupClient: (c) => {
          const offset = (client++ * 37) % requests.length;
          c.setRequests([...requests.slice(offset), ...requests.slice(0, offset)]);
        },
      },
      (err, result) => {
        if (err) return fail(err);
        if (latencies.length === 0) return fail(new Error(`no 2xx response from ${o.path} (non-2xx ${result.non2xx}, errors ${result.errors}):\n${dev.log().slice(-2000)}`));
        ok({
          connections: o.connections,
          seconds: result.duration,
          ...summarise(latencies),
          requestsPerSecond: latencies.length / result.duration,
          errors: result.errors,
          non2xx: result.non2xx,
        });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
}
