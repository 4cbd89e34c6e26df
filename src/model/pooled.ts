// Clip-level statistics instead of seconds side by side: per descriptor, the mean and the standard
// deviation over a clip's real seconds (zero-padded seconds past a short clip's end are left out).
// A 5-s clip becomes 256 values per modality instead of 640, and a 10-s clip 256 instead of 1280, so
// small libraries have far fewer inputs to fit. Time-shifted windows over a video's consecutive clips
// give many more training pairs than one per clip.
import type { Rng } from '../core/random.js';
import { FEATURE_DIM } from '../core/types.js';

/** Values per clip per modality after pooling: FEATURE_DIM means, then FEATURE_DIM standard deviations. */
export const POOLED_DIM = 2 * FEATURE_DIM;

export type InputKind = 'seconds' | 'stats';

const isPadding = (row: Float32Array, off: number): boolean => {
  for (let k = 0; k < FEATURE_DIM; k++) if (row[off + k] !== 0) return false;
  return true;
};

/** Pools `count` seconds of one modality starting at value offset `off` of `src` into `out` at `at`. */
function poolInto(src: Float32Array, off: number, count: number, out: Float32Array, at: number): void {
  const mean = new Float64Array(FEATURE_DIM);
  const sq = new Float64Array(FEATURE_DIM);
  let m = 0;
  for (let s = 0; s < count; s++) {
    const o = off + s * FEATURE_DIM;
    if (isPadding(src, o)) continue;
    m++;
    for (let k = 0; k < FEATURE_DIM; k++) {
      const x = src[o + k] as number;
      mean[k] = (mean[k] as number) + x;
      sq[k] = (sq[k] as number) + x * x;
    }
  }
  if (m === 0) return;
  for (let k = 0; k < FEATURE_DIM; k++) {
    const mu = (mean[k] as number) / m;
    out[at + k] = mu;
    out[at + FEATURE_DIM + k] = Math.sqrt(Math.max(0, (sq[k] as number) / m - mu * mu));
  }
}

/** (n x seconds*FEATURE_DIM) clip-major values -> (n x POOLED_DIM) statistics. */
export function poolClips(data: Float32Array, n: number, dim: number): Float32Array {
  if (dim % FEATURE_DIM !== 0 || data.length !== n * dim) throw new RangeError(`expected ${n} clips x ${dim} values (a multiple of ${FEATURE_DIM}), got ${data.length} values`);
  const out = new Float32Array(n * POOLED_DIM);
  for (let i = 0; i < n; i++) poolInto(data, i * dim, dim / FEATURE_DIM, out, i * POOLED_DIM);
  return out;
}

/** The model's input from raw clip values: pooled statistics, or the values as they are. */
export function modelInput(kind: InputKind, data: Float32Array, n: number, dim: number): Float32Array {
  return kind === 'stats' ? poolClips(data, n, dim) : data;
}

export interface ClipRef {
  videoId: string;
  index: number;
}

/** One window: `seconds` consecutive seconds of a video, read from the rows of one or two clips. */
export interface Window {
  /** [row, second within the clip] per second of the window */
  parts: Array<[number, number]>;
}

/**
 * Runs of consecutive clips (index c, c+1, ...) of one video among `rows`; windows never leave a run,
 * so no second of a clip outside `rows` (the test side) is ever read.
 */
export function clipRuns(clips: readonly ClipRef[], rows: readonly number[]): number[][] {
  const byVideo = new Map<string, number[]>();
  for (const r of rows) {
    const v = (clips[r] as ClipRef).videoId;
    const list = byVideo.get(v) ?? [];
    list.push(r);
    byVideo.set(v, list);
  }
  const runs: number[][] = [];
  for (const v of [...byVideo.keys()].sort()) {
    const list = (byVideo.get(v) as number[]).sort((a, b) => (clips[a] as ClipRef).index - (clips[b] as ClipRef).index);
    let cur: number[] = [];
    for (const r of list) {
      const prev = cur[cur.length - 1];
      if (prev !== undefined && (clips[r] as ClipRef).index !== (clips[prev] as ClipRef).index + 1) {
        runs.push(cur);
        cur = [];
      }
      cur.push(r);
    }
    if (cur.length) runs.push(cur);
  }
  return runs;
}

/**
 * Windows of `seconds` seconds over each run, starting at `phase` and then every `stride` seconds.
 * With stride = seconds they tile the run without overlap (one epoch's windows); with stride 1 they
 * are every shift (the closed-form fits).
 */
export function runWindows(runs: readonly number[][], seconds: number, stride: number, phase: (run: number) => number): Window[] {
  const out: Window[] = [];
  runs.forEach((run, ri) => {
    const total = run.length * seconds;
    for (let start = phase(ri); start + seconds <= total; start += stride) {
      const parts: Array<[number, number]> = [];
      for (let s = start; s < start + seconds; s++) parts.push([run[Math.floor(s / seconds)] as number, s % seconds]);
      out.push({ parts });
    }
  });
  return out;
}

/** One epoch's windows: each run tiled from a random phase, so every epoch sees other shifts of the clips. */
export function epochWindows(runs: readonly number[][], seconds: number, rng: Rng): Window[] {
  return runWindows(runs, seconds, seconds, (ri) => ((runs[ri] as number[]).length > 1 ? rng.int(seconds) : 0));
}

/** Pools windows of raw clip values (clip-major, `dim` = seconds * FEATURE_DIM per clip). */
export function poolWindows(data: Float32Array, dim: number, windows: readonly Window[]): Float32Array {
  const out = new Float32Array(windows.length * POOLED_DIM);
  const buf = new Float32Array(dim);
  windows.forEach((w, i) => {
    w.parts.forEach(([row, s], j) => buf.set(data.subarray(row * dim + s * FEATURE_DIM, row * dim + (s + 1) * FEATURE_DIM), j * FEATURE_DIM));
    poolInto(buf, 0, w.parts.length, out, i * POOLED_DIM);
  });
  return out;
}
