/**
 * `wrangler dev` as a child process for the end-to-end section (the approach of
 * the earlier worker bench): its own process group (stopped with one signal to that group only),
 * readiness from its "Ready on" line, metrics and cf fetches off, workerd RSS from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { REPO_ROOT } from './servingModels.js';

export const WRANGLER = join(REPO_ROOT, 'node_modules/.bin/wrangler');

/**
 * A wrangler config in `dir` for another deployment of the worker: wrangler.toml with `main` set to
 * `entry` (relative to the repository) and the assets read from `dir/models`. Returns its path.
 */
export function writeDeploymentConfig(dir: string, entry = 'worker/index.ts'): string {
  const toml = readFileSync(join(REPO_ROOT, 'wrangler.toml'), 'utf8')
    .replace(/^main = .*$/m, `main = "${relative(dir, join(REPO_ROOT, entry))}"`)
    .replace(/^directory = .*$/m, 'directory = "./models"');
  const path = join(dir, 'wrangler.toml');
  writeFileSync(path, toml);
  return path;
}
/** wrangler offline: no metrics, no cf fetch. */
export const WRANGLER_ENV = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

export interface WranglerDev {
  readonly pid: number;
  readonly origin: string;
  readonly inspectorPort: number;
  /** The last 64 KiB of wrangler's output. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts `wrangler dev -c <config>` on 127.0.0.1 (free ports), `vars` overriding wrangler.toml's, and resolves once it is ready.
 * The per-client rate limit is off unless `vars` sets RATE_LIMIT_KEY: a benchmark is one client sending far more than any real one.
 */
export async function startWranglerDev(config: string, vars: Record<string, string> = {}, timeoutMs = 90_000, extraArgs: string[] = []): Promise<WranglerDev> {
  const port = await freePort();
  const inspectorPort = await freePort();
  const varArgs = Object.entries({ RATE_LIMIT_KEY: 'off', DEPLOYMENT: 'development', ...vars }).flatMap(([k, v]) => ['--var', `${k}:${v}`]);
  const child = spawn(WRANGLER, ['dev', '-c', config, '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspectorPort), ...varArgs, ...extraArgs], {
    cwd: REPO_ROOT,
    env: WRANGLER_ENV,
    detached: true, // own process group: stop() signals wrangler and workerd, nothing else
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (d: Buffer) => {
    output = (output + d.toString()).slice(-65536);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const dev: WranglerDev = {
    pid: child.pid!,
    origin: `http://127.0.0.1:${port}`,
    inspectorPort,
    log: () => output,
    stop: () => stopGroup(child),
  };
  try {
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`wrangler dev not ready after ${timeoutMs / 1000} s:\n${output}`)), timeoutMs);
      const check = () => {
        if (/Ready on/.test(output)) {
          clearTimeout(timer);
          ok();
        }
      };
      child.stdout?.on('data', check);
      child.stderr?.on('data', check);
      child.on('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`wrangler dev exited with ${code}:\n${output}`));
      });
    });
  } catch (err) {
    await dev.stop();
    throw err;
  }
  return dev;
}

function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return Promise.resolve();
  return new Promise((ok) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      ok();
    }, 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      ok();
    });
    try {
      process.kill(-child.pid!, 'SIGTERM'); // our own process group only
    } catch {
      clearTimeout(timer);
      ok();
    }
  });
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? ok(address.port) : fail(new Error('no port'))));
    });
  });
}

/** The workerd processes below `pid` (wrangler dev runs a proxy and the runtime; a new runtime pid means it restarted). */
export function workerdPids(pid: number): number[] {
  return descendants(pid).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('workerd');
    } catch {
      return false;
    }
  });
}

/** Total RSS (bytes) of the workerd processes below `pid`. */
export function workerdRssBytes(pid: number): number {
  let total = 0;
  for (const p of descendants(pid)) {
    try {
      if (!readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('workerd')) continue;
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1];
      if (kb) total += Number(kb) * 1024;
    } catch {
      // process gone
    }
  }
  return total;
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
    for (const c of children.get(stack.pop()!) ?? []) {
      all.push(c);
      stack.push(c);
    }
  }
  return all;
}

/** A Chrome DevTools Protocol session with the worker isolate, through wrangler's inspector proxy (needs Node's WebSocket: --experimental-websocket on Node 20). */
export interface InspectorSession {
  send<T>(method: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Calls `handler` with the params of every `method` event from now on. */
  on(method: string, handler: (params: Record<string, unknown>) => void): void;
  close(): void;
}

export async function openInspector(inspectorPort: number): Promise<InspectorSession> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`, { signal: AbortSignal.timeout(10_000) })).json()) as Array<{ webSocketDebuggerUrl?: string }>;
  const target = targets.find((t) => t.webSocketDebuggerUrl);
  if (!target?.webSocketDebuggerUrl) throw new Error('no inspector target');
  if (typeof WebSocket === 'undefined') throw new Error('no WebSocket global (run node with --experimental-websocket)');
  // wrangler's inspector proxy wants a local Origin; undici's WebSocket takes extra headers.
  const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { Origin: 'http://localhost' } } as unknown as string[]);
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      ws.close();
      fail(new Error('inspector: the WebSocket did not open within 10 s'));
    }, 10_000);
    ws.onopen = (e) => (clearTimeout(timer), ok(e));
    ws.onerror = () => (clearTimeout(timer), fail(new Error('inspector: the WebSocket failed to open')));
  });
  let nextId = 1;
  const pending = new Map<number, (message: { result?: unknown; error?: { message: string } }) => void>();
  const handlers = new Map<string, Array<(params: Record<string, unknown>) => void>>();
  ws.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; method?: string; params?: Record<string, unknown>; result?: unknown; error?: { message: string } };
    if (message.id !== undefined) pending.get(message.id)?.(message);
    else if (message.method) for (const h of handlers.get(message.method) ?? []) h(message.params ?? {});
  };
  return {
    send<T>(method: string, params: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<T> {
      const id = nextId++;
      return new Promise<T>((ok, fail) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          fail(new Error(`inspector: no answer to ${method}`));
        }, timeoutMs);
        pending.set(id, (message) => {
          clearTimeout(timer);
          pending.delete(id);
          if (message.error) fail(new Error(`inspector: ${method}: ${message.error.message}`));
          else ok(message.result as T);
        });
        ws.send(JSON.stringify({ id, method, params }));
      });
    },
    on(method, handler) {
      handlers.set(method, [...(handlers.get(method) ?? []), handler]);
    },
    close: () => ws.close(),
  };
}

/** The worker isolate's V8 heap. */
export async function isolateHeap(inspectorPort: number): Promise<{ usedBytes: number; totalBytes: number }> {
  const inspector = await openInspector(inspectorPort);
  try {
    const heap = await inspector.send<{ usedSize: number; totalSize: number }>('Runtime.getHeapUsage');
    return { usedBytes: heap.usedSize, totalBytes: heap.totalSize };
  } finally {
    inspector.close();
  }
}
