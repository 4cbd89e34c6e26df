// Small dense linear algebra for the PCA, in float64: covariance, block products with a symmetric
// matrix, Gram-Schmidt and a Jacobi eigensolver for the small Rayleigh-Ritz problem.


/** Rows per chunk of the covariance: a chunk's column (CHUNK float64) stays in L1 while it is reused. */
const CHUNK = 1024;

/**
 * sum (x - mean)(x - mean)^T / (m - 1) over the picked rows. Each chunk of rows is transposed so an
 * entry of C is a dot product of two contiguous columns, computed four at a time to reuse column i.
 */
export function covariance(rows: Float32Array, picked: Int32Array, dim: number, mean: Float64Array): Float64Array {
  const c = new Float64Array(dim * dim);
  const xt = new Float64Array(dim * CHUNK);
  for (let start = 0; start < picked.length; start += CHUNK) {
    const m = Math.min(CHUNK, picked.length - start);
    for (let r = 0; r < m; r++) {
      const o = picked[start + r]! * dim;
      for (let i = 0; i < dim; i++) xt[i * CHUNK + r] = rows[o + i]! - mean[i]!;
    }
    for (let i = 0; i < dim; i++) {
      const xi = xt.subarray(i * CHUNK, i * CHUNK + m);
      for (let j = i; j < dim; j += 4) {
        const n = Math.min(4, dim - j);
        const x0 = xt.subarray(j * CHUNK, j * CHUNK + m);
        const x1 = n > 1 ? xt.subarray((j + 1) * CHUNK, (j + 1) * CHUNK + m) : x0;
        const x2 = n > 2 ? xt.subarray((j + 2) * CHUNK, (j + 2) * CHUNK + m) : x0;
        const x3 = n > 3 ? xt.subarray((j + 3) * CHUNK, (j + 3) * CHUNK + m) : x0;
        let d0 = 0, d1 = 0, d2 = 0, d3 = 0;
        for (let r = 0; r < m; r++) {
          const v = xi[r]!;
          d0 += v * x0[r]!;
          d1 += v * x1[r]!;
          d2 += v * x2[r]!;
          d3 += v * x3[r]!;
        }
        const o = i * dim + j;
        c[o]! += d0;
        if (n > 1) c[o + 1]! += d1;
        if (n > 2) c[o + 2]! += d2;
        if (n > 3) c[o + 3]! += d3;
      }
    }
  }
  const scale = 1 / Math.max(1, picked.length - 1);
  for (let i = 0; i < dim; i++) {
    for (let j = i; j < dim; j++) {
      const v = c[i * dim + j]! * scale;
      c[i * dim + j] = v;
      c[j * dim + i] = v;
    }
  }
  return c;
}

export const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** z[j] = C q[j] for symmetric C, four rows of C at a time so each q[j] is streamed a quarter as often. */
export function multiply(c: Float64Array, dim: number, q: Float64Array[], z: Float64Array[]): void {
  for (let i = 0; i < dim; i += 4) {
    const m = Math.min(4, dim - i);
    const c0 = c.subarray(i * dim, (i + 1) * dim);
    const c1 = m > 1 ? c.subarray((i + 1) * dim, (i + 2) * dim) : c0;
    const c2 = m > 2 ? c.subarray((i + 2) * dim, (i + 3) * dim) : c0;
    const c3 = m > 3 ? c.subarray((i + 3) * dim, (i + 4) * dim) : c0;
    for (let j = 0; j < q.length; j++) {
      const v = q[j]!;
      let d0 = 0, d1 = 0, d2 = 0, d3 = 0;
      for (let t = 0; t < dim; t++) {
        const x = v[t]!;
        d0 += c0[t]! * x;
        d1 += c1[t]! * x;
        d2 += c2[t]! * x;
        d3 += c3[t]! * x;
      }
      const zj = z[j]!;
      zj[i] = d0;
      if (m > 1) zj[i + 1] = d1;
      if (m > 2) zj[i + 2] = d2;
      if (m > 3) zj[i + 3] = d3;
    }
  }
}

/** Modified Gram-Schmidt in place (twice, for stability); dependent columns become zero. */
export function orthonormalise(q: Float64Array[], eps: number): void {
  for (let j = 0; j < q.length; j++) {
    const v = q[j]!;
    const before = Math.sqrt(dot(v, v));
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        const u = q[i]!;
        const d = dot(u, v);
        if (d !== 0) for (let t = 0; t < v.length; t++) v[t]! -= d * u[t]!;
      }
    }
    const norm = Math.sqrt(dot(v, v));
    if (norm <= eps * Math.max(before, 1e-300) || norm === 0) v.fill(0);
    else for (let t = 0; t < v.length; t++) v[t]! /= norm;
  }
}

/** Cyclic Jacobi eigen-decomposition of a small symmetric matrix (row-major l x l). */
export function jacobiEigen(a: Float64Array, l: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(l * l);
  for (let i = 0; i < l; i++) v[i * l + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < l; p++) for (let q = p + 1; q < l; q++) off += m[p * l + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < l; p++) {
      for (let q = p + 1; q < l; q++) {
        const apq = m[p * l + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * l + q]! - m[p * l + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1), sn = t * cs;
        for (let k = 0; k < l; k++) {
          const mkp = m[k * l + p]!, mkq = m[k * l + q]!;
          m[k * l + p] = cs * mkp - sn * mkq;
          m[k * l + q] = sn * mkp + cs * mkq;
        }
        for (let k = 0; k < l; k++) {
          const mpk = m[p * l + k]!, mqk = m[q * l + k]!;
          m[p * l + k] = cs * mpk - sn * mqk;
          m[q * l + k] = sn * mpk + cs * mqk;
        }
        for (let k = 0; k < l; k++) {
          const vkp = v[k * l + p]!, vkq = v[k * l + q]!;
          v[k * l + p] = cs * vkp - sn * vkq;
          v[k * l + q] = sn * vkp + cs * vkq;
        }
      }
    }
  }
  const values = new Float64Array(l);
  for (let i = 0; i < l; i++) values[i] = m[i * l + i]!;
  return { values, vectors: v };
}
