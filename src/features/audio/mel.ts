// Mel filterbank and cepstrum.
//
// Scale: Slaney's (the Auditory Toolbox and librosa's default): linear below 1 kHz, logarithmic above.
// HTK's 2595*log10(1 + f/700) is available too. We pick Slaney because at 16 kHz with a 512-point FFT
// (31.25 Hz bins) its linear low end keeps every one of 64 bands at least three bins wide, where HTK's
// lowest bands would fall between bins.
// Normalisation: each triangle's weights sum to 1, so a band is a weighted average of bin power: a flat
// spectrum gives a flat mel spectrum and band values are comparable across bands.

export type MelScale = 'slaney' | 'htk';

const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOG_STEP = Math.log(6.4) / 27;

export function hzToMel(hz: number, scale: MelScale = 'slaney'): number {
  if (scale === 'htk') return 2595 * Math.log10(1 + hz / 700);
  return hz < MIN_LOG_HZ ? hz / F_SP : MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP;
}

export function melToHz(mel: number, scale: MelScale = 'slaney'): number {
  if (scale === 'htk') return 700 * (10 ** (mel / 2595) - 1);
  return mel < MIN_LOG_MEL ? mel * F_SP : MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL));
}

export interface MelOptions {
  bands: number;
  fftSize: number;
  sampleRate: number;
  fmin?: number;
  fmax?: number;
  scale?: MelScale;
}

/** Sparse triangular filterbank: band b covers bins [first[b], first[b] + count[b]). */
export class MelFilterbank {
  readonly bands: number;
  /** centre frequency of each band, Hz */
  readonly centers: Float64Array;
  private readonly first: Int32Array;
  private readonly count: Int32Array;
  private readonly offset: Int32Array;
  private readonly weights: Float64Array;

  constructor(opts: MelOptions) {
    const { bands, fftSize, sampleRate } = opts;
    const scale = opts.scale ?? 'slaney';
    const fmin = opts.fmin ?? 0;
    const fmax = Math.min(opts.fmax ?? sampleRate / 2, sampleRate / 2);
    if (!(bands > 0) || !(fmax > fmin)) throw new RangeError('mel filterbank needs bands > 0 and fmax > fmin');
    this.bands = bands;
    const nBins = fftSize / 2 + 1;
    const binHz = sampleRate / fftSize;
    const lo = hzToMel(fmin, scale);
    const hi = hzToMel(fmax, scale);
    const edges = new Float64Array(bands + 2);
    for (let i = 0; i < bands + 2; i++) edges[i] = melToHz(lo + ((hi - lo) * i) / (bands + 1), scale);
    this.centers = edges.slice(1, bands + 1);
    this.first = new Int32Array(bands);
    this.count = new Int32Array(bands);
    this.offset = new Int32Array(bands);
    const all: number[] = [];
    for (let b = 0; b < bands; b++) {
      const left = edges[b]!;
      const centre = edges[b + 1]!;
      const right = edges[b + 2]!;
      let start = -1;
      const w: number[] = [];
      for (let k = 0; k < nBins; k++) {
        const f = k * binHz;
        const v = Math.max(0, Math.min((f - left) / (centre - left), (right - f) / (right - centre)));
        if (v > 0) {
          if (start < 0) start = k;
          // fill gaps so the band stays a contiguous run of bins
          while (start + w.length < k) w.push(0);
          w.push(v);
        }
      }
      if (start < 0) {
        // a band narrower than a bin: take the nearest bin rather than leave it dead
        start = Math.min(nBins - 1, Math.round(centre / binHz));
        w.push(1);
      }
      const sum = w.reduce((a, x) => a + x, 0);
      this.first[b] = start;
      this.count[b] = w.length;
      this.offset[b] = all.length;
      for (const x of w) all.push(x / sum);
    }
    this.weights = Float64Array.from(all);
  }

  /** Mel band energies of a power spectrum. */
  apply(power: Float64Array, out: Float64Array): void {
    const { first, count, offset, weights } = this;
    for (let b = 0; b < this.bands; b++) {
      const f = first[b]!;
      const o = offset[b]!;
      const n = count[b]!;
      let acc = 0;
      for (let j = 0; j < n; j++) acc += weights[o + j]! * power[f + j]!;
      out[b] = acc;
    }
  }

  /** Index of the band whose centre is closest to `hz`. */
  bandOf(hz: number): number {
    let best = 0;
    for (let b = 1; b < this.bands; b++) {
      if (Math.abs(this.centers[b]! - hz) < Math.abs(this.centers[best]! - hz)) best = b;
    }
    return best;
  }
}

/** Orthonormal DCT-II basis, `coeffs` rows of length `size` (row-major). */
export function dctMatrix(coeffs: number, size: number): Float64Array {
  const m = new Float64Array(coeffs * size);
  for (let k = 0; k < coeffs; k++) {
    const scale = k === 0 ? Math.sqrt(1 / size) : Math.sqrt(2 / size);
    for (let j = 0; j < size; j++) m[k * size + j] = scale * Math.cos((Math.PI * k * (j + 0.5)) / size);
  }
  return m;
}

/**
 * Regression deltas over +-`width` frames of a frame-major matrix (frames x dims), edges clamped:
 * d[t] = sum_n n (x[t+n] - x[t-n]) / (2 sum_n n^2).
 */
export function deltas(x: Float32Array, frames: number, dims: number, width = 2): Float32Array {
  const out = new Float32Array(frames * dims);
  let denom = 0;
  for (let n = 1; n <= width; n++) denom += 2 * n * n;
  const last = frames - 1;
  for (let t = 0; t < frames; t++) {
    for (let d = 0; d < dims; d++) {
      let acc = 0;
      for (let n = 1; n <= width; n++) {
        const a = Math.min(last, t + n);
        const b = Math.max(0, t - n);
        acc += n * (x[a * dims + d]! - x[b * dims + d]!);
      }
      out[t * dims + d] = acc / denom;
    }
  }
  return out;
}
