// A minimal protocol-buffers writer, just enough to serialise an ONNX ModelProto (onnx/onnx.proto3):
// varints, length-delimited fields, fixed32 floats and packed repeated numbers. Written by hand so the
// graph builder needs no generated code, no Python and nothing downloaded.

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

/** One protobuf message under construction; fields are appended in the order they are written. */
export class Message {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.size += bytes.length;
  }

  private tag(field: number, wire: number): void {
    this.push(encodeVarint(field * 8 + wire));
  }

  /** int32 / int64 / enum / bool. Negative values take ten bytes, as protobuf's int64 does. */
  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.push(encodeVarint(value));
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.push(encodeVarint(value.length));
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, value: Message): this {
    return this.bytes(field, value.finish());
  }

  /** packed repeated int64 */
  packedInts(field: number, values: ReadonlyArray<number | bigint>): this {
    const body = new Message();
    for (const v of values) body.push(encodeVarint(v));
    return this.bytes(field, body.finish());
  }

  /** packed repeated float */
  packedFloats(field: number, values: ArrayLike<number>): this {
    const b = new Uint8Array(values.length * 4);
    const view = new DataView(b.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

export function encodeVarint(value: number | bigint): Uint8Array {
  let v = typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`varint: ${value} is not a safe integer`);
  if (v < 0n) v = BigInt.asUintN(64, v);
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return Uint8Array.from(out);
}
