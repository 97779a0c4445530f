/** Issue 7's targets, checked against a run's figures (met / missed / not measured). */
import type { ComputeResults } from '../compute.js';
import { FOCUS, SHIPPED } from '../compute.js';
import type { EndToEndResults } from '../endToEnd.js';
import type { FootprintResults } from '../footprint.js';

export interface TargetCheck {
  target: string;
  measured: string;
  value: number | null;
  limit: number;
  unit: string;
  direction: '<=' | '>=';
  status: 'met' | 'missed' | 'not measured';
}

export interface SectionResults {
  compute?: ComputeResults;
  endToEnd?: EndToEndResults;
  footprint?: FootprintResults;
}

const MiB = 2 ** 20;

export function checkTargets(r: SectionResults): TargetCheck[] {
  const oneConnection = r.endToEnd?.load.find((l) => l.connections === 1);
  const dien = r.compute?.grid.find((c) => c.model === SHIPPED.dien && c.H === FOCUS.T && c.C === FOCUS.C);
  const heap = r.endToEnd?.memory.isolateHeap;
  const isolateBytes = r.endToEnd && typeof heap === 'object' && r.endToEnd.memory.ortWasmBytes !== null ? heap.usedBytes + r.endToEnd.memory.ortWasmBytes : null;
  const shape = `H=${FOCUS.T}, C=${FOCUS.C}`;
  return [
    check('HTTP p50, 1 connection, loopback', `POST /v1/score under wrangler dev, ${shape}`, oneConnection?.p50Ms, '<=', 5, 'ms'),
    check('HTTP p99, 1 connection, loopback', `POST /v1/score under wrangler dev, ${shape}`, oneConnection?.p99Ms, '<=', 10, 'ms'),
    check('DIEN compute per request', `${SHIPPED.dien} session.run p50, onnxruntime-web wasm, ${shape}`, dien?.wasm.p50Ms, '<=', 6.6, 'ms'),
    check(
      'DIN wasm share of the wasm MatMul peak',
      `DIN GFLOP/s / ${r.compute?.settings.matmulN ?? 512}³ MatMul GFLOP/s, onnxruntime-web wasm, ${shape}`,
      r.compute ? 100 * r.compute.peak.din.wasm.shareOfPeak : undefined,
      '>=',
      60,
      '%',
    ),
    check('cold first request', 'first POST /v1/score on a fresh wrangler dev (shipped ORT_START = first-request)', r.endToEnd?.coldMs, '<=', 250, 'ms'),
    check('cold first request, ORT_START = isolate', 'first POST /v1/score on a fresh wrangler dev that started ORT at isolate start', r.endToEnd?.coldOrtAtIsolateStartMs, '<=', 250, 'ms'),
    check('added isolate memory', 'isolate V8 heap used + ORT wasm memory after the load', isolateBytes === null ? undefined : isolateBytes / MiB, '<=', 64, 'MiB'),
    check('upload with the default models', 'bundle gzip + model assets gzip (gzip -9 per file)', r.footprint ? r.footprint.uploadGzipBytes / MiB : undefined, '<=', 4, 'MiB'),
  ];
}

function check(target: string, measured: string, value: number | undefined, direction: '<=' | '>=', limit: number, unit: string): TargetCheck {
  if (value === undefined || !Number.isFinite(value)) return { target, measured, value: null, limit, unit, direction, status: 'not measured' };
  const met = direction === '<=' ? value <= limit : value >= limit;
  return { target, measured, value, limit, unit, direction, status: met ? 'met' : 'missed' };
}
