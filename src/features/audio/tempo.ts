// Tempo from the autocorrelation of an onset envelope, weighted by a log-normal prior around 120 BPM
// (one octave standard deviation, as in Ellis 2007 / librosa): periodicities at half or double the
// felt beat score almost as well as the beat itself, and the prior settles the octave.

export interface TempoOptions {
  minBpm: number;
  maxBpm: number;
  priorBpm: number;
  /** standard deviation of the prior, in octaves */
  priorOctaves: number;
  /** below this normalised autocorrelation the signal is called unpulsed: bpm 0. The bar is raised to
   * 4/sqrt(frames) on short windows, where noise alone reaches ~1/sqrt(frames) at some lag. */
  minStrength: number;
  /** an envelope whose standard deviation is below this (log units) is steady: bpm 0 */
  minDeviation: number;
}

export const DEFAULT_TEMPO: TempoOptions = { minBpm: 40, maxBpm: 240, priorBpm: 120, priorOctaves: 1, minStrength: 0.1, minDeviation: 0.01 };

export interface TempoEstimate {
  /** beats per minute, 0 when no periodicity is strong enough */
  bpm: number;
  /** autocorrelation at the chosen lag over that at lag 0, in [0, 1] */
  strength: number;
}

const NONE: TempoEstimate = { bpm: 0, strength: 0 };
/** Gaussian smoothing of the envelope before autocorrelation. Onsets are one or two frames wide, so a
 * beat period that is not a whole number of frames splits its autocorrelation peak over two lags and
 * loses to a multiple of itself that happens to land on one; smoothing merges the halves. */
const SMOOTH_SECONDS = 0.016;

function smooth(env: Float32Array, start: number, end: number, sigma: number): Float64Array {
  const radius = Math.ceil(3 * sigma);
  const kernel = new Float64Array(2 * radius + 1);
  for (let j = -radius; j <= radius; j++) kernel[j + radius] = Math.exp(-0.5 * (j / sigma) ** 2);
  const out = new Float64Array(end - start);
  for (let t = start; t < end; t++) {
    let acc = 0;
    let wsum = 0;
    const lo = Math.max(start, t - radius);
    const hi = Math.min(end - 1, t + radius);
    for (let u = lo; u <= hi; u++) {
      const w = kernel[u - t + radius]!;
      acc += w * env[u]!;
      wsum += w;
    }
    out[t - start] = acc / wsum;
  }
  return out;
}

/** Tempo of env[start, end) sampled at `fps` frames per second. */
export function estimateTempo(
  env: Float32Array,
  fps: number,
  start = 0,
  end = env.length,
  opts: Partial<TempoOptions> = {},
): TempoEstimate {
  const o = { ...DEFAULT_TEMPO, ...opts };
  const n = end - start;
  const lmin = Math.max(1, Math.floor((60 * fps) / o.maxBpm));
  const lmax = Math.min(Math.ceil((60 * fps) / o.minBpm), Math.floor(n / 2));
  if (lmax < lmin + 2) return NONE;
  const x = smooth(env, start, end, Math.max(0.5, SMOOTH_SECONDS * fps));
  let mean = 0;
  for (let t = 0; t < n; t++) mean += x[t]!;
  mean /= n;
  let ac0 = 0;
  for (let t = 0; t < n; t++) {
    const v = x[t]! - mean;
    x[t] = v;
    ac0 += v * v;
  }
  if (!(ac0 > o.minDeviation * o.minDeviation * n)) return NONE;
  const lo = Math.max(1, lmin - 1);
  const hi = lmax + 1;
  const ac = new Float64Array(hi + 1);
  for (let lag = lo; lag <= hi && lag < n; lag++) {
    let acc = 0;
    for (let t = 0; t + lag < n; t++) acc += x[t]! * x[t + lag]!;
    ac[lag] = acc / ac0;
  }
  let best = -1;
  let bestScore = 0;
  for (let lag = lmin; lag <= lmax; lag++) {
    const bpm = (60 * fps) / lag;
    const oct = Math.log2(bpm / o.priorBpm) / o.priorOctaves;
    const score = ac[lag]! * Math.exp(-0.5 * oct * oct);
    if (score > bestScore) {
      bestScore = score;
      best = lag;
    }
  }
  if (best < 0) return NONE;
  const strength = Math.min(1, Math.max(0, ac[best]!));
  // parabolic interpolation: integer lags quantise 120 BPM at 62.5 fps to 117 or 121 BPM
  const y0 = ac[best - 1] ?? 0;
  const y1 = ac[best]!;
  const y2 = ac[best + 1] ?? 0;
  const den = y0 - 2 * y1 + y2;
  const shift = den < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (y0 - y2)) / den)) : 0;
  const bpm = (60 * fps) / (best + shift);
  return strength < Math.max(o.minStrength, 4 / Math.sqrt(n)) ? { bpm: 0, strength } : { bpm, strength };
}
