// Onset picking on an onset-strength envelope (see frames.ts: the rectified rise of log-mel power).
// A frame is an onset when it is the maximum of its neighbourhood, exceeds the local mean by `delta`
// (an adaptive threshold: steady noise raises the mean, not the count) and comes at least `wait` after
// the previous onset. The envelope is in log units, so `delta` does not depend on the signal's gain.

export interface PeakOptions {
  /** seconds before / after a frame within which it must be the maximum */
  preMax: number;
  postMax: number;
  /** seconds before / after a frame over which the local mean is taken */
  preAvg: number;
  postAvg: number;
  /** margin above the local mean, envelope units */
  delta: number;
  /** minimum seconds between onsets */
  wait: number;
}

export const DEFAULT_PEAKS: PeakOptions = { preMax: 0.03, postMax: 0.03, preAvg: 0.1, postAvg: 0.1, delta: 0.3, wait: 0.05 };

/** Frame indices of onsets in `env` sampled at `fps` frames per second, ascending. */
export function pickPeaks(env: Float32Array, fps: number, opts: Partial<PeakOptions> = {}): number[] {
  const o = { ...DEFAULT_PEAKS, ...opts };
  const n = env.length;
  const preMax = Math.max(0, Math.round(o.preMax * fps));
  const postMax = Math.max(0, Math.round(o.postMax * fps));
  const preAvg = Math.max(0, Math.round(o.preAvg * fps));
  const postAvg = Math.max(0, Math.round(o.postAvg * fps));
  const wait = Math.max(0, Math.round(o.wait * fps));
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + env[i]!;
  const peaks: number[] = [];
  let last = -Infinity;
  for (let t = 0; t < n; t++) {
    const v = env[t]!;
    if (!(v > 0) || t - last <= wait) continue;
    let isMax = true;
    const lo = Math.max(0, t - preMax);
    const hi = Math.min(n - 1, t + postMax);
    for (let j = lo; j <= hi; j++) {
      // ties go to the earliest frame so a flat-topped peak counts once
      if (env[j]! > v || (env[j]! === v && j < t)) {
        isMax = false;
        break;
      }
    }
    if (!isMax) continue;
    const a = Math.max(0, t - preAvg);
    const b = Math.min(n, t + postAvg + 1);
    const mean = (prefix[b]! - prefix[a]!) / (b - a);
    if (v < mean + o.delta) continue;
    peaks.push(t);
    last = t;
  }
  return peaks;
}
