// Per-second audio descriptors: 128 values per whole second, laid out as AUDIO_LAYOUT says.
// A second owns the frames whose centre falls inside it (62 or 63 frames at 16 kHz); the local tempo
// looks at a 6-s window of the onset envelope centred on the second, clipped to the clip.
import { FEATURE_DIM } from '../../core/types.js';
import { analyzeFrames, LOG_FLOOR, MEL_BANDS, MFCC_COEFFS } from './frames.js';
import { analyzeChroma, CHROMA_BINS } from './chroma.js';
import { deltas } from './mel.js';
import { pickPeaks } from './onset.js';
import { estimateTempo } from './tempo.js';
import { AUDIO_LAYOUT as L } from './layout.js';

const TEMPO_WINDOW_S = 6;
/** below this mean chroma power per frame a second has no pitch content worth normalising */
const CHROMA_SILENT = 1e-9;
const MIN_RATE = 4000;
const MAX_RATE = 192000;

/** Replaces NaN and +-Infinity samples by 0 (copying only when needed). */
export function sanitizePcm(pcm: Float32Array): Float32Array {
  for (let i = 0; i < pcm.length; i++) {
    if (!Number.isFinite(pcm[i]!)) {
      const clean = Float32Array.from(pcm, (x) => (Number.isFinite(x) ? x : 0));
      return clean;
    }
  }
  return pcm;
}

export function checkSampleRate(sampleRate: number): void {
  if (!Number.isInteger(sampleRate) || sampleRate < MIN_RATE || sampleRate > MAX_RATE) {
    throw new RangeError(`audio sample rate must be an integer in [${MIN_RATE}, ${MAX_RATE}] Hz, got ${sampleRate}`);
  }
}

/** Frames [a, b) whose centres lie in [t0, t1) samples; never empty. */
function framesIn(t0: number, t1: number, win: number, hop: number, count: number): [number, number] {
  let a = Math.max(0, Math.ceil((t0 - win / 2) / hop));
  let b = Math.min(count, Math.ceil((t1 - win / 2) / hop));
  a = Math.min(a, count - 1);
  b = Math.max(b, a + 1);
  return [a, b];
}

interface Moments {
  mean: number;
  std: number;
  max: number;
  min: number;
}

function moments(x: Float32Array, a: number, b: number, skip?: Uint8Array): Moments {
  let n = 0;
  let sum = 0;
  let sq = 0;
  let max = -Infinity;
  let min = Infinity;
  for (let i = a; i < b; i++) {
    if (skip && skip[i]) continue;
    const v = x[i]!;
    n++;
    sum += v;
    sq += v * v;
    if (v > max) max = v;
    if (v < min) min = v;
  }
  if (n === 0) return { mean: 0, std: 0, max: 0, min: 0 };
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(0, sq / n - mean * mean)), max, min };
}

export function extractAudioFeatures(input: Float32Array, sampleRate: number): Float32Array {
  checkSampleRate(sampleRate);
  if (input.length === 0) return new Float32Array(0);
  const pcm = sanitizePcm(input);
  const sr = sampleRate;
  const seconds = Math.max(1, Math.floor(pcm.length / sr));
  const length = Math.max(pcm.length, seconds * sr);
  const fa = analyzeFrames(pcm, sr, true, length);
  const d = fa.detail!;
  const { win, hop, count } = fa;
  const fps = sr / hop;
  const ch = analyzeChroma(pcm, sr, length);
  // onsets are counted in the second where they happen: frame i's rise comes from its last hop
  const onsetsPerSecond = new Uint16Array(seconds);
  for (const p of pickPeaks(fa.onset, fps)) {
    const sec = Math.floor((p * hop + win - hop / 2) / sr);
    if (sec < seconds) onsetsPerSecond[sec]!++;
  }
  const dm = deltas(d.mfcc, count, MFCC_COEFFS);
  const out = new Float32Array(seconds * FEATURE_DIM);
  const chroma = new Float64Array(CHROMA_BINS);
  const tempoHalf = (TEMPO_WINDOW_S / 2) * fps;

  for (let s = 0; s < seconds; s++) {
    const o = s * FEATURE_DIM;
    const [a, b] = framesIn(s * sr, (s + 1) * sr, win, hop, count);
    const n = b - a;

    for (let k = 0; k < MEL_BANDS; k++) {
      let acc = 0;
      for (let i = a; i < b; i++) acc += d.logMel[i * MEL_BANDS + k]!;
      out[o + L.mel.start + k] = acc / n;
    }
    for (let k = 0; k < MFCC_COEFFS; k++) {
      let acc = 0;
      let dsum = 0;
      let dsq = 0;
      for (let i = a; i < b; i++) {
        acc += d.mfcc[i * MFCC_COEFFS + k]!;
        const v = dm[i * MFCC_COEFFS + k]!;
        dsum += v;
        dsq += v * v;
      }
      out[o + L.mfcc.start + k] = acc / n;
      const dmean = dsum / n;
      out[o + L.mfccDelta.start + k] = Math.sqrt(Math.max(0, dsq / n - dmean * dmean));
    }

    const [ca, cb] = framesIn(s * sr, (s + 1) * sr, ch.win, ch.hop, ch.count);
    chroma.fill(0);
    let ctotal = 0;
    for (let i = ca; i < cb; i++) {
      for (let c = 0; c < CHROMA_BINS; c++) {
        const v = ch.energy[i * CHROMA_BINS + c]!;
        chroma[c] = chroma[c]! + v;
        ctotal += v;
      }
    }
    let cmax = 0;
    for (let c = 0; c < CHROMA_BINS; c++) cmax = Math.max(cmax, chroma[c]!);
    if (ctotal / (cb - ca) >= CHROMA_SILENT && cmax > 0) {
      let csum = 0;
      for (let c = 0; c < CHROMA_BINS; c++) {
        const v = chroma[c]! / cmax;
        out[o + L.chroma.start + c] = v;
        csum += v;
      }
      out[o + L.chromaClarity] = 1 - csum / CHROMA_BINS;
    }

    const silent = d.silent;
    const centroid = moments(d.centroid, a, b, silent);
    out[o + L.centroid] = centroid.mean;
    out[o + L.centroidStd] = centroid.std;
    out[o + L.spread] = moments(d.spread, a, b, silent).mean;
    out[o + L.rolloff] = moments(d.rolloff, a, b, silent).mean;
    out[o + L.flatness] = moments(d.flatness, a, b, silent).mean;
    out[o + L.crest] = moments(d.crest, a, b, silent).mean;
    const flux = moments(d.flux, a, b, silent);
    out[o + L.flux] = flux.mean;
    out[o + L.fluxStd] = flux.std;

    const rms = moments(fa.rms, a, b);
    out[o + L.rms] = rms.mean;
    out[o + L.rmsStd] = rms.std;
    out[o + L.rmsMax] = rms.max;
    let msum = 0;
    let silentCount = 0;
    for (let i = a; i < b; i++) {
      msum += fa.rms[i]! * fa.rms[i]!;
      silentCount += silent[i]!;
    }
    out[o + L.logEnergy] = Math.log(LOG_FLOOR + msum / n);
    out[o + L.silentFraction] = silentCount / n;
    out[o + L.dynamicRange] = Math.log((rms.max + 1e-5) / (rms.min + 1e-5));
    const zcr = moments(d.zcr, a, b);
    out[o + L.zcr] = zcr.mean;
    out[o + L.zcrStd] = zcr.std;

    const onset = moments(fa.onset, a, b);
    out[o + L.onsetMean] = onset.mean;
    out[o + L.onsetMax] = onset.max;
    out[o + L.onsetStd] = onset.std;
    out[o + L.onsetRate] = onsetsPerSecond[s]!;

    const centre = ((s + 0.5) * sr - win / 2) / hop;
    const tempo = estimateTempo(fa.onset, fps, Math.max(0, Math.round(centre - tempoHalf)), Math.min(count, Math.round(centre + tempoHalf)));
    out[o + L.tempo] = tempo.bpm / 120;
    out[o + L.tempoStrength] = tempo.strength;

    let total = 0;
    let low = 0;
    let mid = 0;
    let high = 0;
    for (let i = a; i < b; i++) {
      total += d.power[i * 4]!;
      low += d.power[i * 4 + 1]!;
      mid += d.power[i * 4 + 2]!;
      high += d.power[i * 4 + 3]!;
    }
    if (total > LOG_FLOOR) {
      out[o + L.lowEnergyRatio] = low / total;
      out[o + L.midEnergyRatio] = mid / total;
      out[o + L.highEnergyRatio] = high / total;
    }
  }
  // belt and braces: the contract is "never NaN", whatever a future edit above does
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i]!)) out[i] = 0;
  return out;
}
