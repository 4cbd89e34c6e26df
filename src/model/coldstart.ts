// The untrained default, so matching works before any model is trained: hand-paired descriptors in a
// small shared space. Loud audio sits near busy footage (energy ~ motion), many onsets near many cuts
// (onset rate ~ cut rate), bright timbre near bright pictures (spectral centroid ~ brightness), and the
// within-clip energy curve near the motion curve (synchrony). Values are squashed with fixed typical
// scales (x / (x + typical), 0.5 at the typical value) because there is no training split to fit on.
import { FEATURE_DIM } from '../core/types.js';
import { AUDIO_LAYOUT } from '../features/audio/layout.js';
import { VISUAL_LAYOUT } from '../features/visual/layout.js';

export const COLD_START_KIND = 'cold-start';
export const COLD_START_VERSION = '1';

/** Typical magnitudes of each descriptor on real material; see the layout files for units. */
const TYPICAL = {
  rms: 0.1,
  onsetRate: 2,
  centroid: 0.15,
  motion: 0.05,
  cut: 0.2,
  brightness: 0.4,
} as const;

/** Weight of the per-second synchrony dims relative to the three level dims. */
const CURVE_WEIGHT = 0.3;

const squash = (x: number, typical: number): number => {
  const v = Math.max(0, x);
  return v / (v + typical);
};

interface Channels {
  level: [number, number, number];
  curve: number;
}

export function coldStartDim(inputDim: number): number {
  return 3 + inputDim / FEATURE_DIM;
}

function embed(data: Float32Array, n: number, inputDim: number, read: (row: Float32Array, s: number) => Channels): Float32Array {
  if (data.length !== n * inputDim) throw new RangeError(`expected ${n}x${inputDim} values, got ${data.length}`);
  const seconds = inputDim / FEATURE_DIM;
  const dim = coldStartDim(inputDim);
  const out = new Float32Array(n * dim);
  const curve = new Float64Array(seconds);
  for (let i = 0; i < n; i++) {
    const row = data.subarray(i * inputDim, (i + 1) * inputDim);
    const level = [0, 0, 0];
    for (let s = 0; s < seconds; s++) {
      const c = read(row, s);
      for (let k = 0; k < 3; k++) level[k] = (level[k] as number) + (c.level[k] as number) / seconds;
      curve[s] = c.curve;
    }
    const base = i * dim;
    out.set(level, base);
    // z-scored within the clip: only the shape of the curve counts, its level is already above
    let mean = 0;
    for (const v of curve) mean += v / seconds;
    let sd = 0;
    for (const v of curve) sd += (v - mean) ** 2 / seconds;
    sd = Math.sqrt(sd);
    for (let s = 0; s < seconds; s++) out[base + 3 + s] = sd > 1e-9 ? (CURVE_WEIGHT * ((curve[s] as number) - mean)) / sd / Math.sqrt(seconds) : 0;
  }
  return out;
}

export function coldStartAudio(audio: Float32Array, n: number, inputDim: number): Float32Array {
  const L = AUDIO_LAYOUT;
  return embed(audio, n, inputDim, (row, s) => {
    const o = s * FEATURE_DIM;
    const rms = row[o + L.rms] as number;
    return {
      level: [squash(rms, TYPICAL.rms), squash(row[o + L.onsetRate] as number, TYPICAL.onsetRate), squash(row[o + L.centroid] as number, TYPICAL.centroid)],
      curve: rms,
    };
  });
}

export function coldStartVisual(visual: Float32Array, n: number, inputDim: number): Float32Array {
  const L = VISUAL_LAYOUT;
  return embed(visual, n, inputDim, (row, s) => {
    const o = s * FEATURE_DIM;
    const motion = row[o + L.motion] as number;
    return {
      level: [squash(motion, TYPICAL.motion), squash(row[o + L.cut] as number, TYPICAL.cut), squash(row[o + L.brightness] as number, TYPICAL.brightness)],
      curve: motion,
    };
  });
}
