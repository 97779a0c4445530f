/// <reference lib="webworker" />
/**
 * The library inside a dedicated Web Worker (`Scorer.load({ thread: 'worker' })`): loading (fetch,
 * sha256, ORT's start, session, golden replay) and every score run here, so the page's main thread
 * only posts messages. One model per worker. Built as `interest-edge-worker.js` beside the library.
 */
import { Scorer } from './scorer.js';
import type { WorkerReply, WorkerRequest } from './workerProtocol.js';

declare const self: DedicatedWorkerGlobalScope;
let scorer: Scorer | undefined;

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const m = event.data;
  const reply = (r: WorkerReply) => self.postMessage(r);
  try {
    if (m.op === 'load') {
      scorer = await Scorer.load({ ...m.options, thread: 'main', ...(m.progress ? { onProgress: (progress) => self.postMessage({ id: m.id, progress } satisfies WorkerReply) } : {}) }, m.route);
      reply({ id: m.id, ok: true, value: { report: scorer.report, manifest: scorer.manifest } });
    } else {
      if (!scorer) throw new Error('no model loaded in this worker');
      reply({ id: m.id, ok: true, value: await scorer.score(m.input, m.options) });
    }
  } catch (err) {
    const e = err as { name?: string; message?: string; code?: string; issues?: unknown };
    reply({ id: m.id, ok: false, error: { name: e.name ?? 'Error', message: e.message ?? String(err), ...(e.code ? { code: e.code } : {}), ...(e.issues ? { issues: e.issues } : {}) } });
  }
};
