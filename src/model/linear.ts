// Closed-form linear matching: PCA per modality, then CCA (ridge-regularised) or PLS between the two
// PCA spaces. The result is one affine map per modality (PCA and canonical directions folded into one
// kernel), so the fitted model is a tower of a single dense linear layer followed by L2 normalisation:
// cosine ranking in the canonical space. Pure float64 code, no tfjs.
import { fitPca } from '../features/visual/pca.js';
import { jacobiEigen } from '../features/visual/linalg.js';

export type LinearMethod = 'cca' | 'pls';

export interface LinearOptions {
  method: LinearMethod;
  /** PCA components kept per modality before the cross-modal fit (32) */
  pcaDims: number;
  /** added to the diagonal of each modality's covariance of PCA scores (CCA only; 0.1) */
  ridge: number;
  /** canonical dimensions kept (16) */
  dims: number;
  /** scale canonical dimension c by corr_c ** power (0 = unweighted) */
  weightPower: number;
}

export interface AffineMap {
  /** inDim x outDim, row-major, as a dense layer's kernel */
  kernel: Float32Array;
  bias: Float32Array;
}

export interface LinearFit {
  audio: AffineMap;
  visual: AffineMap;
  /** canonical correlations (CCA) or cross-covariance singular values (PLS) on the fitted rows */
  strengths: number[];
  dims: number;
}

/** Eigenvectors (columns, descending eigenvalue) of a symmetric p x p matrix. */
function eigSorted(a: Float64Array, p: number): { values: number[]; vectors: Float64Array } {
  const { values, vectors } = jacobiEigen(a, p);
  const order = Array.from({ length: p }, (_, i) => i).sort((x, y) => (values[y] as number) - (values[x] as number));
  const out = new Float64Array(p * p);
  order.forEach((src, dst) => {
    for (let r = 0; r < p; r++) out[r * p + dst] = vectors[r * p + src] as number;
  });
  return { values: order.map((i) => values[i] as number), vectors: out };
}

/** a (n x p) times b (p x q), row-major. */
function mul(a: Float64Array, b: Float64Array, n: number, p: number, q: number): Float64Array {
  const out = new Float64Array(n * q);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < p; k++) {
      const v = a[i * p + k] as number;
      if (v === 0) continue;
      for (let j = 0; j < q; j++) out[i * q + j] = (out[i * q + j] as number) + v * (b[k * q + j] as number);
    }
  }
  return out;
}

const transpose = (a: Float64Array, n: number, p: number): Float64Array => {
  const out = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) out[j * n + i] = a[i * p + j] as number;
  return out;
};

/** C^(-1/2) of a symmetric positive definite p x p matrix (eigenvalues floored at 1e-9 of the largest). */
function invSqrt(c: Float64Array, p: number): Float64Array {
  const { values, vectors } = eigSorted(c, p);
  const floor = Math.max(1e-12, (values[0] ?? 0) * 1e-9);
  const d = values.map((v) => 1 / Math.sqrt(Math.max(v, floor)));
  const out = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = 0; k < p; k++) s += (vectors[i * p + k] as number) * (d[k] as number) * (vectors[j * p + k] as number);
      out[i * p + j] = s;
    }
  }
  return out;
}

interface Scores {
  /** n x p, centred */
  s: Float64Array;
  /** p x inDim: PCA components */
  components: Float64Array;
  mean: Float64Array;
  p: number;
}

function pcaScores(x: Float32Array, n: number, d: number, p: number): Scores {
  let k: number;
  let mean: Float64Array;
  let components: Float64Array;
  if (p >= d) {
    // nothing to reduce: the centred inputs themselves
    k = d;
    mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (x[i * d + j] as number) / n;
    components = new Float64Array(d * d);
    for (let j = 0; j < d; j++) components[j * d + j] = 1;
  } else {
    const pca = fitPca(x, n, d, p, { seed: 11 });
    k = pca.k;
    mean = Float64Array.from(pca.mean);
    components = Float64Array.from(pca.components);
  }
  const s = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let v = 0;
      for (let j = 0; j < d; j++) v += (components[c * d + j] as number) * ((x[i * d + j] as number) - (mean[j] as number));
      s[i * k + c] = v;
    }
  }
  return { s, components, mean, p: k };
}

function crossCov(a: Float64Array, b: Float64Array, n: number, p: number, q: number): Float64Array {
  const out = mul(transpose(a, n, p), b, p, n, q);
  const scale = 1 / Math.max(1, n - 1);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * scale;
  return out;
}

/** Folds PCA (inDim -> p) and a p x k projection into one inDim x k kernel and its bias. */
function fold(sc: Scores, proj: Float64Array, k: number, colScale: number[]): AffineMap {
  const d = sc.mean.length;
  const kernel64 = mul(transpose(sc.components, sc.p, d), proj, d, sc.p, k);
  const kernel = new Float32Array(d * k);
  const bias = new Float32Array(k);
  for (let c = 0; c < k; c++) {
    let b = 0;
    for (let j = 0; j < d; j++) {
      const w = (kernel64[j * k + c] as number) * (colScale[c] as number);
      kernel[j * k + c] = w;
      b -= w * (sc.mean[j] as number);
    }
    bias[c] = b;
  }
  return { kernel, bias };
}

/**
 * Fits on n paired rows of already normalised features (audio and visual both n x d). Needs n >= 3.
 * CCA: canonical directions of Caa+rI, Cvv+rI and Cav; PLS: singular vectors of Cav.
 */
export function fitLinear(audio: Float32Array, visual: Float32Array, n: number, d: number, opts: LinearOptions): LinearFit {
  if (n < 3) throw new RangeError('a linear fit needs at least 3 paired rows');
  const sa = pcaScores(audio, n, d, opts.pcaDims);
  const sv = pcaScores(visual, n, d, opts.pcaDims);
  const p = sa.p;
  const q = sv.p;
  const cav = crossCov(sa.s, sv.s, n, p, q);
  let wa: Float64Array;
  let wv: Float64Array;
  let strengths: number[];
  const k = Math.min(opts.dims, p, q);
  if (opts.method === 'cca') {
    const caa = crossCov(sa.s, sa.s, n, p, p);
    const cvv = crossCov(sv.s, sv.s, n, q, q);
    for (let i = 0; i < p; i++) caa[i * p + i] = (caa[i * p + i] as number) + opts.ridge;
    for (let i = 0; i < q; i++) cvv[i * q + i] = (cvv[i * q + i] as number) + opts.ridge;
    const ia = invSqrt(caa, p);
    const iv = invSqrt(cvv, q);
    const m = mul(mul(ia, cav, p, p, q), iv, p, q, q);
    const svd = thinSvd(m, p, q, k);
    wa = mul(ia, svd.u, p, p, k);
    wv = mul(iv, svd.v, q, q, k);
    strengths = svd.s;
  } else {
    const svd = thinSvd(cav, p, q, k);
    wa = svd.u;
    wv = svd.v;
    strengths = svd.s;
  }
  const colScale = strengths.map((s) => (opts.weightPower === 0 ? 1 : Math.max(s, 1e-6) ** opts.weightPower));
  return { audio: fold(sa, wa, k, colScale), visual: fold(sv, wv, k, colScale), strengths, dims: k };
}

/** Top-k singular triplets of a p x q matrix through the eigenvectors of M M^T. */
function thinSvd(m: Float64Array, p: number, q: number, k: number): { u: Float64Array; v: Float64Array; s: number[] } {
  const mt = transpose(m, p, q);
  const { values, vectors } = eigSorted(mul(m, mt, p, q, p), p);
  const u = new Float64Array(p * k);
  const v = new Float64Array(q * k);
  const s: number[] = [];
  for (let c = 0; c < k; c++) {
    const sigma = Math.sqrt(Math.max(0, values[c] as number));
    s.push(sigma);
    for (let r = 0; r < p; r++) u[r * k + c] = vectors[r * p + c] as number;
    // v_c = M^T u_c / sigma_c
    for (let r = 0; r < q; r++) {
      let x = 0;
      for (let j = 0; j < p; j++) x += (mt[r * p + j] as number) * (vectors[j * p + c] as number);
      v[r * k + c] = sigma > 1e-12 ? x / sigma : 0;
    }
  }
  return { u, v, s };
}
