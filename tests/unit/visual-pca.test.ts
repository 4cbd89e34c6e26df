import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deserializePca, fitPca, jacobiEigen, projectPca, serializePca } from '../../src/features/visual/pca.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

const unit = (v: number[]): number[] => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const dotN = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** n rows in `dim` dims: offset + 5*a*u + 2*b*v + tiny noise, so the data is (nearly) rank 2. */
function rank2(n: number, dim: number, noise = 1e-3) {
  const r = rng(7);
  const u = unit(Array.from({ length: dim }, () => r()));
  let v = Array.from({ length: dim }, () => r());
  const d = dotN(u, v);
  v = unit(v.map((x, i) => x - d * u[i]!));
  const rows = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const a = r() * 2, b = r() * 2;
    for (let j = 0; j < dim; j++) rows[i * dim + j] = 3 + 5 * a * u[j]! + 2 * b * v[j]! + noise * r();
  }
  return { rows, u, v };
}

void test('PCA recovers the plane of rank-2 data in 50-d, components ordered by variance', () => {
  const dim = 50, n = 400;
  const { rows, u, v } = rank2(n, dim);
  const pca = fitPca(rows, n, dim, 4, { seed: 3 });
  const c0 = pca.components.subarray(0, dim), c1 = pca.components.subarray(dim, 2 * dim);
  assert.ok(Math.abs(dotN(c0, u)) > 0.999, `first component along the dominant direction (${dotN(c0, u)})`);
  // The second component lies in the plane of u and v.
  assert.ok(Math.hypot(dotN(c1, u), dotN(c1, v)) > 0.999);
  assert.ok(Math.abs(dotN(c0, c1)) < 1e-4, 'components orthogonal');
  assert.ok(Math.abs(pca.mean[0]! - 3) < 0.2, 'mean is estimated');
  const proj = projectPca(pca, rows, n);
  const variance = [0, 1, 2, 3].map((c) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += proj[i * 4 + c]! ** 2;
    return s / (n - 1);
  });
  assert.ok(variance[0]! > variance[1]! && variance[1]! > variance[2]! && variance[2]! >= variance[3]!, `ordered: ${variance.join(', ')}`);
  assert.ok(variance[1]! > 100 * variance[2]!, 'the noise directions carry almost nothing');
  assert.ok(Math.abs(variance[0]! - pca.variance[0]!) / variance[0]! < 1e-3, 'reported variance matches the projection');
});

void test('PCA with fewer rows than components: components past the rank are zero and projection is finite', () => {
  const dim = 50, n = 3;
  const { rows } = rank2(n, dim, 0.5);
  const pca = fitPca(rows, n, dim, 10);
  assert.ok(pca.rank <= n - 1 && pca.rank >= 1, `rank ${pca.rank}`);
  for (let c = pca.rank; c < 10; c++) {
    assert.ok(pca.components.subarray(c * dim, (c + 1) * dim).every((x) => x === 0), `component ${c} is zero`);
    assert.equal(pca.variance[c], 0);
  }
  const proj = projectPca(pca, rows, n);
  assert.equal(proj.length, n * 10);
  assert.ok(proj.every(Number.isFinite));
  // One row: mean only, every component zero.
  const one = fitPca(rows, 1, dim, 5);
  assert.equal(one.rank, 0);
  assert.ok(projectPca(one, rows, 1).every((x) => x === 0));
});

void test('PCA is deterministic, serialises losslessly and fingerprints its numbers', () => {
  const dim = 20, n = 60;
  const { rows } = rank2(n, dim, 0.1);
  const a = fitPca(rows, n, dim, 5, { seed: 9 });
  const b = fitPca(rows, n, dim, 5, { seed: 9 });
  assert.equal(a.fingerprint, b.fingerprint);
  assert.match(a.fingerprint, /^[0-9a-f]{12}$/);
  const back = deserializePca(serializePca(a));
  assert.deepEqual(back, a);
  const tampered = JSON.parse(serializePca(a)) as { fingerprint: string };
  tampered.fingerprint = '000000000000';
  assert.throws(() => deserializePca(JSON.stringify(tampered)), /corrupt/);
  assert.throws(() => fitPca(rows, n, dim, dim + 1), /k must be/);
});

void test('Jacobi eigen-decomposition of a small symmetric matrix', () => {
  const { values, vectors } = jacobiEigen(Float64Array.from([2, 1, 1, 2]), 2);
  const sorted = [...values].sort();
  assert.ok(Math.abs(sorted[0]! - 1) < 1e-12 && Math.abs(sorted[1]! - 3) < 1e-12);
  assert.ok(Math.abs(Math.abs(vectors[0]!) - Math.SQRT1_2) < 1e-12);
});
