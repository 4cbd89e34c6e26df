// Library-wide PCA of the 1280-d CNN embeddings down to a few dozen numbers per second. Pure code:
// the covariance is accumulated once (float64), then a seeded block power (subspace) iteration with
// Rayleigh-Ritz finds the top components. Deterministic for a given input and seed. With fewer rows
// than components, components past the data's rank come out as zero rows with zero variance.
import { createHash } from 'node:crypto';

export interface Pca {
  dim: number;
  k: number;
  /** dim values subtracted before projecting */
  mean: Float32Array;
  /** k * dim, row c is component c (unit length, or all zero past the rank) */
  components: Float32Array;
  /** k values: variance of the data along each component, descending */
  variance: Float32Array;
  /** number of non-zero components */
  rank: number;
  /** short hash of the numbers, for extractor versions */
  fingerprint: string;
}

export interface FitPcaOptions {
  seed?: number;
  /** rows beyond this are subsampled (seeded) before the fit: 10k rows pin 120 of 1280 dims well and bound the cost (n * dim^2 / 2) */
  maxRows?: number;
  /** extra search vectors past k, which speed convergence */
  oversample?: number;
  maxIterations?: number;
  /** relative change of the variance captured by the top k at which iteration stops */
  tolerance?: number;
  /** called at each convergence check with the pass number and the variance captured by the top k */
  onCheck?: (iteration: number, captured: number) => void;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pickRows(n: number, max: number, rand: () => number): Int32Array {
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  if (n <= max) return idx;
  for (let i = 0; i < max; i++) {
    const j = i + Math.floor(rand() * (n - i));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx.subarray(0, max).sort();
}

/** Rows per chunk of the covariance: a chunk's column (CHUNK float64) stays in L1 while it is reused. */
const CHUNK = 1024;

/**
 * sum (x - mean)(x - mean)^T / (m - 1) over the picked rows. Each chunk of rows is transposed so an
 * entry of C is a dot product of two contiguous columns, computed four at a time to reuse column i.
 */
function covariance(rows: Float32Array, picked: Int32Array, dim: number, mean: Float64Array): Float64Array {
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

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** z[j] = C q[j] for symmetric C, four rows of C at a time so each q[j] is streamed a quarter as often. */
function multiply(c: Float64Array, dim: number, q: Float64Array[], z: Float64Array[]): void {
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
function orthonormalise(q: Float64Array[], eps: number): void {
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

/** Fits mean + top-k components of n rows of `dim` values (row-major). */
export function fitPca(rows: Float32Array, n: number, dim: number, k: number, opts: FitPcaOptions = {}): Pca {
  if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(dim) && dim >= 1)) throw new RangeError(`fitPca: bad shape ${n} x ${dim}`);
  if (!(Number.isInteger(k) && k >= 1 && k <= dim)) throw new RangeError(`fitPca: k must be in [1, ${dim}], got ${k}`);
  if (rows.length < n * dim) throw new RangeError(`fitPca: ${rows.length} values cannot hold ${n} x ${dim}`);
  const { seed = 1, maxRows = 10_000, oversample = 20, maxIterations = 60, tolerance = 1e-5 } = opts;
  const rand = mulberry32(seed);
  const picked = pickRows(n, maxRows, rand);
  const mean = new Float64Array(dim);
  for (const r of picked) for (let j = 0, o = r * dim; j < dim; j++) mean[j]! += rows[o + j]!;
  for (let j = 0; j < dim; j++) mean[j]! /= picked.length;
  const c = covariance(rows, picked, dim, mean);

  const l = Math.min(dim, k + oversample);
  const q = Array.from({ length: l }, () => {
    const v = new Float64Array(dim);
    for (let i = 0; i < dim; i++) v[i] = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    return v;
  });
  orthonormalise(q, 1e-12);
  const z = Array.from({ length: l }, () => new Float64Array(dim));
  const t = new Float64Array(l * l);
  let prev: number | undefined;
  let eig: { values: Float64Array; vectors: Float64Array } = { values: new Float64Array(l), vectors: new Float64Array(l * l) };
  for (let it = 0; it < maxIterations; it++) {
    multiply(c, dim, q, z);
    const last = it === maxIterations - 1;
    // Rayleigh-Ritz only to test convergence, every other pass: the small eigenproblem is not free.
    if (it % 2 === 0 && !last) {
      for (let j = 0; j < l; j++) q[j]!.set(z[j]!);
      orthonormalise(q, 1e-10);
      continue;
    }
    for (let a = 0; a < l; a++) for (let b = a; b < l; b++) t[a * l + b] = t[b * l + a] = dot(q[a]!, z[b]!);
    eig = jacobiEigen(t, l);
    // Converged when the variance the top-k subspace captures stops growing: individual components in
    // a flat tail converge far more slowly, and their exact rotation does not matter to a projection.
    const captured = Float64Array.from(eig.values).sort().reverse().subarray(0, k).reduce((a, b) => a + b, 0);
    const done = prev !== undefined && Math.abs(captured - prev) <= tolerance * Math.max(captured, 1e-300);
    prev = captured;
    opts.onCheck?.(it + 1, captured);
    if (done || last) break;
    for (let j = 0; j < l; j++) q[j]!.set(z[j]!);
    orthonormalise(q, 1e-10);
  }

  const order = Array.from({ length: l }, (_, i) => i).sort((a, b) => eig.values[b]! - eig.values[a]!);
  const top = Math.max(eig.values[order[0]!]!, 0);
  const maxRank = Math.max(0, picked.length - 1);
  const components = new Float32Array(k * dim);
  const variance = new Float32Array(k);
  let rank = 0;
  for (let ci = 0; ci < k; ci++) {
    const e = order[ci]!;
    const value = eig.values[e]!;
    if (ci >= maxRank || !(value > top * 1e-9) || value <= 0) continue;
    const vec = new Float64Array(dim);
    for (let j = 0; j < l; j++) {
      const w = eig.vectors[j * l + e]!;
      if (w !== 0) for (let i = 0; i < dim; i++) vec[i]! += w * q[j]![i]!;
    }
    const norm = Math.sqrt(dot(vec, vec));
    if (!(norm > 0)) continue;
    // A fixed sign (largest entry positive) keeps refits of similar data comparable.
    let big = 0;
    for (let i = 1; i < dim; i++) if (Math.abs(vec[i]!) > Math.abs(vec[big]!)) big = i;
    const s = vec[big]! < 0 ? -1 / norm : 1 / norm;
    for (let i = 0; i < dim; i++) components[ci * dim + i] = vec[i]! * s;
    variance[ci] = value;
    rank++;
  }
  const mean32 = Float32Array.from(mean);
  return { dim, k, mean: mean32, components, variance, rank, fingerprint: pcaFingerprint(dim, k, mean32, components) };
}

/** Projects n rows of pca.dim values: n * pca.k values. */
export function projectPca(pca: Pca, rows: Float32Array, n: number): Float32Array {
  const { dim, k, mean, components } = pca;
  if (rows.length < n * dim) throw new RangeError(`projectPca: ${rows.length} values cannot hold ${n} x ${dim}`);
  const out = new Float32Array(n * k);
  const x = new Float64Array(dim);
  for (let r = 0; r < n; r++) {
    for (let j = 0, o = r * dim; j < dim; j++) x[j] = rows[o + j]! - mean[j]!;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0, o = c * dim; j < dim; j++) s += components[o + j]! * x[j]!;
      out[r * k + c] = s;
    }
  }
  return out;
}

const bytesOf = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** First 12 hex digits of a SHA-256 over the shape and the numbers. */
export function pcaFingerprint(dim: number, k: number, mean: Float32Array, components: Float32Array): string {
  return createHash('sha256').update(`pca:${dim}:${k}:`).update(bytesOf(mean)).update(bytesOf(components)).digest('hex').slice(0, 12);
}

interface PcaJson {
  format: 'clipmatch-pca';
  version: 1;
  dim: number;
  k: number;
  rank: number;
  fingerprint: string;
  /** little-endian float32, base64 */
  mean: string;
  components: string;
  variance: string;
}

/** JSON text with the arrays as base64 little-endian float32. */
export function serializePca(pca: Pca): string {
  const json: PcaJson = {
    format: 'clipmatch-pca',
    version: 1,
    dim: pca.dim,
    k: pca.k,
    rank: pca.rank,
    fingerprint: pca.fingerprint,
    mean: bytesOf(pca.mean).toString('base64'),
    components: bytesOf(pca.components).toString('base64'),
    variance: bytesOf(pca.variance).toString('base64'),
  };
  return JSON.stringify(json);
}

function floats(b64: unknown, length: number, what: string): Float32Array {
  if (typeof b64 !== 'string') throw new Error(`PCA file: ${what} missing`);
  const buf = Buffer.from(b64, 'base64');
  if (buf.length !== length * 4) throw new Error(`PCA file: ${what} has ${buf.length / 4} values, expected ${length}`);
  const out = new Float32Array(length);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

/** Reads serializePca's output, checking shapes and that the numbers match their fingerprint. */
export function deserializePca(text: string): Pca {
  let json: Partial<PcaJson>;
  try {
    json = JSON.parse(text) as Partial<PcaJson>;
  } catch {
    throw new Error('PCA file is not JSON');
  }
  if (json.format !== 'clipmatch-pca' || json.version !== 1) throw new Error('not a clipmatch PCA file (or an unknown version)');
  const { dim, k, rank } = json;
  if (!Number.isInteger(dim) || !Number.isInteger(k) || !Number.isInteger(rank) || dim! < 1 || k! < 1 || k! > dim!) {
    throw new Error('PCA file: bad dimensions');
  }
  const mean = floats(json.mean, dim!, 'mean');
  const components = floats(json.components, k! * dim!, 'components');
  const variance = floats(json.variance, k!, 'variance');
  const fingerprint = pcaFingerprint(dim!, k!, mean, components);
  if (json.fingerprint !== fingerprint) throw new Error(`PCA file is corrupt: fingerprint ${String(json.fingerprint)} != ${fingerprint}`);
  return { dim: dim!, k: k!, mean, components, variance, rank: rank!, fingerprint };
}
