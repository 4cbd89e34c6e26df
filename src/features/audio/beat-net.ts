// A learned beat activation: a small temporal convolutional network (as Davies and Böck's TCN beat tracker,
// "Temporal convolutional networks for musical audio beat tracking", EUSIPCO 2019) over the frame analysis'
// onset envelopes and harmonic band powers, giving per frame the probability that a beat falls there. The
// tracker (grid.ts trackGrid) weighs how much more it peaks on a grid's beats than halfway between them when it
// chooses the phase. (The network alone, with its own tempo path and DP, is measured by the training script,
// bench/beats/beat-net-train.ts, and not shipped.)
//
// Inputs (NET_INPUTS a frame): the full, low, mid and high band onsets and the kick onsets, the low bands' and the
// RMS level's frame-to-frame change, the rise of each of the 40 harmonic bands' log power, and the spectral change
// over 0.1 and 0.25 s. Onsets are rises of log power, so loudness matters only near the onset detector's noise
// floor; each is divided by its mean over the song, so a band's share of the mix does not.
// Network: a 1x1 layer to `width` channels, then layers of a kernel-3 convolution dilated 1, 2, 4, ... (ELU,
// residual), a 1x1 layer to one logistic output; optionally (round 7, measured, not shipped) a tempo head: each
// layer's output averaged over the song, to a softmax over tempo bins. Weights are fitted by bench/beats/beat-net-train.ts on the
// beat bench's songs and kept in beat-net.weights.json; this file only runs them, in plain TypeScript.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { kickOnsets } from './grid.js';
import { spectralChange } from './grid-select.js';

const HARMONIC_RISES = 40;
export const NET_INPUTS = 7 + HARMONIC_RISES + 2;

export interface NetRows {
  onset: ArrayLike<number>;
  onsetLow: ArrayLike<number>;
  onsetMid: ArrayLike<number>;
  onsetHigh: ArrayLike<number>;
  lowLevel: ArrayLike<number>;
  rms: ArrayLike<number>;
  /** count * bands log band powers */
  harmonic: Float32Array;
}

/** x / its mean over the song, compressed: onsets of any loudness on one scale. */
function scaleOnsets(x: ArrayLike<number>, out: Float32Array, c: number, C: number): void {
  const n = x.length;
  let m = 0;
  for (let t = 0; t < n; t++) m += Math.max(0, x[t]!);
  m = m / Math.max(1, n) + 1e-9;
  for (let t = 0; t < n; t++) out[t * C + c] = Math.log1p(Math.max(0, x[t]!) / m);
}

/** The frame-to-frame change of a level, over its standard deviation. */
function scaleChange(x: ArrayLike<number>, out: Float32Array, c: number, C: number, log: boolean): void {
  const n = x.length;
  const v = (t: number) => (log ? Math.log(1e-5 + Math.max(0, x[t]!)) : x[t]!);
  const d = new Float64Array(n);
  let s = 0;
  for (let t = 1; t < n; t++) {
    d[t] = v(t) - v(t - 1);
    s += d[t]! * d[t]!;
  }
  const r = Math.sqrt(s / Math.max(1, n)) + 1e-9;
  for (let t = 0; t < n; t++) out[t * C + c] = Math.max(-4, Math.min(4, d[t]! / r));
}

/** The network's input rows: `count * NET_INPUTS`, frame-major. */
export function netInputs(rows: NetRows, bands: number, fps: number): Float32Array {
  const n = rows.onset.length;
  const C = NET_INPUTS;
  const out = new Float32Array(n * C);
  scaleOnsets(rows.onset, out, 0, C);
  scaleOnsets(rows.onsetLow, out, 1, C);
  scaleOnsets(rows.onsetMid, out, 2, C);
  scaleOnsets(rows.onsetHigh, out, 3, C);
  scaleOnsets(kickOnsets(rows.onsetLow, rows.lowLevel, fps), out, 4, C);
  scaleChange(rows.lowLevel, out, 5, C, false);
  scaleChange(rows.rms, out, 6, C, true);
  const rise = new Float64Array(n);
  for (let g = 0; g < HARMONIC_RISES; g++) {
    rise.fill(0);
    if (g < bands) for (let t = 1; t < n; t++) rise[t] = Math.max(0, rows.harmonic[t * bands + g]! - rows.harmonic[(t - 1) * bands + g]!);
    scaleOnsets(rise, out, 7 + g, C);
  }
  scaleOnsets(spectralChange(rows.harmonic, bands, Math.max(1, Math.round(0.1 * fps))), out, 7 + HARMONIC_RISES, C);
  scaleOnsets(spectralChange(rows.harmonic, bands, Math.max(1, Math.round(0.25 * fps))), out, 8 + HARMONIC_RISES, C);
  return out;
}

export interface BeatNetWeights {
  width: number;
  dilations: number[];
  /** [NET_INPUTS x width] row-major, then bias [width] */
  inW: number[];
  inB: number[];
  /** per layer: [3*width x width] (taps t-d, t, t+d stacked), bias [width] */
  convW: number[][];
  convB: number[][];
  /** [width], bias */
  outW: number[];
  outB: number;
  /** a tempo head (optional): the mean over the song of every layer's output (layers x width values) to a
   * softmax over `bpm` (bin centres, ascending); `w` is [layers*width x bins] row-major, `b` [bins] */
  tempo?: { bpm: number[]; w: number[]; b: number[] };
}

export interface BeatNetOutput {
  /** per frame, the probability that a beat falls there */
  activation: Float32Array;
  /** the tempo head's probabilities over `weights.tempo.bpm`, or null where the weights have no tempo head */
  tempo: Float64Array | null;
}

const elu = (v: number) => (v > 0 ? v : Math.expm1(v));

/** The weights as typed arrays (about twice as fast to read in the inner loops), made once per weights object. */
const typed = new WeakMap<BeatNetWeights, { inW: Float64Array; inB: Float64Array; convW: Float64Array[]; convB: Float64Array[]; outW: Float64Array }>();
function typedWeights(w: BeatNetWeights) {
  let t = typed.get(w);
  if (!t) typed.set(w, (t = { inW: Float64Array.from(w.inW), inB: Float64Array.from(w.inB), convW: w.convW.map((k) => Float64Array.from(k)), convB: w.convB.map((b) => Float64Array.from(b)), outW: Float64Array.from(w.outW) }));
  return t;
}

/** Per-frame beat probability for `inputs` (netInputs' rows). */
export function beatActivation(w: BeatNetWeights, inputs: Float32Array): Float32Array {
  return beatNet(w, inputs).activation;
}

/** The beat activation and, where the weights have one, the tempo head's probabilities. Channels are kept one
 * after another (channel-major) so every product runs along frames: y[t] += k * x[t + shift], which the JIT
 * makes fast. */
export function beatNet(w: BeatNetWeights, inputs: Float32Array): BeatNetOutput {
  const C = NET_INPUTS;
  const W = w.width;
  const n = Math.floor(inputs.length / C);
  const tw = typedWeights(w);
  const x = new Float64Array(C * n);
  for (let t = 0; t < n; t++) for (let i = 0; i < C; i++) x[i * n + t] = inputs[t * C + i]!;
  const h = new Float64Array(W * n);
  for (let j = 0; j < W; j++) {
    const hj = h.subarray(j * n, (j + 1) * n);
    hj.fill(tw.inB[j]!);
    for (let i = 0; i < C; i++) {
      const k = tw.inW[i * W + j]!;
      const xi = x.subarray(i * n, (i + 1) * n);
      for (let t = 0; t < n; t++) hj[t]! += k * xi[t]!;
    }
  }
  const acc = new Float64Array(W * n);
  const L = w.dilations.length;
  // the tempo head's input: each layer's output averaged over the frames
  const pooled = new Float64Array(L * W);
  for (let l = 0; l < L; l++) {
    const d = w.dilations[l]!;
    const K = tw.convW[l]!;
    const B = tw.convB[l]!;
    for (let j = 0; j < W; j++) acc.fill(B[j]!, j * n, (j + 1) * n);
    for (let tap = 0; tap < 3; tap++) {
      // output frame t reads input frame t + shift; frames outside the song read zero
      const shift = (tap - 1) * d;
      const t0 = Math.max(0, -shift);
      const t1 = Math.min(n, n - shift);
      if (t1 <= t0) continue;
      for (let i = 0; i < W; i++) {
        const src = h.subarray(i * n + t0 + shift, i * n + t1 + shift);
        for (let j = 0; j < W; j++) {
          const k = K[(tap * W + i) * W + j]!;
          const dst = acc.subarray(j * n + t0, j * n + t1);
          for (let t = 0; t < dst.length; t++) dst[t]! += k * src[t]!;
        }
      }
    }
    for (let j = 0; j < W; j++) {
      let sum = 0;
      for (let q = j * n; q < (j + 1) * n; q++) {
        const r = elu(acc[q]!);
        h[q]! += r;
        sum += r;
      }
      pooled[l * W + j] = sum / Math.max(1, n);
    }
  }
  const out = new Float32Array(n);
  const z = new Float64Array(n).fill(w.outB);
  for (let j = 0; j < W; j++) {
    const k = tw.outW[j]!;
    const hj = h.subarray(j * n, (j + 1) * n);
    for (let t = 0; t < n; t++) z[t]! += k * hj[t]!;
  }
  for (let t = 0; t < n; t++) out[t] = 1 / (1 + Math.exp(-z[t]!));
  return { activation: out, tempo: w.tempo ? tempoHead(w.tempo, pooled) : null };
}

function tempoHead(head: NonNullable<BeatNetWeights['tempo']>, pooled: Float64Array): Float64Array {
  const K = head.bpm.length;
  const z = Float64Array.from(head.b);
  for (let i = 0; i < pooled.length; i++) {
    const v = pooled[i]!;
    for (let k = 0; k < K; k++) z[k]! += v * head.w[i * K + k]!;
  }
  let max = -Infinity;
  for (let k = 0; k < K; k++) max = Math.max(max, z[k]!);
  let sum = 0;
  for (let k = 0; k < K; k++) sum += (z[k] = Math.exp(z[k]! - max));
  for (let k = 0; k < K; k++) z[k]! /= sum;
  return z;
}

const WEIGHTS_FILE = fileURLToPath(new URL('./beat-net.weights.json', import.meta.url));
let shipped: BeatNetWeights | null | undefined;

/** Reads a weights file, refusing one whose shapes are not a NET_INPUTS-input network's. */
export function loadBeatNet(path: string): BeatNetWeights {
  const w = JSON.parse(readFileSync(path, 'utf8')) as Partial<BeatNetWeights>;
  const W = w.width ?? 0;
  const ok =
    W > 0 &&
    w.inW?.length === NET_INPUTS * W &&
    w.inB?.length === W &&
    w.outW?.length === W &&
    typeof w.outB === 'number' &&
    Array.isArray(w.dilations) &&
    w.convW?.length === w.dilations.length &&
    w.convB?.length === w.dilations.length &&
    w.convW.every((k) => k.length === 3 * W * W) &&
    w.convB.every((b) => b.length === W) &&
    (w.tempo === undefined ||
      (w.tempo.bpm.length > 1 && w.tempo.b.length === w.tempo.bpm.length && w.tempo.w.length === w.dilations.length * W * w.tempo.bpm.length));
  if (!ok) throw new Error(`${path}: not the weights of a ${NET_INPUTS}-input beat network`);
  return w as BeatNetWeights;
}

/** The weights in beat-net.weights.json (read once), or null where the file is absent. */
export function shippedBeatNet(): BeatNetWeights | null {
  if (shipped === undefined) shipped = existsSync(WEIGHTS_FILE) ? loadBeatNet(WEIGHTS_FILE) : null;
  return shipped;
}
