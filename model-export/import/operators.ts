/**
 * Operator checks against the runtime that serves: onnxruntime-web's wasm build (the worker in
 * workerd, the browser library's WASM path).
 *
 * What that build runs: the CPU execution provider's kernel registry, contrib (`com.microsoft`)
 * and ML (`ai.onnx.ml`) kernels included: docs/OperatorKernels.md of onnxruntime, "Operators
 * implemented by CPUExecutionProvider". Checked empirically on onnxruntime-web 1.30.0 (ML ops such
 * as Normalizer, string ops such as StringNormalizer and RegexFullMatch, contrib ops such as Gelu
 * all create sessions; a custom domain, ai.onnx ImageDecoder and com.microsoft Rfft do not). So
 * the authority is a real wasm session: `wasmSession` creates one and turns its failure into a
 * refusal naming the operator. Before that, static checks catch what a session would accept but
 * the serving path must not: operators from other domains (custom ops need a custom build), and
 * random operators (a golden request replayed at load would never match).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ModelProto } from 'onnx-buf';
import type * as OrtWeb from 'onnxruntime-web';
import { allGraphs, allNodes, defaultOpset } from './onnxGraph.js';
import { FileRefusal, ImportRefusal, OperatorRefusal, RunRefusal } from './refusal.js';
import { MAX_IR_VERSION, MAX_OPSET, MIN_OPSET } from './limits.js';

/** Domains whose kernels onnxruntime-web's wasm build carries. */
export const WASM_DOMAINS: readonly string[] = ['', 'ai.onnx', 'ai.onnx.ml', 'com.microsoft'];

/** Kernels the wasm build has but a served model may not use: they make scores nondeterministic. */
export const NONDETERMINISTIC_OPS: readonly string[] = ['RandomNormal', 'RandomNormalLike', 'RandomUniform', 'RandomUniformLike', 'Multinomial', 'Bernoulli'];

/** Kernels known to be absent from onnxruntime-web's wasm build (and onnxruntime-node's CPU build) though ONNX defines them. */
export const ABSENT_OPS: Readonly<Record<string, string>> = {
  ImageDecoder: 'ai.onnx',
  Rfft: 'com.microsoft',
  Irfft: 'com.microsoft',
};

const domainOf = (d: string) => (d === '' ? 'ai.onnx' : d);

/** Static checks: opset range, domains, nondeterministic and known-absent operators. */
export function checkOperatorsStatically(model: ModelProto, file: string): void {
  const opset = defaultOpset(model);
  if (opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new FileRefusal(file, `imports opset ${opset} of the default domain; onnxruntime-web 1.30 serves ${MIN_OPSET} to ${MAX_OPSET}`, `export with opset_version between ${MIN_OPSET} and ${MAX_OPSET} (17 is what this repo exports)`);
  }
  if (model.irVersion > BigInt(MAX_IR_VERSION)) {
    throw new FileRefusal(file, `has IR version ${model.irVersion}; onnxruntime-web 1.30 loads IR versions up to ${MAX_IR_VERSION}`, `export with an onnx package that writes IR ${MAX_IR_VERSION} or older (torch.onnx.export with opset_version 17 writes IR 8), or onnx.version_converter / set model.ir_version`);
  }
  // Model-local functions (FunctionProto): a node calling one is in the function's own domain, and
  // its body hides operators from the checks below; name the function and how to inline it.
  for (const f of model.functions) {
    const caller = allNodes(model.graph!).find((n) => n.domain === f.domain && n.opType === f.name);
    throw new OperatorRefusal(`${f.domain}:${f.name}`, `is a model-local function${caller ? ` (called by node "${caller.name}")` : ''}; the importer checks and serves plain graphs only`, 'inline the functions before importing: onnx.inliner.inline_local_functions(model) (or torch.onnx.export(..., export_modules_as_functions=False))');
  }
  for (const o of model.opsetImport) {
    if (!WASM_DOMAINS.includes(o.domain)) {
      const user = allNodes(model.graph!).find((n) => n.domain === o.domain);
      if (user) throw new OperatorRefusal(`${o.domain}:${user.opType}`, `is in domain "${o.domain}", which onnxruntime-web's wasm build does not carry (custom operators need a custom build)`, 'express it with standard ONNX operators in the export (or fold it away, e.g. onnxsim)');
    }
  }
  for (const n of allNodes(model.graph!)) {
    if (!WASM_DOMAINS.includes(n.domain)) {
      throw new OperatorRefusal(`${n.domain}:${n.opType}`, `(node "${n.name}") is in domain "${n.domain}", which onnxruntime-web's wasm build does not carry (custom operators need a custom build)`, 'express it with standard ONNX operators in the export');
    }
    if (NONDETERMINISTIC_OPS.includes(n.opType)) {
      throw new OperatorRefusal(n.opType, `(node "${n.name}") draws random numbers: scores would differ from run to run and the worker's golden replay would refuse the model`, 'export in eval mode (model.eval()) so no random operator is traced, or remove it');
    }
    const absent = ABSENT_OPS[n.opType];
    if (absent && absent === domainOf(n.domain)) {
      throw new OperatorRefusal(n.opType, `(node "${n.name}") has no kernel in onnxruntime-web's wasm build`, 'replace it with operators the CPU execution provider implements (onnxruntime docs/OperatorKernels.md)');
    }
  }
  for (const t of allGraphs(model.graph!).flatMap((x) => x.initializer)) {
    if (t.dataLocation === 1) throw new ImportRefusal('tensor', t.name, 'keeps its data in an external file; the worker serves one .onnx file', 'save the model with every tensor inside it (onnx.save(model, path, save_as_external_data=False))');
  }
}

const ortWeb = async (): Promise<typeof OrtWeb> => {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  // Name the wasm files' folder: under a bundler or a test runner's module transform (vitest's
  // globalSetup) ORT's own import.meta.url-relative lookup points at the project root instead.
  ort.env.wasm.wasmPaths ??= pathToFileURL(`${dirname(createRequire(import.meta.url).resolve('onnxruntime-web'))}/`).href;
  return ort;
};

/**
 * A session in onnxruntime-web's wasm build, the runtime that serves: the final word on operators
 * (every node needs a kernel for its opset and types). Its failure becomes a refusal naming the operator.
 */
export async function wasmSession(onnx: Uint8Array): Promise<{ ort: typeof OrtWeb; session: OrtWeb.InferenceSession }> {
  const ort = await ortWeb();
  try {
    return { ort, session: await ort.InferenceSession.create(onnx, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }) };
  } catch (e) {
    throw refusalOfSessionError(String((e as Error).message ?? e));
  }
}

/** A session-creation error of onnxruntime as a refusal that names the operator when the message does. */
export function refusalOfSessionError(message: string): Error {
  const text = message.replace(/\s+/g, ' ').slice(0, 600);
  const noKernel = /Could not find an implementation for (\w+)\((\d+)\) node with name '([^']*)'/.exec(text);
  if (noKernel) return new OperatorRefusal(noKernel[1], `(opset ${noKernel[2]}, node "${noKernel[3]}") has no kernel in onnxruntime-web's wasm build for the types the graph gives it`, 'use another operator, or the input types its kernel takes (onnxruntime docs/OperatorKernels.md, CPUExecutionProvider)');
  const unregistered = /([\w.]*):(\w+)\(-?\d+\) is not a registered function\/op/.exec(text) ?? /No Op registered for (\w+) with domain_version of (\d+)/.exec(text);
  if (unregistered) {
    const op = unregistered[0].startsWith('No Op') ? unregistered[1] : `${unregistered[1]}:${unregistered[2]}`;
    return new OperatorRefusal(op, 'is not an operator onnxruntime-web knows (unregistered, or not in the imported opset)', 'use standard ONNX operators of the imported opset');
  }
  const undefinedInput = /Node input '([^']+)' is not a graph input, initializer, or output of a previous node/.exec(text);
  if (undefinedInput) return new ImportRefusal('tensor', undefinedInput[1], 'is read by a node, but no graph input, initializer or earlier node defines it (an incomplete or hand-edited file)', 're-export the model; if you edited the graph, keep every tensor a node reads');
  const twice = /Duplicate definition of name \(([^)]+)\)/.exec(text);
  if (twice) return new ImportRefusal('tensor', twice[1], 'is defined twice (two nodes, or a node and an input or initializer, produce it)', 're-export the model; if you edited the graph, give every node output a name of its own');
  const badData = /Initializer '([^']+)': raw_data size \((\d+) bytes\) does not match expected size from shape and data type \((\d+) bytes\)/.exec(text);
  if (badData) return new ImportRefusal('tensor', badData[1], `holds ${badData[2]} bytes where its shape and type need ${badData[3]} (a truncated or corrupted file)`, 're-export the model, or copy the file again');
  if (/the graph is not acyclic/.test(text)) return new RunRefusal('graph', 'has a cycle (a node reads, through other nodes, its own output)', 're-export the model; ONNX graphs are acyclic (loops are Loop or Scan nodes)');
  const node = /Node \(([^)]*)\) Op \((\w+)\)/.exec(text);
  if (node) return new OperatorRefusal(node[2], `(node "${node[1]}") is rejected by onnxruntime-web: ${text}`, 'correct the node in the export (shape inference names the problem above)');
  return new RunRefusal('session', `onnxruntime-web cannot load the graph: ${text}`, 'load the file with onnxruntime (Python or Node) and correct what it reports');
}
