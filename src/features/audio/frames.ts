// The short-time analysis every audio descriptor starts from.
//
// Framing: frame i covers samples [i*hop, i*hop + win) of the signal (no centre padding, so a clip cut
// mid-song has no fake silence-to-sound onset at its start); its time is its centre, (i*hop + win/2)/sr.
// At 16 kHz: win = 512 (32 ms), hop = 256 (16 ms), 62.5 frames per second, periodic Hann window.
// Other rates keep ~32 ms: win is the power of two nearest 0.032*sr, hop = win/2.
// Power spectra are scaled by 1/sum(w)^2, so a full-scale sine centred on a bin shows 0.25 there.

import { RealFFT, hann } from './fft.js';
import { MelFilterbank, dctMatrix } from './mel.js';

export const MEL_BANDS = 64;
/** the mel bands whose log power FrameAnalysis.harmonic keeps: centres ~420 Hz .. 3.5 kHz at 16 kHz, where
 * chords and melody change (the beat grid's phase check compares the spectrum before and after each beat) */
export const HARMONIC_FIRST_BAND = 8;
export const HARMONIC_BANDS = 40;
export const MFCC_COEFFS = 13;
/** floor inside log(floor + x) for log-mel features: silence maps to ln(1e-10) ~ -23 */
export const LOG_FLOOR = 1e-10;
/** floor of the onset detector's log-mel: higher than LOG_FLOOR so the noise floor of quiet passages
 * (below ~ -80 dB) does not flicker into onsets */
const ONSET_FLOOR = 1e-8;
/** a frame whose mean square is below this (RMS 1e-4, -80 dBFS) counts as silent */
export const SILENT_POWER = 1e-8;

export interface FrameGeometry {
  sampleRate: number;
  win: number;
  hop: number;
}

export function frameGeometry(sampleRate: number, seconds = 0.032): FrameGeometry {
  const win = 2 ** Math.max(2, Math.round(Math.log2(seconds * sampleRate)));
  return { sampleRate, win, hop: win / 2 };
}

/** Frames of `win` at `hop` over `length` samples; a signal shorter than one window still gets one. */
export function frameCount(length: number, win: number, hop: number): number {
  if (length <= 0) return 0;
  return length < win ? 1 : Math.floor((length - win) / hop) + 1;
}

/** Per-frame descriptors beyond the onset envelope and RMS. Arrays of `count` (or count*dims). */
export interface FrameDetail {
  logMel: Float32Array; // count * MEL_BANDS, ln(LOG_FLOOR + band power)
  mfcc: Float32Array; // count * MFCC_COEFFS
  centroid: Float32Array; // fraction of Nyquist (magnitude-weighted)
  spread: Float32Array; // fraction of Nyquist
  rolloff: Float32Array; // frequency under which 85% of the magnitude lies, fraction of Nyquist
  flatness: Float32Array; // geometric / arithmetic mean of power, 0..1
  crest: Float32Array; // ln(max power / mean power)
  flux: Float32Array; // total-variation distance of consecutive L1-normalised magnitude spectra, 0..1
  zcr: Float32Array; // zero crossings per sample
  power: Float32Array; // count * 4: total, <250 Hz, 250-2000 Hz, >=4000 Hz (scaled spectrum power)
  silent: Uint8Array;
}

export interface FrameAnalysis extends FrameGeometry {
  count: number;
  /** mean over mel bands of the half-wave rectified frame-to-frame rise of log band power; 0 at frame 0 */
  onset: Float32Array;
  /** the same rise over the bands centred below 200 Hz only (kick drums and bass notes mark beats) */
  onsetLow: Float32Array;
  /** mean log power of those bands below 200 Hz: how fast a low onset dies away tells a kick from a bass note */
  lowLevel: Float32Array;
  /** the rise over the bands centred from 200 Hz to 4 kHz (snare body, chords, voice) */
  onsetMid: Float32Array;
  /** the rise over the bands centred at 4 kHz and up (hi-hats, cymbals, a snare's rattle) */
  onsetHigh: Float32Array;
  /** count * HARMONIC_BANDS: ln(LOG_FLOOR + power) of mel bands HARMONIC_FIRST_BAND.. (as logMel has them) */
  harmonic: Float32Array;
  /** RMS of each (unwindowed) frame */
  rms: Float32Array;
  detail?: FrameDetail;
}

interface Kit {
  fft: RealFFT;
  window: Float64Array;
  mel: MelFilterbank;
  dct: Float64Array;
  scale: number;
}

const kits = new Map<string, Kit>();

function kitFor(sampleRate: number, win: number): Kit {
  const key = `${sampleRate}:${win}`;
  let kit = kits.get(key);
  if (!kit) {
    const window = hann(win);
    const wsum = window.reduce((a, x) => a + x, 0);
    kit = {
      fft: new RealFFT(win),
      window,
      mel: new MelFilterbank({ bands: MEL_BANDS, fftSize: win, sampleRate, fmax: Math.min(8000, sampleRate / 2) }),
      dct: dctMatrix(MFCC_COEFFS, MEL_BANDS),
      scale: 1 / (wsum * wsum),
    };
    kits.set(key, kit);
  }
  return kit;
}

export function melFilterbankFor(sampleRate: number): MelFilterbank {
  const g = frameGeometry(sampleRate);
  return kitFor(sampleRate, g.win).mel;
}

/** Copies frame samples [start, start+win) of pcm (zeros past its end) times the window into buf. */
export function loadFrame(pcm: Float32Array, start: number, window: Float64Array, buf: Float64Array, raw: Float64Array): void {
  const win = window.length;
  const avail = Math.max(0, Math.min(win, pcm.length - start));
  for (let j = 0; j < avail; j++) {
    const x = pcm[start + j]!;
    raw[j] = x;
    buf[j] = x * window[j]!;
  }
  for (let j = avail; j < win; j++) {
    raw[j] = 0;
    buf[j] = 0;
  }
}

/**
 * Analyses pcm as if zero-padded to `length` samples (default pcm.length). With `detail` false only the
 * onset envelope and RMS are kept, which is all beat tracking needs and keeps long songs cheap.
 */
export function analyzeFrames(pcm: Float32Array, sampleRate: number, detail: boolean, length = pcm.length): FrameAnalysis {
  const { win, hop } = frameGeometry(sampleRate);
  const count = frameCount(length, win, hop);
  const kit = kitFor(sampleRate, win);
  const bins = kit.fft.bins;
  const nyquist = sampleRate / 2;
  const binHz = sampleRate / win;
  const lowEnd = Math.ceil(250 / binHz);
  const midEnd = Math.ceil(2000 / binHz);
  const highStart = Math.ceil(4000 / binHz);
  const buf = new Float64Array(win);
  const raw = new Float64Array(win);
  const re = new Float64Array(bins);
  const im = new Float64Array(bins);
  const pow = new Float64Array(bins);
  const mag = new Float64Array(bins);
  const prevNorm = new Float64Array(bins);
  const melE = new Float64Array(MEL_BANDS);
  const onLog = new Float64Array(MEL_BANDS);
  const prevOnLog = new Float64Array(MEL_BANDS);
  const logMelRow = new Float64Array(MEL_BANDS);
  const onset = new Float32Array(count);
  const onsetLow = new Float32Array(count);
  const lowLevel = new Float32Array(count);
  const onsetMid = new Float32Array(count);
  const onsetHigh = new Float32Array(count);
  const harmonic = new Float32Array(count * HARMONIC_BANDS);
  let lowBands = 0;
  while (lowBands < MEL_BANDS && kit.mel.centers[lowBands]! < 200) lowBands++;
  lowBands = Math.max(1, lowBands);
  let highStartBand = lowBands;
  while (highStartBand < MEL_BANDS && kit.mel.centers[highStartBand]! < 4000) highStartBand++;
  const midBands = Math.max(1, highStartBand - lowBands);
  const highBands = Math.max(1, MEL_BANDS - highStartBand);
  const rms = new Float32Array(count);
  const d: FrameDetail | undefined = detail
    ? {
        logMel: new Float32Array(count * MEL_BANDS),
        mfcc: new Float32Array(count * MFCC_COEFFS),
        centroid: new Float32Array(count),
        spread: new Float32Array(count),
        rolloff: new Float32Array(count),
        flatness: new Float32Array(count),
        crest: new Float32Array(count),
        flux: new Float32Array(count),
        zcr: new Float32Array(count),
        power: new Float32Array(count * 4),
        silent: new Uint8Array(count),
      }
    : undefined;

  for (let i = 0; i < count; i++) {
    loadFrame(pcm, i * hop, kit.window, buf, raw);
    let ms = 0;
    for (let j = 0; j < win; j++) ms += raw[j]! * raw[j]!;
    ms /= win;
    rms[i] = Math.sqrt(ms);
    kit.fft.power(buf, pow, re, im);
    for (let k = 0; k < bins; k++) pow[k] = pow[k]! * kit.scale;
    kit.mel.apply(pow, melE);

    let rise = 0;
    let riseLow = 0;
    let riseMid = 0;
    let riseHigh = 0;
    let levelLow = 0;
    for (let b = 0; b < MEL_BANDS; b++) {
      const v = Math.log(ONSET_FLOOR + melE[b]!);
      onLog[b] = v;
      if (b < lowBands) levelLow += v;
      if (i > 0 && v > prevOnLog[b]!) {
        const up = v - prevOnLog[b]!;
        rise += up;
        if (b < lowBands) riseLow += up;
        else if (b < highStartBand) riseMid += up;
        else riseHigh += up;
      }
    }
    onset[i] = rise / MEL_BANDS;
    onsetLow[i] = riseLow / lowBands;
    onsetMid[i] = riseMid / midBands;
    onsetHigh[i] = riseHigh / highBands;
    lowLevel[i] = levelLow / lowBands;
    prevOnLog.set(onLog);

    if (!d) {
      for (let b = 0; b < HARMONIC_BANDS; b++) harmonic[i * HARMONIC_BANDS + b] = Math.log(LOG_FLOOR + melE[HARMONIC_FIRST_BAND + b]!);
      continue;
    }
    for (let b = 0; b < MEL_BANDS; b++) {
      const v = Math.log(LOG_FLOOR + melE[b]!);
      logMelRow[b] = v;
      d.logMel[i * MEL_BANDS + b] = v;
    }
    // the harmonic bands are a slice of the log-mel row: not computed twice
    for (let b = 0; b < HARMONIC_BANDS; b++) harmonic[i * HARMONIC_BANDS + b] = logMelRow[HARMONIC_FIRST_BAND + b]!;
    for (let c = 0; c < MFCC_COEFFS; c++) {
      let acc = 0;
      const o = c * MEL_BANDS;
      for (let b = 0; b < MEL_BANDS; b++) acc += kit.dct[o + b]! * logMelRow[b]!;
      d.mfcc[i * MFCC_COEFFS + c] = acc;
    }
    let crossings = 0;
    for (let j = 1; j < win; j++) if (raw[j - 1]! >= 0 !== raw[j]! >= 0) crossings++;
    d.zcr[i] = crossings / (win - 1);

    let total = 0;
    let low = 0;
    let mid = 0;
    let high = 0;
    for (let k = 0; k < bins; k++) {
      const p = pow[k]!;
      total += p;
      if (k < lowEnd) low += p;
      else if (k < midEnd) mid += p;
      else if (k >= highStart) high += p;
    }
    const po = i * 4;
    d.power[po] = total;
    d.power[po + 1] = low;
    d.power[po + 2] = mid;
    d.power[po + 3] = high;

    if (ms < SILENT_POWER) {
      d.silent[i] = 1;
      // a silent frame's shape is undefined: leave zeros and forget the previous shape for flux
      d.flux[i] = 0;
      prevNorm.fill(0);
      continue;
    }
    let msum = 0;
    let fsum = 0;
    let logSum = 0;
    let pmax = 0;
    // the geometric mean takes one log per 16 bins: a product of 16 values in [1e-10, ~1] cannot
    // underflow a double, and logs are the costliest step of this loop
    let prod = 1;
    for (let k = 0; k < bins; k++) {
      const p = pow[k]!;
      const m = Math.sqrt(p);
      mag[k] = m;
      msum += m;
      fsum += m * k;
      prod *= p > LOG_FLOOR ? p : LOG_FLOOR;
      if ((k & 15) === 15) {
        logSum += Math.log(prod);
        prod = 1;
      }
      if (p > pmax) pmax = p;
    }
    logSum += Math.log(prod);
    const pmean = Math.max(total / bins, LOG_FLOOR);
    d.flatness[i] = Math.min(1, Math.exp(logSum / bins) / pmean);
    d.crest[i] = Math.log(Math.max(pmax, LOG_FLOOR) / pmean);
    const safeSum = msum > 0 ? msum : 1;
    const cBin = fsum / safeSum;
    let spread = 0;
    let cum = 0;
    let roll = -1;
    let tv = 0;
    for (let k = 0; k < bins; k++) {
      const m = mag[k]!;
      spread += (k - cBin) * (k - cBin) * m;
      cum += m;
      if (roll < 0 && cum >= 0.85 * msum) roll = k;
      const nrm = m / safeSum;
      tv += Math.abs(nrm - prevNorm[k]!);
      prevNorm[k] = nrm;
    }
    d.centroid[i] = (cBin * binHz) / nyquist;
    d.spread[i] = (Math.sqrt(spread / safeSum) * binHz) / nyquist;
    d.rolloff[i] = (Math.max(0, roll) * binHz) / nyquist;
    d.flux[i] = i > 0 ? 0.5 * tv : 0;
  }
  return { sampleRate, win, hop, count, onset, onsetLow, lowLevel, onsetMid, onsetHigh, harmonic, rms, ...(d ? { detail: d } : {}) };
}
