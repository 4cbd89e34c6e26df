// Synthetic libraries for tests and benchmarks: audio and footage that share a hidden cause, so a model
// that learns the relation retrieves well above chance while raw feature distance does not. Each clip
// has a shared cause z (part per video, part per clip) and a private cause per modality that a model
// must learn to ignore; every second mixes them with temporal jitter through a fixed random nonlinear
// map into 128 values, with per-dimension offsets and scales so that normalisation matters.
import { createRng } from '../core/random.js';
import type { Rng } from '../core/random.js';
import type { ClipRecord } from '../core/types.js';
import { FEATURE_DIM } from '../core/types.js';
import type { Dataset } from '../library/dataset.types.js';

export interface SyntheticOptions {
  clips: number;
  seed?: number;
  clipsPerVideo?: number;
  /** width of the shared hidden cause (8) */
  latent?: number;
  /** observation noise per value, relative to unit signal (1.5) */
  noise?: number;
  seconds?: number;
  /**
   * the footage sees the shared cause folded, |z|, while the sound sees z: a relation no linear map
   * between the two can express (z and |z| are uncorrelated), that a nonlinear model can learn
   */
  folded?: boolean;
  /**
   * causes drift second by second through each video (AR(1) with this correlation from one second to
   * the next) instead of being drawn per clip, and consecutive clips are consecutive stretches of it:
   * continuous footage, as real videos are, where time-shifted windows are genuine new pairs
   */
  drift?: number;
  /**
   * every clip holds the same per-second causes in its own order: clips differ only in when things
   * happen, so per-clip statistics (means, spreads) carry nothing and only the timing pairs sound with
   * picture - what a model of the seconds side by side can learn and a pooled linear model cannot
   */
  timing?: boolean;
}

const gaussians = (rng: Rng, n: number, scale = 1) => Float32Array.from({ length: n }, () => rng.normal() * scale);

export function syntheticDataset(opts: SyntheticOptions): Dataset {
  const rng = createRng(opts.seed ?? 1);
  const L = opts.latent ?? 8;
  const noise = opts.noise ?? 1.5;
  const seconds = opts.seconds ?? 10;
  const perVideo = opts.clipsPerVideo ?? 10;
  const dim = seconds * FEATURE_DIM;
  const inW = 2 * L; // shared + private cause
  const mapA = gaussians(rng, FEATURE_DIM * inW, 1 / Math.sqrt(inW));
  const mapV = gaussians(rng, FEATURE_DIM * inW, 1 / Math.sqrt(inW));
  const offset = (r: Rng) => Float32Array.from({ length: FEATURE_DIM }, () => r.normal() * 3);
  const scale = (r: Rng) => Float32Array.from({ length: FEATURE_DIM }, () => Math.exp(r.normal() * 1.2));
  const [offA, offV, scA, scV] = [offset(rng), offset(rng), scale(rng), scale(rng)];
  const audio = new Float32Array(opts.clips * dim);
  const visual = new Float32Array(opts.clips * dim);
  const clips: ClipRecord[] = [];
  let videoCause = gaussians(rng, L);
  const h = new Float32Array(inW);
  const emit = (out: Float32Array, base: number, map: Float32Array, off: Float32Array, sc: Float32Array, f: (x: number) => number) => {
    for (let k = 0; k < FEATURE_DIM; k++) {
      let s = 0;
      for (let j = 0; j < inW; j++) s += (map[k * inW + j] as number) * (h[j] as number);
      out[base + k] = (f(s) + noise * rng.normal()) * (sc[k] as number) + (off[k] as number);
    }
  };
  const drift = opts.drift;
  let z: Float32Array = new Float32Array(L);
  let privA = new Float32Array(L);
  let privV = new Float32Array(L);
  const beats = Array.from({ length: seconds }, () => gaussians(rng, L));
  const order = Array.from({ length: seconds }, (_, i) => i);
  const step = (x: Float32Array, rho: number) => x.map((v) => rho * v + Math.sqrt(1 - rho * rho) * rng.normal());
  for (let c = 0; c < opts.clips; c++) {
    const video = Math.floor(c / perVideo);
    if (c % perVideo === 0 && c > 0) videoCause = gaussians(rng, L);
    if (drift === undefined) {
      z = Float32Array.from({ length: L }, (_, j) => 0.6 * (videoCause[j] as number) + 0.8 * rng.normal());
      privA = gaussians(rng, L);
      privV = gaussians(rng, L);
    } else if (c % perVideo === 0) {
      z = gaussians(rng, L);
      privA = gaussians(rng, L);
      privV = gaussians(rng, L);
    }
    if (opts.timing) {
      for (let i = seconds - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j] as number, order[i] as number];
      }
    }
    for (let s = 0; s < seconds; s++) {
      const base = c * dim + s * FEATURE_DIM;
      if (opts.timing) z = beats[order[s] as number] as Float32Array;
      if (drift !== undefined && !(s === 0 && c % perVideo === 0)) {
        z = step(z, drift);
        privA = step(privA, drift);
        privV = step(privV, drift);
      }
      for (let j = 0; j < L; j++) {
        h[j] = (z[j] as number) + 0.3 * rng.normal();
        h[L + j] = (privA[j] as number) + 0.3 * rng.normal();
      }
      emit(audio, base, mapA, offA, scA, Math.tanh);
      for (let j = 0; j < L; j++) h[L + j] = (privV[j] as number) + 0.3 * rng.normal();
      if (opts.folded) for (let j = 0; j < L; j++) h[j] = Math.abs(h[j] as number);
      emit(visual, base, mapV, offV, scV, (x) => Math.max(0, x) + 0.2 * x);
    }
    clips.push({
      clipId: `syn${video}_${c % perVideo}`,
      videoId: `syn${video}`,
      index: c % perVideo,
      start: (c % perVideo) * seconds,
      duration: seconds,
      hasAudio: true,
      videoPath: `clips/syn${video}_${c % perVideo}.mp4`,
      audioPath: `clips/syn${video}_${c % perVideo}.wav`,
    });
  }
  return {
    clips,
    seconds,
    dim,
    audio,
    visual,
    extractors: { audio: { name: 'synthetic-audio', version: '1' }, visual: { name: 'synthetic-visual', version: '1' } },
  };
}
