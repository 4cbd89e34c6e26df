// Real-input FFT. A length-n real signal is packed into a length-n/2 complex signal (even samples real,
// odd samples imaginary), transformed with an iterative radix-2 FFT over precomputed twiddles and then
// split back into the n/2+1 non-negative frequency bins: half the work of a complex FFT of size n.

const isPowerOfTwo = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

export class RealFFT {
  readonly size: number;
  /** number of non-negative frequency bins, size/2 + 1 */
  readonly bins: number;
  private readonly half: number;
  private readonly rev: Uint32Array;
  /** per-stage twiddles: stage with half-length h uses entries [h, 2h) */
  private readonly cosT: Float64Array;
  private readonly sinT: Float64Array;
  private readonly cosU: Float64Array;
  private readonly sinU: Float64Array;
  private readonly zr: Float64Array;
  private readonly zi: Float64Array;

  constructor(size: number) {
    if (!isPowerOfTwo(size) || size < 4) throw new RangeError(`FFT size must be a power of two >= 4, got ${size}`);
    this.size = size;
    const m = size >> 1;
    this.half = m;
    this.bins = m + 1;
    const bits = Math.log2(m);
    this.rev = new Uint32Array(m);
    for (let i = 0; i < m; i++) {
      let r = 0;
      for (let b = 0, v = i; b < bits; b++, v >>= 1) r = (r << 1) | (v & 1);
      this.rev[i] = r;
    }
    // twiddles of the half-size complex FFT, laid out per stage so the inner loop reads them in order:
    // entry h + j = exp(-2*pi*i*j/(2h))
    this.cosT = new Float64Array(Math.max(2, m));
    this.sinT = new Float64Array(Math.max(2, m));
    for (let h = 1; h < m; h <<= 1) {
      for (let j = 0; j < h; j++) {
        this.cosT[h + j] = Math.cos((Math.PI * j) / h);
        this.sinT[h + j] = Math.sin((Math.PI * j) / h);
      }
    }
    // twiddles of the final split: exp(-2*pi*i*k/n)
    this.cosU = new Float64Array(m + 1);
    this.sinU = new Float64Array(m + 1);
    for (let k = 0; k <= m; k++) {
      this.cosU[k] = Math.cos((2 * Math.PI * k) / size);
      this.sinU[k] = Math.sin((2 * Math.PI * k) / size);
    }
    this.zr = new Float64Array(m);
    this.zi = new Float64Array(m);
  }

  /**
   * Spectrum of input[0..size) into re/im (length >= bins). Deterministic; allocates nothing.
   * Works on Float32Array, Float64Array or any numeric array.
   */
  forward(input: ArrayLike<number>, re: Float64Array, im: Float64Array): void {
    if (input.length < this.size) throw new RangeError(`FFT input has ${input.length} samples, needs ${this.size}`);
    const m = this.half;
    const zr = this.zr;
    const zi = this.zi;
    const rev = this.rev;
    for (let k = 0; k < m; k++) {
      const j = rev[k]!;
      zr[j] = input[2 * k]!;
      zi[j] = input[2 * k + 1]!;
    }
    this.transform();
    const cosU = this.cosU;
    const sinU = this.sinU;
    // X[k] = E[k] + W^k O[k], with E, O the spectra of the even and odd samples recovered from Z
    for (let k = 0; k <= m; k++) {
      const a = k === m ? 0 : k;
      const b = k === 0 ? 0 : m - k;
      const ar = zr[a]!;
      const ai = zi[a]!;
      const br = zr[b]!;
      const bi = zi[b]!;
      const er = 0.5 * (ar + br);
      const ei = 0.5 * (ai - bi);
      const or = 0.5 * (ai + bi);
      const oi = -0.5 * (ar - br);
      const c = cosU[k]!;
      const s = sinU[k]!;
      re[k] = er + c * or + s * oi;
      im[k] = ei + c * oi - s * or;
    }
  }

  /** |X[k]|^2 for k in [0, bins), into out. */
  power(input: ArrayLike<number>, out: Float64Array, re: Float64Array, im: Float64Array): void {
    this.forward(input, re, im);
    for (let k = 0; k < this.bins; k++) out[k] = re[k]! * re[k]! + im[k]! * im[k]!;
  }

  private transform(): void {
    const m = this.half;
    const zr = this.zr;
    const zi = this.zi;
    const cosT = this.cosT;
    const sinT = this.sinT;
    // the first two stages need no multiplications (twiddles 1 and -i)
    for (let p = 0; p < m; p += 2) {
      const ar = zr[p]!;
      const ai = zi[p]!;
      const br = zr[p + 1]!;
      const bi = zi[p + 1]!;
      zr[p] = ar + br;
      zi[p] = ai + bi;
      zr[p + 1] = ar - br;
      zi[p + 1] = ai - bi;
    }
    if (m >= 4) {
      for (let p = 0; p < m; p += 4) {
        const ar = zr[p]!;
        const ai = zi[p]!;
        const br = zr[p + 1]!;
        const bi = zi[p + 1]!;
        const cr = zr[p + 2]!;
        const ci = zi[p + 2]!;
        // d * (-i) = (di, -dr)
        const dr = zi[p + 3]!;
        const di = -zr[p + 3]!;
        zr[p] = ar + cr;
        zi[p] = ai + ci;
        zr[p + 2] = ar - cr;
        zi[p + 2] = ai - ci;
        zr[p + 1] = br + dr;
        zi[p + 1] = bi + di;
        zr[p + 3] = br - dr;
        zi[p + 3] = bi - di;
      }
    }
    for (let h = 4; h < m; h <<= 1) {
      const len = h << 1;
      for (let i = 0; i < m; i += len) {
        for (let j = 0; j < h; j++) {
          const p = i + j;
          const q = p + h;
          const c = cosT[h + j]!;
          const s = sinT[h + j]!;
          const xr = zr[q]!;
          const xi = zi[q]!;
          const tr = xr * c + xi * s;
          const ti = xi * c - xr * s;
          const ur = zr[p]!;
          const ui = zi[p]!;
          zr[p] = ur + tr;
          zi[p] = ui + ti;
          zr[q] = ur - tr;
          zi[q] = ui - ti;
        }
      }
    }
  }
}

/** Periodic Hann window (the STFT convention: overlap-adds to a constant at hop = size/2). */
export function hann(size: number): Float64Array {
  const w = new Float64Array(size);
  for (let i = 0; i < size; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size);
  return w;
}
