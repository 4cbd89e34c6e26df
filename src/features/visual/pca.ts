// Library-wide PCA of the 1280-d CNN embeddings down to a few dozen numbers per second. Pure code:
// the covariance is accumulated once (float64), then a seeded block power (subspace) iteration with
// Rayleigh-Ritz finds the top components. Deterministic for a given input and seed. With fewer rows
// than components, components past the data's rank come out as zero rows with zero variance.
import { createHash } from 'node:crypto';
import { mulberry32 } from '../../core/random.js';
import { covariance, dot, jacobiEigen, multiply, orthonormalise } from './linalg.js';

export { jacobiEigen } from './linalg.js';

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

/** Below this many rows (and fewer rows than dimensions) the PCA is solved exactly through the Gram matrix. */
const GRAM_MAX_ROWS = 400;

/** Sign convention shared by both solvers: the largest entry of each component is positive. */
function writeComponent(vec: Float64Array, dim: number, out: Float32Array, at: number): boolean {
  const norm = Math.sqrt(dot(vec, vec));
  if (!(norm > 0)) return false;
  let big = 0;
  for (let i = 1; i < dim; i++) if (Math.abs(vec[i]!) > Math.abs(vec[big]!)) big = i;
  const s = vec[big]! < 0 ? -1 / norm : 1 / norm;
  for (let i = 0; i < dim; i++) out[at + i] = vec[i]! * s;
  return true;
}

/**
 * Small libraries (a first ingest: m rows, m << dim): the nonzero eigenvalues of the dim x dim covariance
 * are those of the m x m Gram matrix X X^T / (m - 1), and each component is X^T u normalised. Exact, and
 * far cheaper than iterating on the full covariance (a 180-row fit: ~0.2 s instead of ~2.5 s).
 */
function fitPcaGram(rows: Float32Array, picked: Int32Array, dim: number, k: number, mean: Float64Array): Pca {
  const m = picked.length;
  const xs = Array.from(picked, (r) => {
    const x = new Float64Array(dim);
    for (let j = 0, o = r * dim; j < dim; j++) x[j] = rows[o + j]! - mean[j]!;
    return x;
  });
  const scale = 1 / Math.max(1, m - 1);
  const g = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = a; b < m; b++) g[a * m + b] = g[b * m + a] = dot(xs[a]!, xs[b]!) * scale;
  return assemble(jacobiEigen(g, m), xs, dim, k, m - 1, mean);
}

/**
 * The top-k components from an eigen-decomposition in a basis (the subspace iterates, or the centred rows
 * for the Gram path): component e is sum_j vectors[j][e] * basis[j], normalised, largest entry positive.
 * At most `maxRank` components, and none with a negligible or non-positive eigenvalue.
 */
function assemble(eig: { values: Float64Array; vectors: Float64Array }, basis: Float64Array[], dim: number, k: number, maxRank: number, mean: Float64Array): Pca {
  const l = basis.length;
  const order = Array.from({ length: l }, (_, i) => i).sort((a, b) => eig.values[b]! - eig.values[a]!);
  const top = Math.max(eig.values[order[0]!]!, 0);
  const components = new Float32Array(k * dim);
  const variance = new Float32Array(k);
  let rank = 0;
  for (let ci = 0; ci < Math.min(k, l); ci++) {
    const e = order[ci]!;
    const value = eig.values[e]!;
    if (ci >= maxRank || !(value > top * 1e-9) || value <= 0) continue;
    const vec = new Float64Array(dim);
    for (let j = 0; j < l; j++) {
      const w = eig.vectors[j * l + e]!;
      if (w !== 0) for (let i = 0; i < dim; i++) vec[i]! += w * basis[j]![i]!;
    }
    // A fixed sign (largest entry positive) keeps refits of similar data comparable.
    if (!writeComponent(vec, dim, components, ci * dim)) continue;
    variance[ci] = value;
    rank++;
  }
  const mean32 = Float32Array.from(mean);
  return { dim, k, mean: mean32, components, variance, rank, fingerprint: pcaFingerprint(dim, k, mean32, components) };
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
  if (picked.length <= GRAM_MAX_ROWS && picked.length < dim) return fitPcaGram(rows, picked, dim, k, mean);
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

  return assemble(eig, q, dim, k, Math.max(0, picked.length - 1), mean);
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
