/**
 * Where a worker request's CPU time goes inside workerd: a V8 sampling profile of the isolate
 * (Profiler domain through wrangler's inspector proxy) taken while autocannon drives requests,
 * self time summed by kind of code, and the bundle's JS share attributed to its sources (package
 * or repository file) through the dev bundle's source map. V8 builtins (JSON.parse, typed-array
 * copies, …) count toward the JS function calling them; workerd's own APIs (crypto.subtle.digest,
 * body streams, …) appear as runtime built-ins. The profiler slows the isolate
 * down, so the figures are shares of the profiled time (and ms per request *while profiled*).
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { InspectorSession } from './lib/wranglerDev.js';

export const CODE_KINDS = ['ORT wasm', 'worker JS (bundle)', 'runtime built-ins', '(garbage collector)', '(program)', '(idle)'] as const;
export type CodeKind = (typeof CODE_KINDS)[number];

interface CallFrame {
  functionName: string;
  url: string;
  scriptId?: string;
  lineNumber?: number;
  columnNumber?: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface TimeShare {
  ms: number;
  share: number;
  msPerRequest: number;
}

export interface ProfileBreakdown {
  samplingIntervalUs: number;
  profiledMs: number;
  requests: number;
  kinds: Array<{ kind: CodeKind } & TimeShare>;
  /** Busy (non-idle) ms per request while profiled. */
  busyMsPerRequest: number;
  /** The bundle's JS self time by source: npm package, or repository file (source map of the dev bundle). */
  bundleBySource: Array<{ source: string } & TimeShare>;
  /** Heaviest functions by self time (wasm functions are numbered; bundle functions carry their source). */
  top: Array<{ name: string; kind: CodeKind; ms: number; share: number }>;
}

export function kindOf(frame: CallFrame): CodeKind {
  if (frame.url.startsWith('wasm://')) return 'ORT wasm';
  if (frame.functionName === '(garbage collector)') return '(garbage collector)';
  if (frame.functionName === '(idle)') return '(idle)';
  if (frame.functionName === '(program)' || frame.functionName === '(root)') return '(program)';
  return frame.url ? 'worker JS (bundle)' : 'runtime built-ins';
}

/** Maps a bundle frame to the source it came from; undefined when unknown. */
export type Locate = (frame: CallFrame) => string | undefined;

/** Profiles the isolate while `drive` runs; `drive` resolves to the number of requests it completed. */
export async function profileWhile(inspector: InspectorSession, samplingIntervalUs: number, drive: () => Promise<number>): Promise<ProfileBreakdown> {
  await inspector.send('Profiler.enable');
  await inspector.send('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
  await inspector.send('Profiler.start');
  let requests = 0;
  let profile: CpuProfile;
  try {
    requests = await drive();
  } finally {
    profile = (await inspector.send<{ profile: CpuProfile }>('Profiler.stop', {}, 60_000)).profile;
    await inspector.send('Profiler.disable');
  }
  const locate = await bundleSources(inspector).catch(() => undefined);
  return breakdown(profile, samplingIntervalUs, requests, locate);
}

/** The scripts' source maps (Debugger.scriptParsed replays every loaded script on enable). */
async function bundleSources(inspector: InspectorSession): Promise<Locate> {
  const maps = new Map<string, SourceMap>();
  inspector.on('Debugger.scriptParsed', (p) => {
    const { scriptId, url, sourceMapURL } = p as { scriptId: string; url: string; sourceMapURL?: string };
    if (!url.startsWith('file://') || !sourceMapURL) return;
    try {
      const mapUrl = new URL(sourceMapURL, url);
      if (mapUrl.protocol === 'file:') maps.set(scriptId, new SourceMap(JSON.parse(readFileSync(fileURLToPath(mapUrl), 'utf8'))));
    } catch {
      // no readable map: those frames stay unattributed
    }
  });
  await inspector.send('Debugger.enable');
  await new Promise((ok) => setTimeout(ok, 500)); // scriptParsed events follow the reply
  await inspector.send('Debugger.disable');
  return (frame) => {
    const map = frame.scriptId ? maps.get(frame.scriptId) : undefined;
    const entry = map?.findEntry(frame.lineNumber ?? 0, frame.columnNumber ?? 0);
    return entry && 'originalSource' in entry ? sourceGroup(entry.originalSource) : undefined;
  };
}

/**
 * `…/node_modules/@scope/pkg/…` → `@scope/pkg`; a repository file → its path (`worker/middleware/jsonBody.ts`);
 * wrangler's generated dev facade (`.wrangler/tmp/bundle-…`) → `wrangler dev facade`.
 */
export function sourceGroup(source: string): string {
  const path = source.replace(/^[a-z]+:\/\//, '');
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = path.slice(modules + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const parts = path.split('/').filter((p) => p && p !== '..' && p !== '.');
  if (parts.some((p) => p.startsWith('bundle-') || p === '.wrangler')) return 'wrangler dev facade';
  const repo = parts.findIndex((p) => ['worker', 'contract', 'config'].includes(p));
  return (repo >= 0 ? parts.slice(repo) : parts.slice(-2)).join('/');
}

export function breakdown(profile: CpuProfile, samplingIntervalUs: number, requests: number, locate?: Locate): ProfileBreakdown {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byKind = new Map<CodeKind, number>(CODE_KINDS.map((k) => [k, 0]));
  const bySource = new Map<string, number>();
  const byFunction = new Map<string, { kind: CodeKind; us: number }>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame: CallFrame = nodes.get(id)?.callFrame ?? { functionName: '(program)', url: '' };
    const us = profile.timeDeltas[i] ?? 0;
    const kind = kindOf(frame);
    total += us;
    byKind.set(kind, byKind.get(kind)! + us);
    let name = frame.functionName || '(anonymous)';
    if (kind === 'worker JS (bundle)') {
      const source = locate?.(frame) ?? 'unattributed';
      bySource.set(source, (bySource.get(source) ?? 0) + us);
      name += ` [${source}]`;
    }
    const f = byFunction.get(name) ?? { kind, us: 0 };
    f.us += us;
    byFunction.set(name, f);
  });
  const share = (us: number): TimeShare => ({ ms: us / 1000, share: us / total, msPerRequest: us / 1000 / requests });
  return {
    samplingIntervalUs,
    profiledMs: total / 1000,
    requests,
    kinds: CODE_KINDS.map((kind) => ({ kind, ...share(byKind.get(kind)!) })),
    busyMsPerRequest: (total - byKind.get('(idle)')!) / 1000 / requests,
    bundleBySource: [...bySource].sort((a, b) => b[1] - a[1]).map(([source, us]) => ({ source, ...share(us) })),
    top: [...byFunction]
      .filter(([, f]) => f.kind !== '(idle)')
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, 12)
      .map(([name, f]) => ({ name, kind: f.kind, ms: f.us / 1000, share: f.us / total })),
  };
}
