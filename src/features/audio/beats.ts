// Dynamic-programming beat tracking after Ellis (2007), "Beat Tracking by Dynamic Programming":
// choose beat frames that land on strong onsets while keeping successive gaps close to the period.
// cum[t] = local[t] + max_p (cum[p] - tightness * ln((t - p) / period)^2), p in [t - 2P, t - P/2].

export interface BeatOptions {
  /** how strongly gaps are held to the period; librosa's default */
  tightness: number;
}

/** Beat frame indices (ascending) for an onset envelope at `fps` and a tempo in BPM; [] if bpm <= 0. */
export function trackBeats(env: Float32Array, fps: number, bpm: number, opts: Partial<BeatOptions> = {}): number[] {
  const tightness = opts.tightness ?? 100;
  const n = env.length;
  if (!(bpm > 0) || n < 3) return [];
  const period = (60 * fps) / bpm;
  if (!(period >= 1)) return [];

  let mean = 0;
  for (let t = 0; t < n; t++) mean += env[t]!;
  mean /= n;
  let varSum = 0;
  for (let t = 0; t < n; t++) varSum += (env[t]! - mean) ** 2;
  const std = Math.sqrt(varSum / (n - 1));
  if (!(std > 1e-9)) return [];

  // local score: the envelope smoothed by a Gaussian a 32nd of a period wide
  const half = Math.round(period);
  const kernel = new Float64Array(2 * half + 1);
  for (let j = -half; j <= half; j++) kernel[j + half] = Math.exp(-0.5 * ((j * 32) / period) ** 2);
  const local = new Float64Array(n);
  let localMax = 0;
  for (let t = 0; t < n; t++) {
    let acc = 0;
    const lo = Math.max(-half, -t);
    const hi = Math.min(half, n - 1 - t);
    for (let j = lo; j <= hi; j++) acc += kernel[j + half]! * env[t + j]!;
    local[t] = acc / std;
    if (local[t]! > localMax) localMax = local[t]!;
  }
  if (!(localMax > 0)) return [];

  const minGap = Math.max(1, Math.round(period / 2));
  const maxGap = Math.round(2 * period);
  const penalty = new Float64Array(maxGap + 1);
  for (let g = minGap; g <= maxGap; g++) penalty[g] = -tightness * Math.log(g / period) ** 2;
  const cum = new Float64Array(n);
  const back = new Int32Array(n).fill(-1);
  const startThresh = 0.01 * localMax;
  let started = false;
  for (let t = 0; t < n; t++) {
    let best = -Infinity;
    let arg = -1;
    for (let g = minGap; g <= maxGap && g <= t; g++) {
      const s = cum[t - g]! + penalty[g]!;
      if (s > best) {
        best = s;
        arg = t - g;
      }
    }
    // before the first real onset there is nothing to chain from
    if (!started || arg < 0) {
      cum[t] = local[t]!;
      if (local[t]! >= startThresh) started = true;
    } else {
      cum[t] = local[t]! + best;
      back[t] = arg;
    }
  }

  // the last beat: the best cumulative score within the final period (Ellis). Choosing among all late
  // local maxima instead lets the chain run on past the music along weak off-beat bumps.
  let last = n - 1;
  for (let t = Math.max(0, n - Math.round(period)); t < n; t++) if (cum[t]! > cum[last]!) last = t;
  const beats: number[] = [];
  for (let b = last; b >= 0; b = back[b]!) beats.push(b);
  beats.reverse();
  return trimWeak(beats, local);
}

/** Drops leading and trailing beats whose local score is under half the RMS over all beats (fade-ins,
 * fade-outs and silence, where the DP still lays down a regular grid). */
function trimWeak(beats: number[], local: Float64Array): number[] {
  if (beats.length === 0) return beats;
  let sq = 0;
  for (const b of beats) sq += local[b]! ** 2;
  const thresh = 0.5 * Math.sqrt(sq / beats.length);
  let a = 0;
  let z = beats.length;
  while (a < z && local[beats[a]!]! < thresh) a++;
  while (z > a && local[beats[z - 1]!]! < thresh) z--;
  return beats.slice(a, z);
}
