/**
 * Model registry: assets → verified manifest → feature contract + scoring session, once per
 * isolate. Concurrent first requests share one load; a failed load is remembered for
 * `retryAfterMs` (so a broken deployment does not re-hash the model on every request) and then
 * tried again.
 */
import { contractOf, manifestInputNames, type ModelManifest } from '../../contract/manifest.js';
import type { FeatureContract } from '../../contract/featureContract.js';
import { replayGolden } from '../../core/models/goldenReplay.js';
import { ApiError } from '../../core/errors.js';
import type { CreateScoringSession, ScoringSession } from '../../core/runtime/scoringSession.js';
import type { LoadedModel } from '../../core/models/loadedModel.js';
import { ItemRowStore } from '../../core/rows/itemRowStore.js';
import { ModelLoadError, readAsset, readVerifiedModel } from './modelAssets.js';
import { warmUp } from './warmUp.js';

export type { LoadedModel } from '../../core/models/loadedModel.js';

/** How a model is loaded when this request is the one that loads it. */
export interface LoadOptions {
  /**
   * Synthetic requests (H = the model's, C = 100) run after the golden check and before the model
   * serves, so V8 has tiered ORT's hot wasm kernels up before real requests arrive
   * (MODEL_WARMUP_RUNS; models/warmUp.ts; docs/worker.md, "Cold isolates").
   */
  warmupRuns?: number;
}

export type ModelStatus = 'not_loaded' | 'loading' | 'ready' | 'failed';

export interface ModelRegistryOptions {
  createSession: CreateScoringSession;
  /** How long a failed load is remembered before the next request retries it. */
  retryAfterMs?: number;
  /** How long a passed self-check (golden replay) is trusted by `recheck`; default 10 s. */
  recheckAfterMs?: number;
  /** Bytes of item rows each row-store model keeps cached (ROW_CACHE_MB); default core/rows DEFAULT_ROW_CACHE_BYTES. */
  rowCacheBytes?: number;
}

interface Entry {
  promise: Promise<LoadedModel>;
  status: ModelStatus;
  failedAt?: number;
  /** Why it failed (load error or failed self-check), for `/healthz`. */
  reason?: string;
  /** The running or last self-check of a loaded model, and when it passed. */
  check?: Promise<string | undefined>;
  checkedAt?: number;
}

/** A failed model as `/healthz` reports it. */
export interface ModelFailure {
  reason: string;
  /** Unix ms. */
  since: number;
  /** Ms until the next request may load it again. */
  retryInMs: number;
}

export interface ModelRegistry {
  /** The loaded model, loading it on first use; throws `ApiError('model_unavailable')`. */
  get(name: string, assets: Fetcher, load?: LoadOptions): Promise<LoadedModel>;
  /**
   * A loaded model gave a non-probability for one request. Whose fault is it? Decided from evidence
   * that does not depend on the request: the manifest's golden requests (or the probe) replayed on
   * the same session. They reproduce → `'healthy'`: the model stays in service and the request gets
   * its own error. They do not → the model is marked failed (refused for `retryAfterMs`, then loaded
   * and checked again) and `'failed'` is returned. A pass is trusted for `recheckAfterMs`, and
   * concurrent checks share one replay, so a flood of such requests costs one replay per interval.
   */
  recheck(name: string, reason: string): Promise<'healthy' | 'failed'>;
  /** Marks a model failed unconditionally (faults found outside a request). */
  markFailed(name: string, reason: string): void;
  status(name: string): ModelStatus;
  /** Why a failed model failed; undefined unless `status(name)` is `'failed'`. */
  failure(name: string): ModelFailure | undefined;
}

export function createModelRegistry(options: ModelRegistryOptions): ModelRegistry {
  const retryAfterMs = options.retryAfterMs ?? 30_000;
  const recheckAfterMs = options.recheckAfterMs ?? 10_000;
  const entries = new Map<string, Entry>();

  const load = async (name: string, assets: Fetcher, loadOptions: LoadOptions): Promise<LoadedModel> => {
    const started = Date.now();
    const { manifest, onnx } = await readVerifiedModel(assets, name);
    const read = Date.now();
    let contract: FeatureContract;
    try {
      contract = contractOf(manifest);
    } catch (err) {
      throw new ModelLoadError(`${name}/manifest.json: ${err instanceof Error ? err.message : String(err)}`);
    }
    const built = Date.now();
    let session: ScoringSession;
    try {
      session = await options.createSession(onnx, manifestInputNames(manifest));
    } catch (err) {
      throw new ModelLoadError(`cannot create a session for ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const created = Date.now();
    const rows = manifest.itemRows ? new ItemRowStore(manifest.itemRows, (file) => readAsset(assets, `${name}/${manifest.itemRows!.directory}/${file}`), { cacheBytes: options.rowCacheBytes, model: name }) : undefined;
    const problem = await selfCheck(manifest, contract, session, rows);
    if (problem) throw new ModelLoadError(`${name} loads but misbehaves: ${problem}`);
    const warmed = Date.now();
    const warmupRuns = loadOptions.warmupRuns ?? 0;
    if (warmupRuns) await warmUp({ contract, session, rows }, warmupRuns);
    const done = Date.now();
    const loadMs = done - started;
    const loadBreakdownMs = { assets: read - started, contract: built - read, session: done - built };
    console.log(
      `[model-registry] loaded model "${name}" version ${manifest.version} sha256 ${manifest.onnx.sha256} ` +
        `(${manifest.onnx.bytes} bytes, ${session.executionProviders.join('/')}; ${manifest.golden ? `${manifest.golden.requests.length} golden requests reproduced` : 'probe request passed'}) in ${loadMs} ms ` +
        `(assets + verify ${loadBreakdownMs.assets}, contract ${loadBreakdownMs.contract}, session ${loadBreakdownMs.session}` +
        `: create ${created - built}, ${manifest.golden ? 'golden requests' : 'probe'} ${warmed - created}` +
        `${warmupRuns ? `, ${warmupRuns} warm-up runs ${done - warmed}` : ''})`,
    );
    return { manifest, contract, session, ...(rows ? { rows } : {}), loadMs, loadBreakdownMs };
  };

  return {
    get(name, assets, loadOptions = {}) {
      let entry = entries.get(name);
      if (!entry || (entry.status === 'failed' && Date.now() - (entry.failedAt ?? 0) >= retryAfterMs)) {
        const promise = load(name, assets, loadOptions);
        const created: Entry = { promise, status: 'loading' };
        entry = created;
        entries.set(name, created);
        promise.then(
          () => {
            created.status = 'ready';
          },
          (err: unknown) => {
            created.status = 'failed';
            created.failedAt = Date.now();
            created.reason = err instanceof Error ? err.message : String(err);
            console.error(`[model-registry] refusing model "${name}": ${err instanceof Error ? err.message : String(err)}`);
          },
        );
      }
      return entry.promise.catch((err: unknown) => {
        throw new ApiError('model_unavailable', `model "${name}" is unavailable; see the worker log`, {
          headers: { 'Retry-After': String(Math.ceil(retryAfterMs / 1000)) },
          cause: err,
        });
      });
    },
    status(name) {
      return entries.get(name)?.status ?? 'not_loaded';
    },
    failure(name) {
      const entry = entries.get(name);
      if (entry?.status !== 'failed') return undefined;
      const since = entry.failedAt ?? Date.now();
      return { reason: entry.reason ?? 'unknown', since, retryInMs: Math.max(0, since + retryAfterMs - Date.now()) };
    },
    markFailed(name, reason) {
      markFailed(name, reason);
    },
    async recheck(name, reason) {
      const entry = entries.get(name);
      if (!entry || entry.status !== 'ready') return entry?.status === 'failed' ? 'failed' : 'healthy';
      if (!entry.check || (entry.checkedAt !== undefined && Date.now() - entry.checkedAt >= recheckAfterMs)) {
        entry.checkedAt = undefined;
        entry.check = entry.promise.then(async (model) => {
          const problem = await selfCheck(model.manifest, model.contract, model.session, model.rows).catch((err: unknown) => `self-check threw: ${err instanceof Error ? err.message : String(err)}`);
          if (!problem) entry.checkedAt = Date.now();
          return problem;
        });
      }
      const problem = await entry.check;
      if (problem === undefined) {
        console.warn(`[model-registry] model "${name}" gave a non-probability for one request (${reason}); its self-check passes, so it stays in service`);
        return 'healthy';
      }
      if (entries.get(name) === entry) markFailed(name, `${reason}; self-check after it: ${problem}`);
      return 'failed';
    },
  };

  function markFailed(name: string, reason: string): void {
    const error = new ModelLoadError(reason);
    const promise = Promise.reject(error);
    promise.catch(() => undefined); // read by the next get(); never an unhandled rejection
    entries.set(name, { promise, status: 'failed', failedAt: Date.now(), reason });
    console.error(`[model-registry] model "${name}" marked failed: ${reason}`);
  }
}

/** Golden requests when the manifest has them, else the probe: the evidence a model is sound. */
function selfCheck(manifest: ModelManifest, contract: FeatureContract, session: ScoringSession, rows?: ItemRowStore): Promise<string | undefined> {
  if (manifest.golden) return replayGolden(manifest.golden, contract, session, undefined, rows);
  if (rows) return Promise.resolve('a model with item rows outside the graph needs golden requests in its manifest (re-export it)');
  return probe(contract, session);
}

/**
 * One request through a freshly loaded model before it serves: a few vocabulary items as history
 * and candidates, feature values missing (their defaults). Every output must be a probability — a
 * NaN weight or a broken graph is refused at load, like a bad sha256, and the route falls back.
 */
async function probe(contract: FeatureContract, session: ScoringSession): Promise<string | undefined> {
  const items = contract.spec.items.slice(0, 8);
  const history = contract.encodeHistory(items.slice(0, 5));
  const candidates = contract.encodeCandidates(items.length ? items.slice(0, 4) : ['probe']);
  const request = contract.encodeRequestFeatures({ time: 0, timeZone: 'UTC', route: 'probe' });
  const features = [...history.features, ...candidates.features, ...request.features];
  const result = await session.score(
    { historyItems: history.items, historyCategories: history.categories, candidateItems: candidates.items, candidateCategories: candidates.categories, ...(features.length ? { features } : {}) },
    { tasks: true },
  );
  const outputs: Array<[string, Float32Array]> = [['score', result.scores], ...(Object.entries(result.tasks ?? {}) as Array<[string, Float32Array]>)];
  for (const [name, values] of outputs) {
    const bad = Array.from(values).find((v) => !(v >= 0 && v <= 1));
    if (bad !== undefined) return `probe request: output "${name}" gave ${bad}, not a probability`;
  }
  return undefined;
}
