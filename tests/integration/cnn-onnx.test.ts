// The frame CNNs on onnxruntime against the TensorFlow.js path, for both networks at the input size each
// is used at, on a real frame (tests/fixtures/frames) and on generated ones; and the graph cache.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { CNNS, embedFrames, loadCnn, type CnnName } from '../../src/features/visual/cnn.js';
import { embedFramesOnnx, ensureCnnGraph, loadOnnxCnn } from '../../src/features/visual/cnn-onnx.js';
import { tempDir } from '../helpers/media.js';

const cache = tempDir('clipmatch-onnx-cache-');
after(() => cache.cleanup());

const FIXTURES = new URL('../fixtures/frames/', import.meta.url).pathname;
const REAL: Record<CnnName, string> = { 'mobilenet-v2': 'cockatoo-03s-224.png', 'inception-v3': 'cockatoo-09s-299.png' };

function realFrame(file: string, size: number): Uint8Array {
  const png = PNG.sync.read(readFileSync(join(FIXTURES, file)));
  assert.deepEqual([png.width, png.height], [size, size]);
  const rgb = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = png.data[i * 4 + c]!;
  return rgb;
}

/** Two generated frames: a colour gradient with a checkerboard, and seeded noise. */
function generatedFrames(size: number): Uint8Array {
  const rgb = new Uint8Array(2 * size * size * 3);
  let s = 12345;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const o = (y * size + x) * 3;
      const check = ((x >> 4) + (y >> 4)) % 2 ? 60 : 0;
      rgb[o] = (x * 255) / size;
      rgb[o + 1] = ((y * 255) / size + check) % 256;
      rgb[o + 2] = 255 - rgb[o]!;
      const n = size * size * 3 + o;
      for (let c = 0; c < 3; c++) rgb[n + c] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
    }
  }
  return rgb;
}

/** Per frame: the L2 error relative to the tfjs embedding's L2 norm, and the worst element relative to its largest. */
function compare(a: Float32Array, b: Float32Array, dim: number): Array<{ l2: number; maxAbs: number }> {
  const out = [];
  for (let f = 0; f < a.length / dim; f++) {
    let d2 = 0, n2 = 0, dMax = 0, bMax = 0;
    for (let k = f * dim; k < (f + 1) * dim; k++) {
      const d = a[k]! - b[k]!;
      d2 += d * d;
      n2 += b[k]! * b[k]!;
      dMax = Math.max(dMax, Math.abs(d));
      bMax = Math.max(bMax, Math.abs(b[k]!));
    }
    out.push({ l2: Math.sqrt(d2 / n2), maxAbs: dMax / bMax });
  }
  return out;
}

for (const name of ['mobilenet-v2', 'inception-v3'] as const) {
  void test(`${name} on onnxruntime matches tfjs within 1e-4 on a real frame and on generated ones`, async () => {
    const spec = CNNS[name];
    const size = spec.nativeSize;
    const frameLen = size * size * 3;
    const rgb = new Uint8Array(3 * frameLen);
    rgb.set(realFrame(REAL[name], size), 0);
    rgb.set(generatedFrames(size), frameLen);
    const onnx = await loadOnnxCnn(name, size, { threads: 1, dir: cache.dir });
    const a = await embedFramesOnnx(onnx, rgb, 3, 2); // batches of 2 then 1: the batch dimension is free
    const b = await embedFrames(await loadCnn(size, name), rgb, 3, 3);
    assert.equal(a.length, 3 * spec.dim);
    for (const [f, c] of compare(a, b, spec.dim).entries()) {
      assert.ok(c.l2 <= 1e-4 && c.maxAbs <= 1e-4, `frame ${f}: relative L2 error ${c.l2.toExponential(2)}, worst element ${c.maxAbs.toExponential(2)}`);
    }
    // The embeddings are not trivially equal: the real frame and the noise differ by far more than the tolerance.
    const [d] = compare(a.subarray(0, spec.dim), a.subarray(2 * spec.dim), spec.dim);
    assert.ok(d!.l2 > 0.05, `different frames give different embeddings (${d!.l2})`);
  });
}

void test('the built graph is cached under a key of the weights, network, size and builder version', async () => {
  const dir = join(cache.dir, 'keyed');
  const first = await ensureCnnGraph('mobilenet-v2', 224, dir);
  const again = await ensureCnnGraph('mobilenet-v2', 224, dir);
  assert.equal(again, first, 'a second call reuses the file');
  const other = await ensureCnnGraph('mobilenet-v2', 160, dir);
  assert.notEqual(other, first, 'another size is another graph');
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file is left');
  assert.match(first, /mobilenet-v2-224-[0-9a-f]{16}\.onnx$/);
});
