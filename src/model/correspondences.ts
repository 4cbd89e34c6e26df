// Checks the cross-modal correspondences a cold start could use on a library of real footage with its
// own soundtrack: Spearman rank correlation over clips of a clip-level audio statistic against a
// clip-level visual one, and for per-second curves the mean within-clip Pearson correlation. A pair
// that does not come out positive on real footage is not used (coldstart.ts lists the outcome).
import { FEATURE_DIM } from '../core/types.js';
import type { Dataset } from '../library/dataset.types.js';
import { AUDIO_LAYOUT as A } from '../features/audio/layout.js';
import { VISUAL_LAYOUT as V } from '../features/visual/layout.js';
import { meanOf, stdOf } from './coldstart.js';

type Stat = 'mean' | 'std';

interface LevelPair {
  name: string;
  audio: [number, Stat];
  visual: [number, Stat];
}

/** The hypotheses first, then the variation pairs the cold start uses. */
export const LEVEL_PAIRS: LevelPair[] = [
  { name: 'loudness (rms) ~ motion', audio: [A.rms, 'mean'], visual: [V.motion, 'mean'] },
  { name: 'onset rate ~ cut rate', audio: [A.onsetRate, 'mean'], visual: [V.cut, 'mean'] },
  { name: 'tempo ~ motion speed', audio: [A.tempo, 'mean'], visual: [V.motion, 'mean'] },
  { name: 'spectral centroid ~ image brightness', audio: [A.centroid, 'mean'], visual: [V.brightness, 'mean'] },
  { name: 'spectral centroid ~ colourfulness', audio: [A.centroid, 'mean'], visual: [V.colourfulness, 'mean'] },
  { name: 'spectral centroid ~ saturation', audio: [A.centroid, 'mean'], visual: [V.saturation, 'mean'] },
  { name: 'loudness variation ~ motion variation (std)', audio: [A.rms, 'std'], visual: [V.motion, 'std'] },
  { name: 'onset-rate variation ~ cut variation (std)', audio: [A.onsetRate, 'std'], visual: [V.cut, 'std'] },
  { name: 'timbre change (centroid std) ~ cut variation (std)', audio: [A.centroid, 'std'], visual: [V.cut, 'std'] },
];

export const CURVE_PAIRS: { name: string; audio: number; visual: number }[] = [
  { name: 'loudness curve ~ motion curve', audio: A.rms, visual: V.motion },
  { name: 'onset curve ~ cut curve', audio: A.onsetRate, visual: V.cut },
  { name: 'spectral centroid curve ~ brightness curve', audio: A.centroid, visual: V.brightness },
];

const ranks = (x: number[]): number[] => {
  const order = x.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(x.length);
  // ties share their mean rank
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) r[order[k]![1]] = (i + j) / 2;
    i = j + 1;
  }
  return r;
};

export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : Number.NaN;
}

export const spearman = (x: number[], y: number[]): number => pearson(ranks(x), ranks(y));

const realSeconds = (row: Float32Array, seconds: number): number[] => {
  const out: number[] = [];
  for (let s = 0; s < seconds; s++) {
    let pad = true;
    for (let k = 0; k < FEATURE_DIM && pad; k++) if (row[s * FEATURE_DIM + k] !== 0) pad = false;
    if (!pad) out.push(s);
  }
  return out;
};

export interface CorrespondenceReport {
  clips: number;
  levels: { name: string; spearman: number }[];
  curves: { name: string; meanWithinClipPearson: number; positiveClips: number; clipsWithVariation: number }[];
}

export function measureCorrespondences(ds: Dataset): CorrespondenceReport {
  const n = ds.clips.length;
  const rowA = (i: number) => ds.audio.subarray(i * ds.dim, (i + 1) * ds.dim);
  const rowV = (i: number) => ds.visual.subarray(i * ds.dim, (i + 1) * ds.dim);
  const real = Array.from({ length: n }, (_, i) => realSeconds(rowA(i), ds.seconds));
  const stat = (row: Float32Array, r: number[], [k, s]: [number, Stat]) => (s === 'mean' ? meanOf(row, r, k) : stdOf(row, r, k));
  const levels = LEVEL_PAIRS.map((p) => ({
    name: p.name,
    spearman: +spearman(
      real.map((r, i) => stat(rowA(i), r, p.audio)),
      real.map((r, i) => stat(rowV(i), r, p.visual)),
    ).toFixed(3),
  }));
  const curves = CURVE_PAIRS.map((p) => {
    const rs: number[] = [];
    real.forEach((r, i) => {
      if (r.length < 3) return;
      const c = pearson(
        r.map((s) => rowA(i)[s * FEATURE_DIM + p.audio]!),
        r.map((s) => rowV(i)[s * FEATURE_DIM + p.visual]!),
      );
      if (Number.isFinite(c)) rs.push(c);
    });
    return { name: p.name, meanWithinClipPearson: +(rs.reduce((a, b) => a + b, 0) / Math.max(1, rs.length)).toFixed(3), positiveClips: rs.filter((c) => c > 0).length, clipsWithVariation: rs.length };
  });
  return { clips: n, levels, curves };
}
