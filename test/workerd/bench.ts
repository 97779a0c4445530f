/**
 * Latency and memory of the worker under `wrangler dev` (workerd), as reported in issue 3:
 * first-request latency, warm p50/p99 over N sequential requests with H=50, C=100 (ids only,
 * from the manifest vocabulary), workerd RSS and V8 heap after them, and the upload size of
 * `wrangler deploy --dry-run`.
 *
 *   WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false \
 *     node --experimental-websocket --import tsx test/workerd/bench.ts [--config wrangler.toml] [--requests 500]
 *
 * Runs on Node; starts and stops its own `wrangler dev` on port 8799.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    config: { type: 'string', default: 'wrangler.toml' },
    requests: { type: 'string', default: '500' },
    port: { type: 'string', default: '8799' },
    history: { type: 'string', default: '50' },
    candidates: { type: 'string', default: '100' },
    /** Score on this route of config/routes.json (its control variant's model) instead of the default route. */
    route: { type: 'string' },
  },
});
const root = resolve(import.meta.dirname, '../..');
const config = resolve(args.config);
const port = Number(args.port);
const N = Number(args.requests);
const H = Number(args.history);
const C = Number(args.candidates);
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };
const wrangler = join(root, 'node_modules/.bin/wrangler');

const routes = JSON.parse(readFileSync(join(root, 'config/routes.json'), 'utf8')) as {
  defaultRoute: string;
  routes: Record<string, { variants: Array<{ model: string }> }>;
};
const routeName = args.route ?? routes.defaultRoute;
if (!routes.routes[routeName]) throw new Error(`no route "${routeName}" in config/routes.json`);
const modelDir = readModelDir(config, routes.routes[routeName].variants[0].model);
const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')) as {
  name: string;
  version: string;
  featureContract: { items: string[] };
};
const vocabulary = manifest.featureContract.items;

// Deterministic sampling (mulberry32) so runs are comparable.
let seed = 20240601;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const sample = (k: number) => Array.from({ length: k }, () => vocabulary[Math.floor(random() * vocabulary.length)]);
const body = () => JSON.stringify({ history: sample(H), candidates: sample(C) });

const dev = spawn(wrangler, ['dev', '-c', config, '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(port + 1)], {
  cwd: root,
  env,
  detached: true,
  stdio: ['ignore', 'pipe', 'pipe'],
});
let devLog = '';
dev.stdout?.on('data', (d: Buffer) => (devLog += d.toString()));
dev.stderr?.on('data', (d: Buffer) => (devLog += d.toString()));

try {
  await waitForReady(dev);
  const url = `http://127.0.0.1:${port}/v1/score/${routeName}`;
  const post = async (payload: string) => {
    const t0 = performance.now();
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
    const text = await res.text();
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text}`);
    return ms;
  };

  // Baseline: a request that does no model work, to separate wrangler dev's own overhead.
  const healthz: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t0 = performance.now();
    await (await fetch(`http://127.0.0.1:${port}/healthz`)).text();
    healthz.push(performance.now() - t0);
  }
  healthz.sort((a, b) => a - b);

  const first = await post(body());
  const rssAfterFirst = workerdRss(dev.pid!);
  const latencies: number[] = [];
  const rssTrace: Array<{ requests: number; rssMiB: Record<string, number> }> = [];
  for (let i = 0; i < N; i++) {
    latencies.push(await post(body()));
    if ((i + 1) % 250 === 0) rssTrace.push({ requests: i + 1, rssMiB: workerdRss(dev.pid!) });
  }
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  const models = (await (await fetch(`http://127.0.0.1:${port}/v1/models`)).json()) as {
    models: Array<{ runtime: { wasmMemoryBytes: number | null } }>;
  };
  const wasmMemoryMiB = round((models.models[0].runtime.wasmMemoryBytes ?? NaN) / 2 ** 20);
  const heap = await v8Heap(port + 1).catch((err: unknown) => `unavailable (${String(err)})`);

  const upload = dryRunUpload();
  console.log(
    JSON.stringify(
      {
        model: `${manifest.name}@${manifest.version}`,
        shape: { H, C, requests: N },
        firstRequestMs: round(first),
        warm: { p50Ms: round(q(0.5)), p90Ms: round(q(0.9)), p99Ms: round(q(0.99)), maxMs: round(latencies[latencies.length - 1]) },
        healthzP50Ms: round(healthz[50]),
        workerdRssMiB: { afterFirst: rssAfterFirst, trace: rssTrace },
        v8Heap: heap,
        ortWasmMemoryMiB: wasmMemoryMiB,
        upload,
      },
      null,
      2,
    ),
  );
} finally {
  if (dev.pid) process.kill(-dev.pid, 'SIGTERM'); // our own process group only
}

function readModelDir(configPath: string, name: string): string {
  const toml = readFileSync(configPath, 'utf8');
  const directory = /\[assets\][^[]*?directory\s*=\s*"([^"]+)"/s.exec(toml)?.[1] ?? './models';
  return join(resolve(dirname(configPath), directory), name);
}

function waitForReady(child: ChildProcess): Promise<void> {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`wrangler dev not ready after 60 s:\n${devLog}`)), 60_000);
    const check = () => {
      if (/Ready on/.test(devLog)) {
        clearTimeout(timer);
        ok();
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.on('exit', (code) => fail(new Error(`wrangler dev exited with ${code}:\n${devLog}`)));
  });
}

/** RSS (MiB) of each workerd process below `pid`. */
function workerdRss(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of descendants(pid)) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (!cmd.includes('workerd')) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1];
      if (rss) out[`workerd ${p}`] = round(Number(rss) / 1024);
    } catch {
      // process gone
    }
  }
  return out;
}

function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // process gone
    }
  }
  const all: number[] = [];
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop()!;
    for (const c of children.get(p) ?? []) {
      all.push(c);
      stack.push(c);
    }
  }
  return all;
}

/** The worker isolate's V8 heap, through wrangler's inspector proxy (needs a WebSocket global). */
async function v8Heap(inspectorPort: number): Promise<{ usedMiB: number; totalMiB: number }> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
  const target = targets.find((t) => t.webSocketDebuggerUrl);
  if (!target) throw new Error('no inspector target');
  if (typeof WebSocket === 'undefined') throw new Error('run node with --experimental-websocket');
  // wrangler's inspector proxy wants a local Origin; undici's WebSocket takes extra headers.
  const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { Origin: 'http://localhost' } } as unknown as string[]);
  await new Promise((ok, fail) => {
    ws.onopen = ok;
    ws.onerror = fail;
  });
  const result = await new Promise<{ usedSize: number; totalSize: number }>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('no answer from the inspector')), 5000);
    ws.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: { usedSize: number; totalSize: number } };
      if (message.id === 1 && message.result) {
        clearTimeout(timer);
        ok(message.result);
      }
    };
    ws.send(JSON.stringify({ id: 1, method: 'Runtime.getHeapUsage' }));
  });
  ws.close();
  return { usedMiB: round(result.usedSize / 2 ** 20), totalMiB: round(result.totalSize / 2 ** 20) };
}

function dryRunUpload(): string {
  const outdir = mkdtempSync(join(tmpdir(), 'interest-edge-dry-run-'));
  const run = spawnSync(wrangler, ['deploy', '--dry-run', '--outdir', outdir, '-c', config], { cwd: root, env, encoding: 'utf8' });
  return /Total Upload: ([^\n]+)/.exec(run.stdout + run.stderr)?.[1]?.trim() ?? `unknown (exit ${run.status})`;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
