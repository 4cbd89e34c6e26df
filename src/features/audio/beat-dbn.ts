// Beats from a beat activation (beat-net.ts) by a dynamic Bayesian network, after Krebs, Böck and Widmer (2015)
// as madmom's DBNBeatTrackingProcessor builds it, with the tempo tied to the tracker's tempo path (grid.ts): the
// hidden state is (beat interval in frames, frames since the last beat); the position advances one frame a frame,
// and at the end of an interval the next beat's interval j follows interval i with weight exp(-lambda |j/i - 1|)
// times the tempo prior at that frame, a log-normal around the tempo path (BEAT_DBN.sigma). The first 1/obsLambda
// of each interval are beat states: they see the activation a, the others (1 - a) / (obsLambda - 1). Viterbi
// decoding gives the beats (the frames where a new interval starts). Round 8 (docs/beats.md) measured it.

export interface BeatDbnOptions {
  /** how strongly the next interval keeps the last one (madmom's transition lambda) */
  lambda: number;
  /** the share 1/obsLambda of an interval that counts as on the beat */
  obsLambda: number;
  /** standard deviation of log tempo around the tempo path */
  sigma: number;
  /** intervals beyond `reach` times the tempo path's range (either way) are not states */
  reach: number;
}

export const BEAT_DBN: BeatDbnOptions = { lambda: 100, obsLambda: 16, sigma: 0.07, reach: 1.3 };

/** transitions whose weight is below e^-CUT of the best one are left out */
const CUT = 12;
const EPS = 1e-7;

/**
 * Beat frames (ascending) for `act` (a beat probability a frame, `fps` frames a second) whose tempo follows
 * `bpm` (the tempo path, one value a frame, as grid.ts tempoPath gives it). Empty for fewer than 2 frames.
 */
export function dbnBeats(act: ArrayLike<number>, bpm: ArrayLike<number>, fps: number, opts: Partial<BeatDbnOptions> = {}): number[] {
  const o = { ...BEAT_DBN, ...opts };
  const n = act.length;
  if (bpm.length !== n) throw new RangeError(`tempo path has ${bpm.length} frames, activation ${n}`);
  if (n < 2) return [];
  let lo = Infinity;
  let hi = 0;
  for (let t = 0; t < n; t++) {
    const b = bpm[t]!;
    if (!(b > 0) || !Number.isFinite(b)) throw new RangeError(`tempo path must be positive, got ${b} at frame ${t}`);
    lo = Math.min(lo, b);
    hi = Math.max(hi, b);
  }
  const minI = Math.max(2, Math.floor((60 * fps) / (hi * o.reach)));
  const maxI = Math.max(minI, Math.ceil((60 * fps * o.reach) / lo));
  const K = maxI - minI + 1;
  const len = (k: number) => minI + k;
  const first = new Int32Array(K + 1);
  for (let k = 0; k < K; k++) first[k + 1] = first[k]! + len(k);
  const S = first[K]!;
  // transitions into each interval's first state, from each interval's last state (log weights, each row sums to 1)
  const from: Int32Array[] = [];
  const logW: Float64Array[] = [];
  const rowSum = new Float64Array(K);
  for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) rowSum[a] = rowSum[a]! + Math.exp(-o.lambda * Math.abs(len(b) / len(a) - 1));
  for (let b = 0; b < K; b++) {
    const src: number[] = [];
    const w: number[] = [];
    for (let a = 0; a < K; a++) {
      const x = o.lambda * Math.abs(len(b) / len(a) - 1);
      if (x < CUT) {
        src.push(a);
        w.push(-x - Math.log(rowSum[a]!));
      }
    }
    from.push(Int32Array.from(src));
    logW.push(Float64Array.from(w));
  }
  // the beat states: the first ceil(len / obsLambda) positions of each interval
  const beatStates: number[] = [];
  for (let k = 0; k < K; k++) for (let p = 0; p < len(k) / o.obsLambda; p++) beatStates.push(first[k]! + p);
  // the tempo prior at a frame, recomputed only where the tempo path moves
  const prior = new Float64Array(K);
  let priorBpm = NaN;
  const setPrior = (t: number) => {
    if (bpm[t] === priorBpm) return;
    priorBpm = bpm[t]!;
    for (let k = 0; k < K; k++) {
      const z = Math.log((60 * fps) / len(k) / priorBpm) / o.sigma;
      prior[k] = -0.5 * z * z;
    }
  };
  // every state but the beat states sees log((1 - a) / (obsLambda - 1)): a constant a frame, which Viterbi may
  // leave out, so only the beat states get the difference
  const obs = (t: number, v: Float64Array) => {
    const a = Math.min(1 - EPS, Math.max(EPS, act[t]!));
    const d = Math.log(a) - Math.log((1 - a) / (o.obsLambda - 1));
    for (const s of beatStates) v[s] = v[s]! + d;
  };
  let v = new Float64Array(S);
  let w = new Float64Array(S);
  setPrior(0);
  for (let k = 0; k < K; k++) v.fill(prior[k]!, first[k]!, first[k + 1]!);
  obs(0, v);
  // back[t * K + b]: the interval before the beat that starts interval b at frame t (16 bits: a 1-hour song at
  // 62.5 frames a second and 100 intervals takes 45 MB)
  const back = K <= 65536 ? new Uint16Array(n * K) : new Int32Array(n * K);
  for (let t = 1; t < n; t++) {
    setPrior(t);
    for (let b = 0; b < K; b++) {
      const src = from[b]!;
      const lw = logW[b]!;
      let best = -Infinity;
      let arg = b;
      for (let j = 0; j < src.length; j++) {
        const x = v[first[src[j]! + 1]! - 1]! + lw[j]!;
        if (x > best) {
          best = x;
          arg = src[j]!;
        }
      }
      back[t * K + b] = arg;
      w[first[b]!] = best + prior[b]!;
      w.set(v.subarray(first[b]!, first[b + 1]! - 1), first[b]! + 1);
    }
    obs(t, w);
    [v, w] = [w, v];
  }
  let s = 0;
  for (let q = 1; q < S; q++) if (v[q]! > v[s]!) s = q;
  let k = 0;
  while (first[k + 1]! <= s) k++;
  let p = s - first[k]!;
  const beats: number[] = [];
  for (let t = n - 1; t >= 0; t--) {
    if (p > 0) {
      p--;
      continue;
    }
    beats.push(t);
    if (t > 0) {
      k = back[t * K + k]!;
      p = len(k) - 1;
    }
  }
  return beats.reverse();
}
