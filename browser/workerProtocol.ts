/** Messages between the page and the library's Web Worker (browser/worker.ts): plain data only. */
import type { ModelManifest } from '../contract/manifest.js';
import type { RankBy } from '../core/scoring/objectives.js';
import type { BrowserScoreResponse, LoadReport, ScoreInput, ScoreOptions, ScorerOptions } from './scorer.js';

export type WorkerRequest =
  | { id: number; op: 'load'; options: Omit<ScorerOptions, 'fetch' | 'thread' | 'workerUrl' | 'signal' | 'onProgress'>; progress: boolean; route?: { name: string; variant: string; rankBy: RankBy } }
  | { id: number; op: 'score'; input: ScoreInput; options?: ScoreOptions };

export type WorkerReply =
  | { id: number; progress: { file: 'model'; loaded: number; total?: number } }
  | { id: number; ok: true; value: { report: LoadReport; manifest: ModelManifest } | BrowserScoreResponse }
  | { id: number; ok: false; error: { name: string; message: string; code?: string; issues?: unknown } };
