/**
 * A `ScoringSession` over an onnxruntime-web `InferenceSession`: feeds → tensors, one run at a
 * time, outputs checked. Shared by the worker (runtime/ort.ts, the WASM build inside workerd) and
 * the browser library (browser/, the WebGPU or WASM build), which pass in their own ORT module's
 * `Tensor`; nothing here imports onnxruntime itself.
 */
import type * as Ort from 'onnxruntime-web';
import { REQUIRED_OUTPUTS, SERVING_INPUTS, SERVING_OUTPUTS, TASK_OUTPUTS, type TaskOutput } from '../../contract/manifest.js';
import type { ScoringResult, ScoringSession, ServingFeeds } from './scoringSession.js';

type OrtTensorConstructor = typeof Ort.Tensor;

export class OrtScoringSession implements ScoringSession {
  /** Tail of the run queue: each run starts after the previous one settled. */
  private queue: Promise<unknown> = Promise.resolve();

  readonly hasAttention: boolean;
  readonly tasks: readonly TaskOutput[];

  constructor(
    private readonly Tensor: OrtTensorConstructor,
    private readonly session: Ort.InferenceSession,
    readonly executionProviders: readonly string[],
    private readonly memory: () => number | undefined = () => undefined,
  ) {
    this.hasAttention = session.outputNames.includes(SERVING_OUTPUTS.attention);
    this.tasks = TASK_OUTPUTS.filter((t) => session.outputNames.includes(t));
  }

  memoryBytes(): number | undefined {
    return this.memory();
  }

  /** Frees the session inside ORT (the registry keeps its sessions for the isolate's life; start graphs do not). */
  release(): Promise<void> {
    return this.session.release();
  }

  score(feeds: ServingFeeds, options: { attention?: boolean; tasks?: boolean } = {}): Promise<ScoringResult> {
    const attention = options.attention === true && this.hasAttention;
    const tasks = options.tasks === true ? this.tasks : [];
    const run = this.queue.then(() => this.run(feeds, attention, tasks));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(feeds: ServingFeeds, withAttention: boolean, tasks: readonly TaskOutput[]): Promise<ScoringResult> {
    const T = feeds.historyItems.length;
    const C = feeds.candidateItems.length;
    if (T < 1 || feeds.historyCategories.length !== T) {
      throw new Error(`history feeds must be non-empty and equally long, got items ${T}, categories ${feeds.historyCategories.length}`);
    }
    if (C < 1 || feeds.candidateCategories.length !== C) {
      throw new Error(`candidate feeds must be non-empty and equally long, got items ${C}, categories ${feeds.candidateCategories.length}`);
    }
    // Fetching only `score` leaves the attention tensor inside ORT: explanations cost nothing unless asked for.
    const fetches = [SERVING_OUTPUTS.scores, ...(withAttention ? [SERVING_OUTPUTS.attention] : []), ...tasks];
    const results = await this.session.run(
      {
        [SERVING_INPUTS.historyItems]: new this.Tensor('int32', feeds.historyItems, [T]), // [T]
        [SERVING_INPUTS.historyCategories]: new this.Tensor('int32', feeds.historyCategories, [T]), // [T]
        [SERVING_INPUTS.candidateItems]: new this.Tensor('int32', feeds.candidateItems, [C]), // [C]
        [SERVING_INPUTS.candidateCategories]: new this.Tensor('int32', feeds.candidateCategories, [C]), // [C]
        ...featureTensors(this.Tensor, feeds),
      },
      fetches,
    );
    const output = results[SERVING_OUTPUTS.scores];
    if (output === undefined || output.type !== 'float32' || output.data.length !== C) {
      throw new Error(
        `output "${SERVING_OUTPUTS.scores}" must be float32 [${C}], got ${output ? `${output.type} [${output.dims.join(', ')}]` : 'nothing'}`,
      );
    }
    const taskResults: Partial<Record<TaskOutput, Float32Array>> = {};
    for (const t of tasks) {
      const r = results[t];
      if (r === undefined || r.type !== 'float32' || r.data.length !== C) throw new Error(`output "${t}" must be float32 [${C}]`);
      taskResults[t] = r.data as Float32Array;
    }
    const withTasks = tasks.length > 0 ? { tasks: taskResults } : {};
    if (!withAttention) return { scores: output.data as Float32Array, ...withTasks }; // [C]
    const attention = results[SERVING_OUTPUTS.attention];
    if (attention === undefined || attention.type !== 'float32' || attention.data.length !== C * T) {
      throw new Error(
        `output "${SERVING_OUTPUTS.attention}" must be float32 [${C}, ${T}], got ${attention ? `${attention.type} [${attention.dims.join(', ')}]` : 'nothing'}`,
      );
    }
    return { scores: output.data as Float32Array, attention: attention.data as Float32Array, ...withTasks }; // [C], [C, T]
  }
}

/** Feature-column feeds as ORT tensors (shapes come from the contract's encoder). */
function featureTensors(Tensor: OrtTensorConstructor, feeds: ServingFeeds): Record<string, Ort.Tensor> {
  const out: Record<string, Ort.Tensor> = {};
  for (const f of feeds.features ?? []) out[f.input] = f.dtype === 'float32' ? new Tensor('float32', f.data as Float32Array, f.dims) : new Tensor('int32', f.data as Int32Array, f.dims);
  return out;
}

/** Reports every missing or unexpected graph input/output in one error. */
export function checkSignature(session: Ort.InferenceSession, expectedInputs: readonly string[]): void {
  const problems = [
    ...expectedInputs.filter((n) => !session.inputNames.includes(n)).map((n) => `missing input "${n}"`),
    ...session.inputNames.filter((n) => !expectedInputs.includes(n)).map((n) => `unexpected input "${n}"`),
    ...REQUIRED_OUTPUTS.filter((n) => !session.outputNames.includes(n)).map((n) => `missing output "${n}"`),
  ];
  if (problems.length > 0) throw new Error(`model does not follow the serving signature: ${problems.join('; ')}`);
}

