/**
 * A small ONNX graph builder over the `onnx-buf` protobuf classes (@bufbuild/protobuf).
 *
 * Targets IR version 8 / opset 17 (what Debian's python3-onnx 1.12 checker accepts and every
 * onnxruntime we serve with runs). Weights become initializers; initializers no node reads are
 * dropped when the model is serialised. Tensor names are generated from a prefix and a counter so
 * exporters only name inputs, outputs and weights.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  type GraphProto,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from 'onnx-buf';
import { int8PerAxis } from './int8Weights.js';

export const IR_VERSION = 8;
export const OPSET = 17;

export type ElemType = 'float32' | 'int32' | 'int64' | 'int8' | 'uint8';
/** A dimension: fixed size or a symbolic name such as 'T' or 'C'. */
export type Dim = number | string;
export type AttrValue = number | number[] | { float: number } | { floats: number[] } | { ints: number[] } | { graph: GraphBuilder };

const DATA_TYPE: Record<ElemType, TensorProto_DataType> = {
  float32: TensorProto_DataType.FLOAT,
  int32: TensorProto_DataType.INT32,
  int64: TensorProto_DataType.INT64,
  int8: TensorProto_DataType.INT8,
  uint8: TensorProto_DataType.UINT8,
};

/** How float weights are stored: as float32, or as int8 with a scale per output column (onnx/int8Weights.ts). */
export type WeightStorage = 'float32' | 'int8';

/** Weights smaller than this stay float32 under int8 storage: biases, activation parameters, scalars. */
export const INT8_STORAGE_MIN_VALUES = 1024;
/** …and so do weights with fewer values per scale than this (a long vector would grow, not shrink). */
export const INT8_STORAGE_MIN_PER_SCALE = 16;

/** Where a model's item embedding rows live: in the graph (an initializer) or outside it (graph inputs). */
export type ItemRowPlacement = 'graph' | 'inputs';

export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers = new Map<string, TensorProto>();
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly declaredInputs: Array<{ name: string; dtype: ElemType; shape: Dim[] }> = [];
  private counter: { next: number };

  /** `parent`: the enclosing graph of a subgraph (Scan/Loop body); names are unique across both. */
  /** `weights: 'int8'` stores every float weight of ≥ INT8_STORAGE_MIN_VALUES values as int8 (see `weight`). */
  readonly weightStorage: WeightStorage;
  /** `'inputs'`: the item table stays out of the graph; its rows are graph inputs (contract/itemRows.ts). */
  readonly itemRows: ItemRowPlacement;

  constructor(
    readonly name: string,
    private readonly parent?: GraphBuilder,
    options: { weights?: WeightStorage; itemRows?: ItemRowPlacement } = {},
  ) {
    this.counter = parent ? parent.counter : { next: 0 };
    this.weightStorage = parent ? parent.weightStorage : (options.weights ?? 'float32');
    this.itemRows = parent ? parent.itemRows : (options.itemRows ?? 'graph');
  }

  /** A subgraph (e.g. a Scan body). It may read the enclosing graph's tensors and initializers by name. */
  subgraph(name: string): GraphBuilder {
    return new GraphBuilder(name, this);
  }

  input(name: string, type: ElemType, shape: Dim[]): string {
    this.inputs.push(valueInfo(name, type, shape));
    this.declaredInputs.push({ name, dtype: type, shape: [...shape] });
    return name;
  }

  /** The graph inputs in declaration order (the manifest's `inputs`). */
  inputList(): ReadonlyArray<{ name: string; dtype: ElemType; shape: Dim[] }> {
    return this.declaredInputs;
  }

  /** Mark `tensor` as a graph output named `name` (adds an Identity when the names differ). */
  output(tensor: string, name: string, type: ElemType, shape: Dim[]): void {
    if (tensor !== name) this.nodes.push(makeNode('Identity', [tensor], [name], {}, `${name}_identity`));
    this.outputs.push(valueInfo(name, type, shape));
  }

  outputNames(): string[] {
    return this.outputs.map((o) => o.name);
  }

  /**
   * A float32 weight. Under int8 storage a large one becomes int8 values + one float scale per
   * index of `int8Axis` (default: the last, i.e. per output column of a [K, N] MatMul weight), and
   * the tensor named `name` is Cast(values) · scale: readers are
   * unchanged, onnxruntime folds the two constant nodes into a float32 initializer when the
   * session is created, and compute stays float32. (Not DequantizeLinear: onnxruntime-node's QDQ
   * fusions turn DequantizeLinear → MatMul into an int8 product with dynamically quantised
   * activations, which onnxruntime-web does not, and the two runtimes would disagree by ~6e-4.)
   */
  weight(name: string, data: Float32Array, dims: number[], options: { int8Axis?: number } = {}): string {
    const axis = options.int8Axis ?? dims.length - 1;
    if (this.weightStorage === 'int8' && data.length >= INT8_STORAGE_MIN_VALUES && data.length / dims[axis] >= INT8_STORAGE_MIN_PER_SCALE) {
      const q = int8PerAxis(data, dims, axis);
      const values = this.int8(`${name}.q`, q.values, dims);
      // [N] broadcasts along the last axis; any other axis needs its scales shaped [1, …, N, …, 1].
      const scaleDims = axis === dims.length - 1 ? [dims[axis]] : dims.map((d, i) => (i === axis ? d : 1));
      const scale = this.float32(`${name}.scale`, q.scales, scaleDims);
      this.nodes.push(makeNode('Mul', [this.op('Cast', [values], { to: ONNX_FLOAT }, `${name}_cast`), scale], [name], {}, `${name}_dequantize`));
      return name;
    }
    return this.float32(name, data, dims);
  }

  /** A float32 initializer, whatever the weight storage. */
  float32(name: string, data: Float32Array, dims: number[]): string {
    return this.addInitializer(name, 'float32', new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)), dims, data.length);
  }

  /** An int64 constant (shapes and axes); asking again for the same name and values returns the existing one. */
  int64(name: string, values: number[]): string {
    const data = BigInt64Array.from(values.map(BigInt));
    const existing = this.initializers.get(name);
    if (existing && existing.dataType === TensorProto_DataType.INT64 && Buffer.from(existing.rawData).equals(Buffer.from(data.buffer))) return name;
    return this.addInitializer(name, 'int64', new Uint8Array(data.buffer), [values.length], values.length);
  }

  /** An int8 constant (quantised weights, zero points). */
  int8(name: string, values: Int8Array, dims: number[] = [values.length]): string {
    return this.addInitializer(name, 'int8', new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice(), dims, values.length);
  }

  /** An int32 constant. */
  int32(name: string, values: number[], dims: number[] = [values.length]): string {
    const data = Int32Array.from(values);
    return this.addInitializer(name, 'int32', new Uint8Array(data.buffer), dims, values.length);
  }

  /** A float32 scalar or vector constant. */
  float(name: string, values: number[], dims: number[] = [values.length]): string {
    return this.float32(name, Float32Array.from(values), dims);
  }

  /** Add one node; returns the name of its (first) output. */
  /** A node with several outputs (e.g. DynamicQuantizeLinear → y, scale, zero point). */
  opOutputs(opType: string, inputs: string[], outputs: number, attrs: Record<string, AttrValue> = {}, hint = opType.toLowerCase()): string[] {
    const base = `${hint}_${this.counter.next++}`;
    const names = Array.from({ length: outputs }, (_, i) => (i === 0 ? base : `${base}_${i}`));
    this.nodes.push(makeNode(opType, inputs, names, attrs, `${opType}_${this.counter.next}`));
    return names;
  }

  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, hint = opType.toLowerCase()): string {
    for (const v of Object.values(attrs)) if (typeof v === 'object' && 'graph' in v) this.subgraphs.push(v.graph);
    const out = `${hint}_${this.counter.next++}`;
    this.nodes.push(makeNode(opType, inputs, [out], attrs, `${opType}_${this.counter.next}`));
    return out;
  }

  /** Every tensor name read by this graph's nodes and by its subgraphs' nodes. */
  private reads(): Set<string> {
    const used = new Set(this.nodes.flatMap((n) => n.input));
    for (const sub of this.subgraphs) for (const name of sub.reads()) used.add(name);
    return used;
  }

  private readonly subgraphs: GraphBuilder[] = [];

  /** The GraphProto, dropping initializers no node (here or in a subgraph) reads. */
  toGraph(): GraphProto {
    const used = this.reads();
    return create(GraphProtoSchema, {
      name: this.name,
      node: this.nodes,
      initializer: [...this.initializers.values()].filter((t) => used.has(t.name)),
      input: this.inputs,
      output: this.outputs,
    });
  }

  /** Serialise to ONNX bytes. */
  toBytes(docString = ''): Uint8Array {
    if (this.parent) throw new Error('serialise the top-level graph, not a subgraph');
    const graph = this.toGraph();
    const model = create(ModelProtoSchema, {
      irVersion: BigInt(IR_VERSION),
      opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(OPSET) })],
      producerName: 'interest-edge',
      producerVersion: '0.1.0',
      docString,
      graph,
    });
    return toBinary(ModelProtoSchema, model);
  }

  /** Node count including subgraphs (for reports). */
  get size(): number {
    return this.nodes.length + this.subgraphs.reduce((n, g) => n + g.size, 0);
  }

  private addInitializer(name: string, type: ElemType, raw: Uint8Array, dims: number[], count: number): string {
    if (this.initializers.has(name)) throw new Error(`duplicate initializer ${name}`);
    const expected = dims.reduce((a, b) => a * b, 1);
    if (expected !== count) throw new Error(`initializer ${name}: dims [${dims.join(', ')}] hold ${expected} values, got ${count}`);
    this.initializers.set(
      name,
      create(TensorProtoSchema, { name, dataType: DATA_TYPE[type], dims: dims.map(BigInt), rawData: raw as Uint8Array<ArrayBuffer> }),
    );
    return name;
  }
}

function valueInfo(name: string, type: ElemType, shape: Dim[]): ValueInfoProto {
  const dim = shape.map((d) =>
    create(TensorShapeProto_DimensionSchema, { value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d } }),
  );
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType: DATA_TYPE[type], shape: create(TensorShapeProtoSchema, { dim }) }) },
    }),
  });
}

function makeNode(opType: string, input: string[], output: string[], attrs: Record<string, AttrValue>, name: string): NodeProto {
  return create(NodeProtoSchema, { opType, input, output, name, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
}

function attribute(name: string, v: AttrValue): AttributeProto {
  if (typeof v === 'number') return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(v) });
  if (Array.isArray(v)) return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INTS, ints: v.map(BigInt) });
  if ('float' in v) return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: v.float });
  if ('floats' in v) return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOATS, floats: v.floats });
  if ('graph' in v) return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.GRAPH, g: v.graph.toGraph() });
  return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INTS, ints: v.ints.map(BigInt) });
}

/** ONNX Cast `to` values. */
export const ONNX_FLOAT = TensorProto_DataType.FLOAT;
