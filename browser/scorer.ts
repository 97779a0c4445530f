/**
 * `Scorer`: the worker's scoring, in the page. It fetches a published model (manifest + ONNX from
 * `GET /v1/public/models/...`), checks the sha256, creates an onnxruntime-web session on WebGPU
 * where the browser has it (WASM SIMD otherwise), and answers `score(request)` with the response
 * of `POST /v1/score` — computed by the same code: the request schema, the feature contract
 * (ids → indices, truncation, padding, OOV), the ranking and the explanations are the worker's own
 * modules, imported, not copied. The user's clicks never leave the page.
 *
 * A session counts as working only once it reproduces the manifest's golden requests (the check
 * the worker makes at load): a WebGPU session that cannot be created, throws, or computes something
 * else falls back to WASM, and `fallbackReason` says why.
 */
import '../core/zod.js';
import type { FeatureContract } from '../contract/featureContract.js';
import { contractOf, fromPublicManifest, manifestInputNames, publicManifestSchema, type ModelManifest } from '../contract/manifest.js';
import { ItemRowStore } from '../core/rows/itemRowStore.js';
import { ApiError, type ErrorIssue } from '../core/errors.js';
import { replayGolden } from '../core/models/goldenReplay.js';
import type { LoadedModel } from '../core/models/loadedModel.js';
import { sha256Hex } from '../core/models/sha256.js';
import { scoreRequestSchema, toErrorIssues, type ScoreResponse } from '../core/schema/score.schema.js';
import { checkSignature, OrtScoringSession } from '../core/runtime/ortSession.js';
import type { RankBy } from '../core/scoring/objectives.js';
import { scoreRequest, type RankedItem } from '../core/scoring/scoreRequest.js';
import type * as z from '../core/zod.js';
import type { WorkerReply, WorkerRequest } from './workerProtocol.js';
import { createSession, onWebGpuQueue, importOrt, webGpuAdapter, type OrtBuild, type OrtModule } from './ortRuntime.js';

export type ExecutionProviderChoice = 'auto' | OrtBuild;

/** |browser − worker| the library promises on WebGPU (WASM computes exactly what the worker does). */
export const WEBGPU_TOLERANCE = 1e-4;

export interface ScorerOptions {
  /** The worker's origin (or any base URL it is served under), e.g. `https://edge.example.com`. */
  baseUrl: string;
  /** A model published to browsers (a variant of a route with `"browser": true`). */
  model: string;
  /** `auto` (default): WebGPU when the browser gives an adapter, else WASM. */
  executionProvider?: ExecutionProviderChoice;
  /** Where ORT fetches its `.wasm`/`.mjs` files (a URL prefix ending in `/`); default the worker's `/browser/ort/<ORT version>/`. */
  ortWasmPaths?: string;
  /** Defaults to the global `fetch` (main thread only: a worker uses its own). */
  fetch?: typeof fetch;
  /**
   * `main` (default): load and score on the page's thread. `worker`: in a dedicated Web Worker, so
   * the page's main thread never blocks on loading (sha256, ORT's start, session creation) or
   * scoring; the same API, answers by message. See docs/browser.md, "Off the main thread".
   */
  thread?: 'main' | 'worker';
  /** With `thread: 'worker'`: the URL of `interest-edge-worker.js`; default beside this library's own file. */
  workerUrl?: string | URL;
  /** Aborts the load: pending downloads are cancelled and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Download progress of the model file (`total` from Content-Length, when the server sends one). */
  onProgress?: (progress: { file: 'model'; loaded: number; total?: number }) => void;
}

/** What a loaded model offers, on either thread. */
export interface ScorerApi {
  readonly report: LoadReport;
  readonly manifest: ModelManifest;
  readonly executionProvider: OrtBuild;
  score(input: ScoreInput, options?: ScoreOptions): Promise<BrowserScoreResponse>;
  /** Frees the session (and the worker, off the main thread). */
  release(): Promise<void>;
}

/**
 * A request as `POST /v1/score` takes it, typed from its zod schema (core/schema/score.schema.ts):
 * a misspelt field (`histroy`) is a type error. `user` is ignored in the page (the route's
 * assignment is the worker's). Untyped callers still get the schema's checks at run time.
 */
export type ScoreInput = z.input<typeof scoreRequestSchema>;

export interface ScoreOptions {
  /** Every kept history behaviour's attention weight per candidate (`scores[i].attention`), for heat maps. */
  attention?: boolean;
  /** Request time (Unix seconds) for the hour/weekday features; default now. */
  time?: number;
  /** Abandons the score: the promise rejects with the signal's reason (a run already inside ORT finishes, its result is dropped). */
  signal?: AbortSignal;
}

/** What `POST /v1/score` answers, plus how the page computed it. */
export type BrowserScoreResponse = Omit<ScoreResponse, 'route' | 'variant' | 'scores' | 'unitId' | 'assignment'> & {
  route?: string;
  variant?: string;
  scores: RankedItem[];
  executionProvider: OrtBuild;
  /** Milliseconds of this call (encode, run, rank). */
  ms: number;
};

/** The worker's 400, thrown: `code`, `message` and `issues` (`path` names the field) as in its error body. */
export class ScoreRequestError extends Error {
  override name = 'ScoreRequestError';
  constructor(
    readonly code: string,
    message: string,
    readonly issues: ErrorIssue[],
  ) {
    super(message);
  }
}

export interface LoadReport {
  executionProvider: OrtBuild;
  /** Why WebGPU was not used when it was tried (no adapter is not a fallback: then it is not tried). */
  fallbackReason?: string;
  /** The WebGPU adapter, when there was one. */
  adapter?: { vendor: string; architecture: string };
  ortVersion: string;
  /** Milliseconds: fetch (manifest + model), verify (sha256), runtime (ORT import + session), golden (replay). */
  ms: { total: number; fetch: number; verify: number; runtime: number; golden: number };
  bytes: { manifest: number; onnx: number };
}

/** Bytes of item-row shards a scorer has fetched so far (models with item rows outside the graph; 0 otherwise). */
export interface RowTraffic {
  shards: number;
  bytes: number;
}

export class Scorer implements ScorerApi {
  private constructor(
    private readonly model: LoadedModel,
    readonly report: LoadReport,
    private readonly route?: { name: string; variant: string; rankBy: RankBy },
  ) {}

  get manifest(): ModelManifest {
    return this.model.manifest;
  }
  get contract(): FeatureContract {
    return this.model.contract;
  }
  /** `webgpu` or `wasm`: what scores. */
  get executionProvider(): OrtBuild {
    return this.report.executionProvider;
  }

  /** Fetches, verifies and starts a published model (in a Web Worker with `thread: 'worker'`). */
  static load(options: ScorerOptions & { thread: 'worker' }, route?: { name: string; variant: string; rankBy: RankBy }): Promise<ScorerApi>;
  static load(options: ScorerOptions & { thread?: 'main' }, route?: { name: string; variant: string; rankBy: RankBy }): Promise<Scorer>;
  static load(options: ScorerOptions, route?: { name: string; variant: string; rankBy: RankBy }): Promise<ScorerApi>;
  static async load(options: ScorerOptions, route?: { name: string; variant: string; rankBy: RankBy }): Promise<ScorerApi> {
    if (options.thread === 'worker') return WorkerScorer.load(options, route);
    const signal = options.signal;
    signal?.throwIfAborted();
    const plain = options.fetch ?? globalThis.fetch.bind(globalThis);
    // Every download of this load carries the caller's signal.
    const http: typeof fetch = signal ? (input, init) => plain(input, { ...init, signal }) : plain;
    const base = options.baseUrl.replace(/\/+$/, '');
    const t0 = performance.now();
    const pointerUrl = `${base}/v1/public/models/${encodeURIComponent(options.model)}`;
    let rowsUrl: string | undefined;
    const files = async (cache?: RequestCache) => {
      const pointer = await getJson<{ version: string; manifest: string; onnx: string; sha256: string; rows?: string }>(http, pointerUrl, cache);
      rowsUrl = pointer.rows === undefined ? undefined : absolute(base, pointer.rows);
      return Promise.all([
        getOk(http, absolute(base, pointer.manifest)).then((r) => r.text()),
        getOk(http, absolute(base, pointer.onnx)).then((r) => readWithProgress(r, options.onProgress)),
      ]);
    };
    // The pointer is cacheable for a minute; right after a deploy a cached pointer names a version the
    // worker no longer serves (404). Then the pointer is fetched again past the cache, once.
    const [manifestText, onnx] = await files().catch((err: unknown) => {
      if (err instanceof HttpError && err.status === 404) return files('reload');
      throw err;
    });
    signal?.throwIfAborted();
    const t1 = performance.now();
    // The public form of the manifest: only what scoring needs (contract/manifest.ts publicManifestOf).
    const parsed = publicManifestSchema.safeParse(JSON.parse(manifestText));
    if (!parsed.success) throw new Error(`${options.model}: invalid manifest: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const manifest = fromPublicManifest(parsed.data);
    const digest = await sha256Hex(onnx);
    if (digest !== manifest.onnx.sha256) throw new Error(`${options.model}: model bytes fail verification: sha256 ${digest}, manifest says ${manifest.onnx.sha256}`);
    const contract = contractOf(manifest);
    const t2 = performance.now();
    // Item rows outside the graph: the page fetches only the shards of the items it scores (immutable URLs, HTTP-cached).
    const rows = manifest.itemRows && rowsUrl ? new ItemRowStore(manifest.itemRows, async (file) => (await getOk(plain, `${rowsUrl}${file}`)).arrayBuffer(), { model: options.model }) : undefined;
    if (manifest.itemRows && !rows) throw new Error(`${options.model}: the manifest keeps item rows outside the graph, but the worker's pointer names no rows URL (update the worker)`);

    const inputs = manifestInputNames(manifest);
    const choice = options.executionProvider ?? 'auto';
    const adapter = choice === 'wasm' ? undefined : await webGpuAdapter();
    let session: OrtScoringSession | undefined;
    let provider: OrtBuild = 'wasm';
    let fallbackReason: string | undefined;
    let ort: OrtModule | undefined;
    let goldenMs = 0;
    const start = async (module: OrtModule, ep: OrtBuild) => {
      const raw = await createSession(module, onnx, ep);
      const s = new OrtScoringSession(module.Tensor, raw, [ep]);
      try {
        checkSignature(raw, inputs);
        const g0 = performance.now();
        // GPU arithmetic (summation order, fused multiply-add) moves scores by up to ≈ 2e-5 here (DIN on
        // SwiftShader); WebGPU is held to the agreement the library promises, WASM to the manifest's tolerance.
        const tolerance = ep === 'webgpu' ? Math.max(manifest.golden?.tolerance ?? 0, WEBGPU_TOLERANCE) : undefined;
        const problem = manifest.golden ? await replayGolden(manifest.golden, contract, s, tolerance, rows) : undefined;
        goldenMs += performance.now() - g0;
        if (problem) throw new Error(`${ep} session does not reproduce the golden requests: ${problem}`);
        return s;
      } catch (err) {
        await s.release().catch(() => undefined);
        throw err;
      }
    };
    if (choice === 'webgpu' || (choice === 'auto' && adapter)) {
      try {
        if (!adapter) throw new Error('no WebGPU adapter (navigator.gpu is missing or gave none)');
        ort = await importOrt('webgpu', options.ortWasmPaths ?? ((version) => `${base}/browser/ort/${version}/`));
        const module = ort;
        // One WebGPU session is created (and checked against the golden requests) at a time.
        session = await onWebGpuQueue(() => start(module, 'webgpu'));
        provider = 'webgpu';
      } catch (err) {
        fallbackReason = err instanceof Error ? err.message : String(err);
        console.warn(`[interest-edge] WebGPU unavailable for ${options.model}, scoring with WASM: ${fallbackReason}`);
      }
    }
    if (!session) {
      // The WebGPU build runs WASM too: after a WebGPU failure, no second download.
      ort ??= await importOrt('wasm', options.ortWasmPaths ?? ((version) => `${base}/browser/ort/${version}/`));
      session = await start(ort, 'wasm');
    }
    if (signal?.aborted) {
      await (session as OrtScoringSession).release().catch(() => undefined);
      signal.throwIfAborted();
    }
    const t3 = performance.now();
    const model: LoadedModel = { manifest, contract, session, ...(rows ? { rows } : {}), loadMs: t3 - t0, loadBreakdownMs: { assets: t2 - t0, contract: 0, session: t3 - t2 } };
    const report: LoadReport = {
      executionProvider: provider,
      ...(fallbackReason ? { fallbackReason } : {}),
      ...(adapter ? { adapter } : {}),
      ortVersion: ort?.env.versions.web ?? 'unknown',
      ms: { total: t3 - t0, fetch: t1 - t0, verify: t2 - t1, runtime: t3 - t2 - goldenMs, golden: goldenMs },
      bytes: { manifest: manifestText.length, onnx: onnx.byteLength },
    };
    return new Scorer(model, report, route);
  }

  /** Item-row shards fetched so far (golden replay included): what scoring cost in downloads beyond the model. */
  get rowTraffic(): RowTraffic {
    const stats = this.model.rows?.stats;
    return { shards: stats?.shardReads ?? 0, bytes: stats?.bytesRead ?? 0 };
  }

  /**
   * Scores a request as `POST /v1/score` does (same schema, same errors as `ScoreRequestError`,
   * same response). With `attention: true`, each score carries its weights over the kept history.
   */
  async score(input: ScoreInput, options: ScoreOptions = {}): Promise<BrowserScoreResponse> {
    options.signal?.throwIfAborted();
    const t0 = performance.now();
    const parsed = scoreRequestSchema.safeParse(input);
    if (!parsed.success) throw new ScoreRequestError('invalid_request', 'request does not match the schema of POST /v1/score', toErrorIssues(parsed.error.issues));
    const request = parsed.data;
    const ranking = request.rankBy ? { rankBy: request.rankBy, from: 'request' as const } : { rankBy: this.route?.rankBy ?? 'ctr', from: 'route' as const };
    const circumstances = { time: options.time ?? Date.now() / 1000, route: this.route?.name ?? 'default', edgeTimeZone: Intl.DateTimeFormat().resolvedOptions().timeZone };
    let scored;
    try {
      scored = await scoreRequest(this.model, request, circumstances, ranking, { attentionRows: options.attention === true });
    } catch (err) {
      if (err instanceof ApiError) throw new ScoreRequestError(err.code, err.message, err.issues);
      throw err;
    }
    options.signal?.throwIfAborted();
    return {
      ...(this.route ? { route: this.route.name, variant: this.route.variant } : {}),
      model: scored.model,
      rankBy: scored.rankBy,
      scores: scored.scores,
      unknown: scored.unknown,
      ...(scored.explainUnavailable ? { explainUnavailable: scored.explainUnavailable } : {}),
      executionProvider: this.executionProvider,
      ms: performance.now() - t0,
    };
  }

  /** Frees the ORT session. */
  release(): Promise<void> {
    return (this.model.session as OrtScoringSession).release();
  }
}

/** A failed fetch of the library, with its status (404s are retried once past the HTTP cache). */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function getOk(http: typeof fetch, url: string, cache?: RequestCache): Promise<Response> {
  const res = await http(url, cache ? { cache } : undefined);
  if (!res.ok) {
    let detail = '';
    try {
      detail = ((await res.json()) as { error?: { message?: string } }).error?.message ?? '';
    } catch {
      // not our JSON error
    }
    throw new HttpError(res.status, `GET ${url}: HTTP ${res.status}${detail ? `: ${detail}` : ''}`);
  }
  return res;
}

async function getJson<T>(http: typeof fetch, url: string, cache?: RequestCache): Promise<T> {
  return (await (await getOk(http, url, cache)).json()) as T;
}

function absolute(base: string, path: string): string {
  return /^https?:\/\//.test(path) ? path : `${base}${path}`;
}

/** Requests to the library's worker and their answers, matched by id; progress messages go to `onProgress`. */
class WorkerChannel {
  private next = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();

  constructor(
    readonly worker: Worker,
    onProgress?: ScorerOptions['onProgress'],
  ) {
    worker.onmessage = (e: MessageEvent<WorkerReply>) => {
      const reply = e.data;
      if ('progress' in reply) return onProgress?.(reply.progress);
      const call = this.pending.get(reply.id);
      if (!call) return;
      this.pending.delete(reply.id);
      if (reply.ok) return call.resolve(reply.value);
      const { name, message, code, issues } = reply.error;
      call.reject(name === 'ScoreRequestError' ? new ScoreRequestError(code ?? 'invalid_request', message, (issues ?? []) as ErrorIssue[]) : Object.assign(new Error(message), { name }));
    };
    worker.onerror = (e) => this.fail(new Error(`interest-edge worker failed: ${e.message || 'could not start (is interest-edge-worker.js served beside the library? see workerUrl)'}`));
  }

  /** Posts `request` (its id is set here); `signal` stops waiting for the answer. */
  call(request: DistributiveOmit<WorkerRequest, 'id'>, signal?: AbortSignal): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      signal?.addEventListener('abort', () => this.pending.delete(id) && reject(signal.reason), { once: true });
      this.worker.postMessage({ ...request, id } as WorkerRequest);
    });
  }

  fail(error: unknown): void {
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A Scorer living in a dedicated Web Worker (browser/worker.ts); the page only posts messages. */
class WorkerScorer implements ScorerApi {
  private constructor(
    private readonly channel: WorkerChannel,
    readonly report: LoadReport,
    readonly manifest: ModelManifest,
  ) {}

  get executionProvider(): OrtBuild {
    return this.report.executionProvider;
  }

  static async load(options: ScorerOptions, route?: { name: string; variant: string; rankBy: RankBy }): Promise<ScorerApi> {
    const { fetch: _fetch, thread: _thread, workerUrl, signal, onProgress, ...rest } = options;
    signal?.throwIfAborted();
    const url = new URL(workerUrl ?? new URL('./interest-edge-worker.js', import.meta.url), location.href);
    // A worker script must be same-origin; a library served by the edge worker is not: start a
    // same-origin module worker from a blob that imports it (CORS applies to the import).
    const worker =
      url.origin === location.origin
        ? new Worker(url, { type: 'module', name: 'interest-edge' })
        : new Worker(URL.createObjectURL(new Blob([`import ${JSON.stringify(url.href)};`], { type: 'text/javascript' })), { type: 'module', name: 'interest-edge' });
    const channel = new WorkerChannel(worker, onProgress);
    // Aborting a load ends its worker: whatever it was downloading or compiling stops with it.
    signal?.addEventListener('abort', () => worker.terminate(), { once: true });
    const loaded = (await channel.call({ op: 'load', options: { ...rest, baseUrl: new URL(options.baseUrl, location.href).href }, progress: onProgress !== undefined, ...(route ? { route } : {}) }, signal)) as { report: LoadReport; manifest: ModelManifest };
    return new WorkerScorer(channel, loaded.report, loaded.manifest);
  }

  score(input: ScoreInput, options?: ScoreOptions): Promise<BrowserScoreResponse> {
    const { signal, ...rest } = options ?? {};
    signal?.throwIfAborted();
    // An AbortSignal cannot cross to the worker: the page stops waiting, the worker's answer is dropped.
    return this.channel.call({ op: 'score', input, options: rest }, signal) as Promise<BrowserScoreResponse>;
  }

  async release(): Promise<void> {
    this.channel.fail(new Error('released'));
    this.channel.worker.terminate();
  }
}

/** The body as bytes, reporting progress per chunk when asked to. */
async function readWithProgress(res: Response, onProgress: ScorerOptions['onProgress']): Promise<Uint8Array> {
  if (!onProgress || !res.body) return new Uint8Array(await res.arrayBuffer());
  const declared = Number(res.headers.get('content-length'));
  const total = Number.isFinite(declared) && declared > 0 ? declared : undefined;
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress({ file: 'model', loaded, ...(total ? { total } : {}) });
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return bytes;
}
