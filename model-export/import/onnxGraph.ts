/**
 * Reading and editing an ONNX ModelProto for the importer: value infos as (dtype, dims), renaming a
 * tensor everywhere it appears (subgraphs included), adding nodes and initializers.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type ValueInfoProto,
} from 'onnx-buf';
import { FileRefusal } from './refusal.js';

/** A dimension: a fixed size, a symbolic name, or null (dynamic, unnamed). */
export type Dim = number | string | null;

export interface TensorType {
  /** 'float32', 'int32', 'int64', … or `type <n>` for the rest. */
  dtype: string;
  /** undefined when the graph declares no shape (unknown rank). */
  dims: Dim[] | undefined;
}

const DTYPES: Partial<Record<number, string>> = {
  [TensorProto_DataType.FLOAT]: 'float32',
  [TensorProto_DataType.DOUBLE]: 'float64',
  [TensorProto_DataType.FLOAT16]: 'float16',
  [TensorProto_DataType.INT32]: 'int32',
  [TensorProto_DataType.INT64]: 'int64',
  [TensorProto_DataType.INT8]: 'int8',
  [TensorProto_DataType.UINT8]: 'uint8',
  [TensorProto_DataType.BOOL]: 'bool',
  [TensorProto_DataType.STRING]: 'string',
};

/** What a file that is not ONNX looks like, from its first bytes: the common mistakes, named. */
function notOnnx(bytes: Uint8Array): string | undefined {
  const head = (n: number) => Array.from(bytes.subarray(0, n));
  const eq = (sig: number[]) => sig.every((b, i) => bytes[i] === b);
  const first = bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  if (first === 0x7b || first === 0x5b) return 'is JSON, not an ONNX model (--onnx and --vocab swapped?)';
  if (eq([0x50, 0x4b, 0x03, 0x04])) return 'is a zip archive (a PyTorch .pt/.pth checkpoint or a zipped export?), not an ONNX model';
  if (eq([0x1f, 0x8b])) return 'is gzip-compressed, not an ONNX model (gunzip it first)';
  if (eq([0x80]) && bytes.length > 1 && bytes[1] >= 2 && bytes[1] <= 5) return 'is a Python pickle (torch.save of a state dict?), not an ONNX model';
  if (eq([0x89, 0x48, 0x44, 0x46])) return 'is HDF5 (a Keras .h5 model), not an ONNX model';
  if (eq([0x54, 0x46, 0x4c, 0x33]) || (bytes.length > 8 && String.fromCharCode(...head(8).slice(4)) === 'TFL3')) return 'is a TensorFlow Lite model, not an ONNX model';
  return undefined;
}

export function parseModel(bytes: Uint8Array, file: string): ModelProto {
  const sniffed = notOnnx(bytes);
  if (sniffed) throw new FileRefusal(file, sniffed, 'pass the .onnx file torch.onnx.export (or tf2onnx) wrote');
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (e) {
    throw new FileRefusal(file, `is not an ONNX model (${(e as Error).message})`, 'pass the .onnx file torch.onnx.export (or tf2onnx) wrote');
  }
  if (!model.graph || model.graph.node.length === 0) throw new FileRefusal(file, 'has no graph (or an empty one)', 'pass the .onnx file torch.onnx.export (or tf2onnx) wrote');
  return model;
}

export const serialise = (model: ModelProto): Uint8Array => toBinary(ModelProtoSchema, model);

export function tensorType(v: ValueInfoProto): TensorType {
  const t = v.type?.value;
  if (t?.case !== 'tensorType') return { dtype: `non-tensor (${t?.case ?? 'no type'})`, dims: undefined };
  const dtype = DTYPES[t.value.elemType] ?? `type ${t.value.elemType}`;
  const dims = t.value.shape?.dim.map((d): Dim => (d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' && d.value.value !== '' ? d.value.value : null));
  return { dtype, dims };
}

export const showDims = (dims: Dim[] | undefined): string => (dims ? `[${dims.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : 'unknown rank');

/** The default domain's opset (`''` or `ai.onnx`). */
export function defaultOpset(model: ModelProto): number {
  const o = model.opsetImport.find((x) => x.domain === '' || x.domain === 'ai.onnx');
  return o ? Number(o.version) : 0;
}

/** Graph inputs that are real inputs (IR < 4 models also list initializers as inputs). */
export function realInputs(g: GraphProto): ValueInfoProto[] {
  const inits = new Set(g.initializer.map((t) => t.name));
  return g.input.filter((i) => !inits.has(i.name));
}

export function valueInfo(name: string, elemType: TensorProto_DataType, dims: Array<number | string>): ValueInfoProto {
  const dim = dims.map((d) => create(TensorShapeProto_DimensionSchema, { value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d } }));
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType, shape: create(TensorShapeProtoSchema, { dim }) }) } }),
  });
}

/** Every graph of the model: the main graph and, depth first, the subgraphs of its nodes' attributes. */
export function allGraphs(g: GraphProto): GraphProto[] {
  const out = [g];
  for (const n of g.node) for (const a of n.attribute) for (const sub of [...(a.g ? [a.g] : []), ...a.graphs]) out.push(...allGraphs(sub));
  return out;
}

export function allNodes(g: GraphProto): NodeProto[] {
  return allGraphs(g).flatMap((x) => x.node);
}

/** Renames tensor `from` to `to` everywhere: node inputs and outputs, graph inputs, outputs, value infos, initializers, in subgraphs too. */
export function renameTensor(g: GraphProto, from: string, to: string): void {
  for (const graph of allGraphs(g)) {
    for (const n of graph.node) {
      n.input = n.input.map((x) => (x === from ? to : x));
      n.output = n.output.map((x) => (x === from ? to : x));
    }
    for (const list of [graph.input, graph.output, graph.valueInfo]) for (const v of list) if (v.name === from) v.name = to;
    for (const t of graph.initializer) if (t.name === from) t.name = to;
  }
}

/** Renames the reads of tensor `from` (node inputs in the graph and its subgraphs) to `to`; producers and graph outputs keep `from`. */
export function renameReads(g: GraphProto, from: string, to: string): void {
  for (const graph of allGraphs(g)) for (const n of graph.node) n.input = n.input.map((x) => (x === from ? to : x));
}

let counter = 0;
/** A node; `name` is unique within the importer's additions. */
export function node(opType: string, input: string[], output: string[], attrs: Record<string, number | number[]> = {}): NodeProto {
  return create(NodeProtoSchema, {
    opType,
    input,
    output,
    name: `import_${opType}_${counter++}`,
    attribute: Object.entries(attrs).map(([name, v]) =>
      Array.isArray(v) ? create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INTS, ints: v.map(BigInt) }) : create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(v) }),
    ),
  });
}

/** Adds an int64 vector initializer (axes, shapes). */
export function int64Initializer(g: GraphProto, name: string, values: number[]): string {
  if (!g.initializer.some((t) => t.name === name)) {
    g.initializer.push(create(TensorProtoSchema, { name, dataType: TensorProto_DataType.INT64, dims: [BigInt(values.length)], rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) }));
  }
  return name;
}

/** Unsqueeze/Squeeze along `axes`, as an attribute before opset 13 and as an input from 13 on. */
export function axesNode(model: ModelProto, opType: 'Unsqueeze' | 'Squeeze', input: string, output: string, axes: number[]): NodeProto {
  if (defaultOpset(model) >= 13) return node(opType, [input, int64Initializer(model.graph!, `import.axes.${axes.join('_')}`, axes)], [output]);
  return node(opType, [input], [output], { axes });
}

/** The initializers by name, with their dims. */
export function initializerDims(g: GraphProto): Map<string, number[]> {
  return new Map(g.initializer.map((t) => [t.name, t.dims.map(Number)]));
}

/** Bytes an initializer holds (raw data, or its typed fields). */
export function initializerBytes(t: GraphProto['initializer'][number]): number {
  if (t.rawData.length) return t.rawData.length;
  return t.floatData.length * 4 + t.int32Data.length * 4 + t.int64Data.length * 8 + t.doubleData.length * 8 + t.uint64Data.length * 8 + t.stringData.reduce((n, s) => n + s.length, 0);
}

export { TensorProto_DataType };
