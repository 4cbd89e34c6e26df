// The hand-written protobuf encoder behind the ONNX graph builder, checked against the wire format's
// published examples (protobuf.dev/programming-guides/encoding).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Message, encodeVarint } from '../../src/onnx/proto.js';
import { ElemType, GraphBuilder } from '../../src/onnx/graph.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

void test('varints: small, multi-byte, 64-bit and negative values (ten bytes, as int64)', () => {
  assert.equal(hex(encodeVarint(1)), '01');
  assert.equal(hex(encodeVarint(150)), '9601');
  assert.equal(hex(encodeVarint(300)), 'ac02');
  assert.equal(hex(encodeVarint(2 ** 40)), '808080808020');
  assert.equal(hex(encodeVarint(-1)), 'ffffffffffffffffff01');
  assert.equal(hex(encodeVarint(-2n)), 'feffffffffffffffff01');
  assert.throws(() => encodeVarint(2 ** 60), RangeError);
});

void test('fields: the guide examples for an int, a string, a packed repeated field and a float', () => {
  assert.equal(hex(new Message().int(1, 150).finish()), '089601');
  assert.equal(hex(new Message().string(2, 'testing').finish()), '120774657374696e67');
  assert.equal(hex(new Message().packedInts(4, [3, 270, 86942]).finish()), '2206038e029ea705');
  assert.equal(hex(new Message().float(2, 1).finish()), '150000803f');
  assert.equal(hex(new Message().message(3, new Message().int(1, 150)).finish()), '1a03089601');
});

void test('graph builder: initialiser shapes are checked and value names are unique', () => {
  const g = new GraphBuilder('t');
  assert.throws(() => g.floats('w', new Float32Array(5), [2, 3]), /5 values for shape \[2, 3\]/);
  const a = g.floats('w', new Float32Array(6), [2, 3]);
  const b = g.floats('w', new Float32Array(6), [3, 2]);
  assert.notEqual(a, b);
  g.input('x', ElemType.FLOAT, ['batch', 2]);
  g.node('MatMul', ['x', a], {}, 'y');
  g.output('y', ElemType.FLOAT, ['batch', 3]);
  const bytes = g.toBytes({ producer: 'test', producerVersion: '1', metadata: { k: 'v' } });
  // ModelProto starts with ir_version (field 1, varint) = 7.
  assert.equal(hex(bytes.subarray(0, 2)), '0807');
  assert.ok(Buffer.from(bytes).includes(Buffer.from('MatMul')));
});
