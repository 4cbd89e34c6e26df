import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bruteForce, l2sq } from '../../src/index/topk.js';
import { createIndex, loadIndex } from '../../src/index/vector-index.js';
import { mulberry32 as rng } from '../../src/core/random.js';


function randomRows(n: number, dim: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n * dim }, () => r() * 2 - 1);
}

/** Reference answer by sorting every distance. */
function naive(data: Float32Array, n: number, dim: number, q: Float32Array, k: number, farthest: boolean): number[] {
  const rows = Array.from({ length: n }, (_, i) => ({ i, d: l2sq(data, i, q, dim) }));
  rows.sort((a, b) => (farthest ? b.d - a.d : a.d - b.d));
  return rows.slice(0, k).map((r) => r.i);
}

void test('l2sq matches the textbook sum for odd dimensions too', () => {
  const data = Float32Array.from([1, 2, 3, 4, 5, 0, 0, 0, 0, 0]);
  const q = Float32Array.from([0, 0, 0, 0, 0]);
  assert.equal(l2sq(data, 0, q, 5), 1 + 4 + 9 + 16 + 25);
  assert.equal(l2sq(data, 1, q, 5), 0);
});

void test('bruteForce nearest and farthest agree with a full sort', () => {
  const dim = 7;
  const n = 300;
  const data = randomRows(n, dim, 1);
  const q = randomRows(1, dim, 2);
  for (const farthest of [false, true]) {
    for (const k of [1, 5, 40]) {
      const got = bruteForce(data, n, dim, q, k, farthest);
      assert.deepEqual(Array.from(got.indices), naive(data, n, dim, q, k, farthest));
      for (let i = 1; i < k; i++) {
        assert.ok(farthest ? got.distances[i - 1]! >= got.distances[i]! : got.distances[i - 1]! <= got.distances[i]!);
      }
    }
  }
});

void test('bruteForce clamps k to the number of rows and handles k = 0', () => {
  const data = randomRows(3, 4, 3);
  const q = randomRows(1, 4, 4);
  assert.equal(bruteForce(data, 3, 4, q, 10).indices.length, 3);
  assert.equal(bruteForce(data, 3, 4, q, 0).indices.length, 0);
  assert.equal(bruteForce(data, 0, 4, q, 5).indices.length, 0);
});

void test('an exact index answers like the brute-force reference', () => {
  const dim = 16;
  const n = 1000;
  const data = randomRows(n, dim, 5);
  const index = createIndex(dim, 10);
  index.add(data.subarray(0, 400 * dim), 400);
  index.add(data.subarray(400 * dim), 600); // grows past the pre-sized store
  assert.equal(index.size, n);
  assert.equal(index.kind, 'exact');
  const q = randomRows(1, dim, 6);
  const got = index.search(q, 10);
  assert.deepEqual(Array.from(got.indices), naive(data, n, dim, q, 10, false));
  assert.deepEqual(Array.from(index.farthest(q, 3).indices), naive(data, n, dim, q, 3, true));
  assert.deepEqual(Array.from(index.vector(123)), Array.from(data.subarray(123 * dim, 124 * dim)));
  // A query that is a view into a larger buffer (usearch's exactSearch once ignored the offset).
  const hit = index.search(index.vector(777), 1);
  assert.equal(hit.indices[0], 777);
  assert.equal(hit.distances[0], 0);
});

void test('spare capacity in the store is never searched', () => {
  const index = createIndex(4, 100);
  index.add(Float32Array.from([5, 5, 5, 5, 9, 9, 9, 9]), 2);
  const got = index.search(Float32Array.from([0, 0, 0, 0]), 10);
  assert.deepEqual(Array.from(got.indices), [0, 1]);
  assert.equal(index.farthest(Float32Array.from([0, 0, 0, 0]), 10).indices.length, 2);
});

void test('crossing exactBelow switches to HNSW, keeps earlier and later rows findable', () => {
  const dim = 16;
  const n = 1500;
  const data = randomRows(n, dim, 7);
  const index = createIndex(dim, 0, { exactBelow: 500, threads: 1 });
  index.add(data.subarray(0, 500 * dim), 500);
  assert.equal(index.kind, 'exact');
  index.add(data.subarray(500 * dim, 1000 * dim), 500);
  assert.equal(index.kind, 'hnsw');
  index.add(data.subarray(1000 * dim), 500); // after the graph exists
  for (const row of [0, 499, 700, 1499]) {
    const hit = index.search(index.vector(row), 1);
    assert.equal(hit.indices[0], row);
    assert.equal(hit.distances[0], 0);
  }
  // On 1,500 rows with ef=128 the graph walk is effectively exhaustive.
  let found = 0;
  for (let t = 0; t < 20; t++) {
    const q = randomRows(1, dim, 100 + t);
    const approx = new Set(index.search(q, 10).indices);
    for (const i of index.searchExact(q, 10).indices) if (approx.has(i)) found++;
  }
  assert.ok(found / 200 >= 0.95, `recall@10 ${found / 200}`);
});

void test('save and load round-trip both kinds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clipmatch-index-'));
  try {
    const dim = 8;
    const data = randomRows(600, dim, 9);
    const q = randomRows(1, dim, 10);
    for (const exactBelow of [10_000, 100]) {
      const index = createIndex(dim, 600, { exactBelow, threads: 1 });
      index.add(data, 600);
      const where = join(dir, String(exactBelow));
      index.save(where);
      const back = loadIndex(where, { threads: 1 });
      assert.equal(back.kind, index.kind);
      assert.equal(back.size, 600);
      assert.equal(back.dim, dim);
      assert.deepEqual(Array.from(back.search(q, 5).indices), Array.from(index.search(q, 5).indices));
      assert.deepEqual(Array.from(back.vector(599)), Array.from(index.vector(599)));
      back.add(randomRows(1, dim, 11), 1); // a loaded index still grows
      assert.equal(back.size, 601);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('bad input is refused with a clear message', () => {
  const index = createIndex(4);
  assert.throws(() => index.add(Float32Array.from([1, 2, 3]), 1), /expected 1 x 4 values/);
  assert.throws(() => index.add(Float32Array.from([1, NaN, 3, 4]), 1), /non-finite/);
  assert.equal(index.size, 0);
  assert.equal(index.search(Float32Array.from([0, 0, 0, 0]), 5).indices.length, 0);
  assert.throws(() => index.search(Float32Array.from([0, 0]), 5), /index dimension is 4/);
  assert.throws(() => index.vector(0), RangeError);
  assert.throws(() => createIndex(0), /positive integer/);
});

void test('a truncated vector file is detected on load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clipmatch-index-'));
  try {
    const index = createIndex(4);
    index.add(randomRows(10, 4, 12), 10);
    index.save(dir);
    truncateSync(join(dir, 'vectors.f32'), 4 * 4 * 9);
    assert.throws(() => loadIndex(dir), /does not hold 10 x 4/);
    assert.throws(() => loadIndex(join(dir, 'missing')), /no vector index/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
