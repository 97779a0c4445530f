/** What globalSetup (Node) hands to the workerd tests through vitest's `provide`/`inject`. */

export interface ParityCase {
  name: string;
  /** A `POST /v1/score` body. */
  body: { history: unknown[]; candidates: unknown[]; topK?: number; profile?: Record<string, unknown>; context?: Record<string, unknown> };
  /** onnxruntime-node scores of the contract-encoded inputs, candidate (request) order. */
  expected: number[];
  /** Multi-task models: onnxruntime-node's task outputs (`ctr`, `cvr`, `ctcvr`), request order. */
  tasks?: Record<string, number[]>;
  /**
   * onnxruntime-node's `attention` output [C, T] (row-major) for models that export it; history feed
   * position t is the request's history[start + t], real for t < kept.
   */
  attention?: { values: number[]; T: number; kept: number; start: number };
  /** Candidate ids as the response must echo them, request order. */
  candidateIds: string[];
  unknown: { history: number; candidates: number; profile?: number; context?: number };
}

export interface ServedModel {
  name: string;
  version: string;
  sha256: string;
  maxHistory: number;
  /** A deterministic sample of the vocabulary (known ids), for generated requests. */
  vocabularySample: string[];
  /** The task outputs of multi-task models (`ctr`, `cvr`, `ctcvr`); empty for single-task ones. */
  tasks: string[];
  /** Feature columns (format-2 contracts), with a few vocabulary values of sparse/multi ones. */
  features: Array<{ name: string; group: string; kind: string; derived?: string; values?: string[] }>;
}

/** Reference scores for one model directory under the assets directory. */
export interface ModelFixture {
  parityCases: ParityCase[];
  servedModel: ServedModel;
}

/** A DIN with its item rows outside the graph, exported by globalSetup (test/workerd/rowsModel.ts). */
export interface RowsFixture {
  name: string;
  /** Asset path (under the assets root) → base64 bytes: manifest, ONNX, shards. */
  files: Record<string, string>;
  shardFiles: string[];
  items: string[];
  /** Requests with onnxruntime-node's scores through the row store, request order. */
  cases: Array<{ body: { history: unknown[]; candidates: unknown[] }; expected: number[]; unknown: { history: number; candidates: number } }>;
}

/** test/workerd/pytorchModel.ts: an imported PyTorch DIN with the torch model's scores, or why it was skipped. */
export type PytorchFixture =
  | { skipped: string }
  | {
      name: string;
      manifest: string;
      onnxFile: string;
      onnxBase64: string;
      /** The manifest's golden requests as /v1/score bodies, with the torch model's score per candidate id. */
      cases: Array<{ body: { history: string[]; candidates: string[] }; torch: Record<string, number> }>;
      /** What the run says about itself: ranks, samples, seconds. */
      run: { worldSize: number; rankSamples: number[]; seconds: number; auc: number };
    };

declare module 'vitest' {
  export interface ProvidedContext {
    /** The model of the default route's control variant (config/routes.json). */
    parityCases: ParityCase[];
    servedModel: ServedModel;
    /** Every model shipped in the assets directory, by name. */
    modelFixtures: Record<string, ModelFixture>;
    /** A DIN with a dense feature in every group (test/workerd/extremesModel.ts), exported by globalSetup. */
    extremesModel: { name: string; manifest: string; onnxFile: string; onnxBase64: string; items: string[] };
    /** A DIN with its item rows outside the graph (test/workerd/rowsModel.ts). */
    rowsModel: RowsFixture;
    /** A DIN with hashed item ids (test/workerd/hashedModel.ts) and its onnxruntime-node scores, exported by globalSetup. */
    hashedModel: { name: string; manifest: string; onnxFile: string; onnxBase64: string; cases: Array<{ body: { history: unknown[]; candidates: unknown[] }; expected: Record<string, number> }> };
    /** DIN trained by the PyTorch reference trainer under torchrun (2 ranks), imported (test/workerd/pytorchModel.ts); `skipped` without python3-torch. */
    pytorchModel: PytorchFixture;
  }
}
