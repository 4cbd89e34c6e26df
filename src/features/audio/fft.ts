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
    // twiddles of the half-size complex FFT: w^k = exp(-2*pi*i*k/m)
    this.cosT = new Float64Array(m >> 1 || 1);
    this.sinT = new Float64Array(m >> 1 || 1);
    for (let k = 0; k < m >> 1; k++) {
      this.cosT[k] = Math.cos((2 * Math.PI * k) / m);
      this.sinT[k] = Math.sin((2 * Math.PI * k) / m);
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
    for (let len = 2; len <= m; len <<= 1) {
      const h = len >> 1;
      const step = m / len;
      for (let i = 0; i < m; i += len) {
        for (let j = 0, t = 0; j < h; j++, t += step) {
          const p = i + j;
          const q = p + h;
          const c = cosT[t]!;
          const s = sinT[t]!;
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
