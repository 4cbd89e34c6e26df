// Cheap per-second motion and colour cues, computed from the same sampled frames the CNN sees (no
// second decode). Pure and deterministic. All values lie in [0, 1] except the hue pair, in [-1, 1].
//
//  motion        mean |luma difference| between consecutive sampled frames (0.5 s apart at 2 fps)
//  cut           soft cut flag: how far the colour histogram jumps between consecutive frames, mapped
//                so ordinary motion stays near 0 and a scene change reaches 1 (max over the second)
//  brightness    mean luma (Rec. 601)
//  contrast      standard deviation of luma
//  saturation    mean HSV saturation
//  hueCos/Sin    saturation-weighted circular mean of hue, mean(s*cos h), mean(s*sin h): its angle is
//                the dominant hue and its length how saturated; grey gives (0, 0), never NaN
//  colourfulness Hasler & Suesstrunk (2003) colourfulness on 0..1 channels
import type { FrameBatch } from '../types.js';

export const CUE_NAMES = ['motion', 'cut', 'brightness', 'contrast', 'saturation', 'hueCos', 'hueSin', 'colourfulness'] as const;
export type CueName = (typeof CUE_NAMES)[number];
export const CUE_DIM = CUE_NAMES.length;

/** Histogram distance (half L1, 0..1) below which a change counts as motion, above CUT_HIGH as a cut. */
export const CUT_LOW = 0.2;
export const CUT_HIGH = 0.5;

/** 4x4x4 RGB bins: coarse enough that moving objects barely shift it, fine enough to see a new scene. */
const BINS = 4;
const HIST = BINS * BINS * BINS;
/** Pixel step: cues are averages, so every second pixel in each direction is plenty and 4x cheaper. */
const STEP = 2;

interface FrameStats {
  brightness: number;
  contrast: number;
  saturation: number;
  hueCos: number;
  hueSin: number;
  colourfulness: number;
  luma: Float32Array;
  hist: Float32Array;
}

function frameStats(rgb: Uint8Array, offset: number, width: number, height: number): FrameStats {
  const nx = Math.ceil(width / STEP);
  const ny = Math.ceil(height / STEP);
  const luma = new Float32Array(nx * ny);
  const hist = new Float32Array(HIST);
  let sumY = 0, sumY2 = 0, sumS = 0, sumHc = 0, sumHs = 0;
  let sumRg = 0, sumRg2 = 0, sumYb = 0, sumYb2 = 0;
  let p = 0;
  for (let y = 0; y < height; y += STEP) {
    let i = offset + y * width * 3;
    for (let x = 0; x < width; x += STEP, i += 3 * STEP) {
      const r = rgb[i]! / 255, g = rgb[i + 1]! / 255, b = rgb[i + 2]! / 255;
      const lum = 0.299 * r + 0.587 * g + 0.114 * b;
      luma[p++] = lum;
      sumY += lum;
      sumY2 += lum * lum;
      const max = Math.max(r, g, b), min = Math.min(r, g, b), chroma = max - min;
      if (chroma > 0) {
        const s = chroma / max;
        // Hue in sextants (0..6), then radians.
        let h: number;
        if (max === r) h = (g - b) / chroma + (g < b ? 6 : 0);
        else if (max === g) h = (b - r) / chroma + 2;
        else h = (r - g) / chroma + 4;
        const a = (h * Math.PI) / 3;
        sumS += s;
        sumHc += s * Math.cos(a);
        sumHs += s * Math.sin(a);
      }
      const rg = r - g, yb = 0.5 * (r + g) - b;
      sumRg += rg; sumRg2 += rg * rg; sumYb += yb; sumYb2 += yb * yb;
      const bin = ((rgb[i]! * BINS) >> 8) * BINS * BINS + ((rgb[i + 1]! * BINS) >> 8) * BINS + ((rgb[i + 2]! * BINS) >> 8);
      hist[bin]! += 1;
    }
  }
  const n = p;
  for (let k = 0; k < HIST; k++) hist[k]! /= n;
  const meanY = sumY / n;
  const mRg = sumRg / n, mYb = sumYb / n;
  const vRg = Math.max(0, sumRg2 / n - mRg * mRg), vYb = Math.max(0, sumYb2 / n - mYb * mYb);
  return {
    brightness: meanY,
    contrast: Math.sqrt(Math.max(0, sumY2 / n - meanY * meanY)),
    saturation: sumS / n,
    hueCos: sumHc / n,
    hueSin: sumHs / n,
    colourfulness: Math.min(1, Math.sqrt(vRg + vYb) + 0.3 * Math.sqrt(mRg * mRg + mYb * mYb)),
    luma,
    hist,
  };
}

const meanAbsDiff = (a: Float32Array, b: Float32Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return a.length ? s / a.length : 0;
};

const histDistance = (a: Float32Array, b: Float32Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / 2;
};

/** Maps a histogram distance to a soft cut flag in [0, 1]. */
export const cutStrength = (distance: number): number => Math.min(1, Math.max(0, (distance - CUT_LOW) / (CUT_HIGH - CUT_LOW)));

/** Which whole second frame `i` of a batch sampled at `fps` belongs to. */
export const secondOf = (i: number, fps: number): number => Math.floor(i / fps + 1e-9);

/**
 * Per-second cues from a frame batch: seconds * CUE_DIM values, second-major, in CUE_NAMES order.
 * Each second averages its frames (cut takes the max); motion and cut compare each frame with the
 * one before it, so a second's first transition may reach back into the previous second. Seconds
 * without frames are zero rows.
 */
export function computeCues(batch: FrameBatch, seconds: number): Float32Array {
  const { width, height, fps, count, rgb } = batch;
  const out = new Float32Array(seconds * CUE_DIM);
  const frames = new Array<number>(seconds).fill(0);
  const transitions = new Array<number>(seconds).fill(0);
  const frameLen = width * height * 3;
  let prev: FrameStats | undefined;
  for (let i = 0; i < count; i++) {
    const s = secondOf(i, fps);
    if (s >= seconds) break;
    const st = frameStats(rgb, i * frameLen, width, height);
    const row = s * CUE_DIM;
    out[row + 2]! += st.brightness;
    out[row + 3]! += st.contrast;
    out[row + 4]! += st.saturation;
    out[row + 5]! += st.hueCos;
    out[row + 6]! += st.hueSin;
    out[row + 7]! += st.colourfulness;
    frames[s]! += 1;
    if (prev) {
      out[row]! += meanAbsDiff(st.luma, prev.luma);
      out[row + 1] = Math.max(out[row + 1]!, cutStrength(histDistance(st.hist, prev.hist)));
      transitions[s]! += 1;
    }
    prev = st;
  }
  for (let s = 0; s < seconds; s++) {
    const row = s * CUE_DIM;
    if (transitions[s]! > 0) out[row]! /= transitions[s]!;
    if (frames[s]! > 0) for (let k = 2; k < CUE_DIM; k++) out[row + k]! /= frames[s]!;
  }
  return out;
}
