// The untrained default, so matching works before any model is trained: hand-paired descriptors in a
// small shared space, each pair a correspondence checked on real footage with its own soundtrack
// (docs/model.md, "Cold start"; measured with `bench/model.bench.ts correspondences`). On 107 clips
// of 5 s from 23 videos of Debian packages (Spearman over clips):
//
//   spectral centroid (mean)     ~ colourfulness (mean)   +0.32   used
//   loudness variation (rms std) ~ motion variation       +0.18   used
//   timbre change (centroid std) ~ cut variation          +0.29   used
//   loudness curve ~ motion curve, within the clip        +0.14   used (mean per-clip Pearson)
//   onset curve ~ cut curve, within the clip              +0.16   used (mean per-clip Pearson)
//   loudness (rms mean) ~ motion (mean)                   +0.01   not used: does not hold
//   onset rate ~ cut rate (means)                         -0.04   not used: does not hold
//   tempo ~ motion (means)                                -0.14   not used: reversed
//   spectral centroid ~ image brightness (means)          -0.06   not used: does not hold
//
// Each side maps its descriptors to z-like values with fixed typical levels and spreads of real
// footage (there is no training split to fit on), weights channel c by sqrt(rho_c) on both sides so
// that the dot product is the rho-weighted sum of agreements, and is L2-normalised: cosine ranking.
import { FEATURE_DIM } from '../core/types.js';
import { AUDIO_LAYOUT } from '../features/audio/layout.js';
import { VISUAL_LAYOUT } from '../features/visual/layout.js';

export const COLD_START_KIND = 'cold-start';
export const COLD_START_VERSION = '2';

/**
 * A channel's typical value and spread on real footage (median and interquartile range / 1.349 over
 * the clips of the measurement library); `log` channels are compared as ln(x + eps). Visual cues are
 * the library-standardised values the dataset holds (composeVisual), so their typical values are in
 * those units.
 */
interface Scale {
  mid: number;
  spread: number;
  log?: number;
}

const lin = (q25: number, q50: number, q75: number): Scale => ({ mid: q50, spread: Math.max(1e-6, (q75 - q25) / 1.349) });
const logScale = (q25: number, q50: number, q75: number, eps: number): Scale => ({
  mid: Math.log(q50 + eps),
  spread: Math.max(1e-6, (Math.log(q75 + eps) - Math.log(q25 + eps)) / 1.349),
  log: eps,
});

const z = (x: number, s: Scale): number => {
  const v = s.log !== undefined ? Math.log(Math.max(0, x) + s.log) : x;
  return Math.max(-4, Math.min(4, (v - s.mid) / s.spread));
};

/** Quartiles measured on the real footage (bench/model.bench.ts correspondences). */
const AUDIO_SCALES = {
  centroidMean: lin(0.149, 0.1673, 0.221),
  rmsStd: logScale(0.0075, 0.0181, 0.0315, 1e-3),
  centroidStd: logScale(0.012, 0.0278, 0.0386, 2e-3),
};
const VISUAL_SCALES = {
  colourfulnessMean: lin(-0.5456, -0.076, 0.5209),
  motionStd: logScale(0.0934, 0.2897, 0.5563, 0.02),
  cutStd: logScale(0, 0.0661, 0.8346, 0.05),
};

/** Measured correlations of the channels in use, their weights. */
export const COLD_START_CHANNELS = [
  { audio: 'spectral centroid (mean)', visual: 'colourfulness (mean)', rho: 0.32 },
  { audio: 'loudness variation (rms std)', visual: 'motion variation (std)', rho: 0.18 },
  { audio: 'timbre change (centroid std)', visual: 'cut variation (std)', rho: 0.29 },
  { audio: 'loudness curve', visual: 'motion curve', rho: 0.14 },
  { audio: 'onset curve', visual: 'cut curve', rho: 0.16 },
] as const;

const W = COLD_START_CHANNELS.map((c) => Math.sqrt(c.rho));
const LEVELS = 3;
const CURVES = 2;

export function coldStartDim(inputDim: number): number {
  return LEVELS + CURVES * (inputDim / FEATURE_DIM);
}

interface Reader {
  /** the three level channels from the clip's real seconds */
  levels: (row: Float32Array, real: number[]) => [number, number, number];
  /** the two per-second curves */
  curves: (row: Float32Array, s: number) => [number, number];
}

const isPad = (row: Float32Array, o: number): boolean => {
  for (let k = 0; k < FEATURE_DIM; k++) if (row[o + k] !== 0) return false;
  return true;
};

export const meanOf = (row: Float32Array, real: number[], k: number): number => real.reduce((a, s) => a + (row[s * FEATURE_DIM + k] as number), 0) / Math.max(1, real.length);
export const stdOf = (row: Float32Array, real: number[], k: number): number => {
  const m = meanOf(row, real, k);
  return Math.sqrt(real.reduce((a, s) => a + ((row[s * FEATURE_DIM + k] as number) - m) ** 2, 0) / Math.max(1, real.length));
};

function embed(data: Float32Array, n: number, inputDim: number, reader: Reader): Float32Array {
  if (data.length !== n * inputDim) throw new RangeError(`expected ${n}x${inputDim} values, got ${data.length}`);
  const seconds = inputDim / FEATURE_DIM;
  const dim = coldStartDim(inputDim);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const row = data.subarray(i * inputDim, (i + 1) * inputDim);
    const real: number[] = [];
    for (let s = 0; s < seconds; s++) if (!isPad(row, s * FEATURE_DIM)) real.push(s);
    // a clip with no real second (all padding) stays all zero: it matches nothing in particular
    if (real.length === 0) continue;
    const base = i * dim;
    const v = out.subarray(base, base + dim);
    reader.levels(row, real).forEach((x, c) => (v[c] = (W[c] as number) * x));
    for (let c = 0; c < CURVES; c++) {
      // z-scored within the clip: only the shape counts; scaled so the curve part's dot product is the
      // within-clip Pearson correlation times the channel weight
      const curve = real.map((s) => reader.curves(row, s)[c] as number);
      const m = curve.reduce((a, b) => a + b, 0) / Math.max(1, curve.length);
      const sd = Math.sqrt(curve.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, curve.length));
      if (!(sd > 1e-9)) continue;
      const w = (W[LEVELS + c] as number) / Math.sqrt(curve.length);
      real.forEach((s, j) => (v[LEVELS + c * seconds + s] = (w * ((curve[j] as number) - m)) / sd));
    }
    let norm = 0;
    for (const x of v) norm += x * x;
    norm = Math.sqrt(norm);
    if (norm > 1e-12) for (let k = 0; k < dim; k++) v[k] = (v[k] as number) / norm;
  }
  return out;
}

export function coldStartAudio(audio: Float32Array, n: number, inputDim: number): Float32Array {
  const L = AUDIO_LAYOUT;
  return embed(audio, n, inputDim, {
    levels: (row, real) => [z(meanOf(row, real, L.centroid), AUDIO_SCALES.centroidMean), z(stdOf(row, real, L.rms), AUDIO_SCALES.rmsStd), z(stdOf(row, real, L.centroid), AUDIO_SCALES.centroidStd)],
    curves: (row, s) => [row[s * FEATURE_DIM + L.rms] as number, row[s * FEATURE_DIM + L.onsetRate] as number],
  });
}

export function coldStartVisual(visual: Float32Array, n: number, inputDim: number): Float32Array {
  const L = VISUAL_LAYOUT;
  return embed(visual, n, inputDim, {
    levels: (row, real) => [z(meanOf(row, real, L.colourfulness), VISUAL_SCALES.colourfulnessMean), z(stdOf(row, real, L.motion), VISUAL_SCALES.motionStd), z(stdOf(row, real, L.cut), VISUAL_SCALES.cutStd)],
    curves: (row, s) => [row[s * FEATURE_DIM + L.motion] as number, row[s * FEATURE_DIM + L.cut] as number],
  });
}
