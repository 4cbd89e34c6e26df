// Builds ONNX models in memory: a graph of nodes over named values, float32 / int64 initialisers, typed
// inputs and outputs, serialised to the ModelProto bytes onnxruntime loads. Only what clipmatch's
// exporters use (opset 13, the default domain) is covered.
import { Message } from './proto.js';

export const OPSET = 13;
/** IR version 7 is the one that goes with opset 13. */
const IR_VERSION = 7;

/** TensorProto.DataType values used here. */
export const ElemType = { FLOAT: 1, UINT8: 2, INT64: 7 } as const;
export type ElemType = (typeof ElemType)[keyof typeof ElemType];

/** A dimension: a fixed size, or a name for a size given at run time (e.g. "batch"). */
export type Dim = number | string;

export type Attr = { i: number } | { f: number } | { s: string } | { ints: number[] } | { floats: number[] };

interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
}

interface Value {
  name: string;
  type: ElemType;
  dims: Dim[];
}

interface Initialiser {
  name: string;
  type: ElemType;
  dims: number[];
  raw: Uint8Array;
}

// AttributeProto.AttributeType
const ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_STRING = 3, ATTR_FLOATS = 6, ATTR_INTS = 7;

function attribute(name: string, a: Attr): Message {
  const m = new Message().string(1, name);
  if ('i' in a) m.int(3, a.i).int(20, ATTR_INT);
  else if ('f' in a) m.float(2, a.f).int(20, ATTR_FLOAT);
  else if ('s' in a) m.string(4, a.s).int(20, ATTR_STRING);
  else if ('ints' in a) m.packedInts(8, a.ints).int(20, ATTR_INTS);
  else m.packedFloats(7, a.floats).int(20, ATTR_FLOATS);
  return m;
}

function valueInfo(v: Value): Message {
  const shape = new Message();
  for (const d of v.dims) shape.message(1, typeof d === 'number' ? new Message().int(1, d) : new Message().string(2, d));
  const tensor = new Message().int(1, v.type).message(2, shape);
  return new Message().string(1, v.name).message(2, new Message().message(1, tensor));
}

const littleEndianBytes = (a: Float32Array | BigInt64Array): Uint8Array => {
  // TypedArrays are little-endian on every platform Node runs on; copy so later edits to `a` do not leak in.
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
};

export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly inputs: Value[] = [];
  private readonly outputs: Value[] = [];
  private readonly inits: Initialiser[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(private readonly name: string) {}

  /** A fresh value name with the given prefix. */
  fresh(prefix: string): string {
    let n: string;
    do n = `${prefix}_${this.counter++}`;
    while (this.names.has(n));
    this.names.add(n);
    return n;
  }

  input(name: string, type: ElemType, dims: Dim[]): string {
    this.names.add(name);
    this.inputs.push({ name, type, dims });
    return name;
  }

  output(name: string, type: ElemType, dims: Dim[]): void {
    this.outputs.push({ name, type, dims });
  }

  /** A float32 constant; `dims` must multiply out to data.length. */
  floats(prefix: string, data: Float32Array, dims: number[]): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new RangeError(`initialiser ${prefix}: ${data.length} values for shape [${dims.join(', ')}]`);
    const name = this.fresh(prefix);
    this.inits.push({ name, type: ElemType.FLOAT, dims, raw: littleEndianBytes(data) });
    return name;
  }

  int64s(prefix: string, data: number[]): string {
    const name = this.fresh(prefix);
    this.inits.push({ name, type: ElemType.INT64, dims: [data.length], raw: littleEndianBytes(BigInt64Array.from(data.map((v) => BigInt(v)))) });
    return name;
  }

  /** Adds a node and returns its (single, fresh) output name. */
  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, output?: string): string {
    const out = output ?? this.fresh(op.toLowerCase());
    this.names.add(out);
    this.nodes.push({ op, inputs, outputs: [out], attrs });
    return out;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  /** The serialised ModelProto. `metadata` goes into metadata_props (e.g. what the graph was built from). */
  toBytes(opts: { producer: string; producerVersion: string; doc?: string; metadata?: Record<string, string> }): Uint8Array {
    const g = new Message();
    for (const n of this.nodes) {
      const m = new Message();
      for (const i of n.inputs) m.string(1, i);
      for (const o of n.outputs) m.string(2, o);
      m.string(3, `${n.op}_${n.outputs[0]}`).string(4, n.op);
      for (const [k, a] of Object.entries(n.attrs)) m.message(5, attribute(k, a));
      g.message(1, m);
    }
    g.string(2, this.name);
    for (const t of this.inits) {
      const m = new Message();
      for (const d of t.dims) m.int(1, d);
      m.int(2, t.type).string(8, t.name).bytes(9, t.raw);
      g.message(5, m);
    }
    for (const v of this.inputs) g.message(11, valueInfo(v));
    for (const v of this.outputs) g.message(12, valueInfo(v));
    const model = new Message()
      .int(1, IR_VERSION)
      .string(2, opts.producer)
      .string(3, opts.producerVersion)
      .int(5, 1);
    if (opts.doc) model.string(6, opts.doc);
    model.message(7, g).message(8, new Message().string(1, '').int(2, OPSET));
    for (const [k, v] of Object.entries(opts.metadata ?? {})) model.message(14, new Message().string(1, k).string(2, v));
    return model.finish();
  }
}
