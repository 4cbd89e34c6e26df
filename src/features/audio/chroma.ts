// Chroma: FFT bin power folded onto the 12 pitch classes of equal temperament tuned to A4 = 440 Hz.
// Order is C, C#, D, D#, E, F, F#, G, G#, A, A#, B (index 9 is A). Each bin goes whole to the pitch
// class nearest its centre frequency. This needs bins narrower than a semitone, so chroma runs on its
// own 2048-point frames (7.8 Hz bins at 16 kHz, finer than a semitone above ~130 Hz); bins below `fmin`
// span several semitones and are left out.

import { RealFFT, hann } from './fft.js';
import { frameCount, loadFrame } from './frames.js';
import type { FrameGeometry } from './frames.js';

export const CHROMA_BINS = 12;
export const CHROMA_NAMES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'] as const;
const A_INDEX = 9;
const CHROMA_WIN_16K = 2048;

/** Pitch class (0 = C .. 11 = B) nearest to a frequency, with A4 = `ref` Hz. */
export function pitchClass(hz: number, ref = 440): number {
  const semis = Math.round(12 * Math.log2(hz / ref));
  return (((A_INDEX + semis) % 12) + 12) % 12;
}

export class ChromaMap {
  private readonly firstBin: number;
  private readonly classes: Uint8Array;

  constructor(fftSize: number, sampleRate: number, fmin = 110, fmax = 5000, ref = 440) {
    const binHz = sampleRate / fftSize;
    const nBins = fftSize / 2 + 1;
    this.firstBin = Math.max(1, Math.ceil(fmin / binHz));
    const lastBin = Math.min(nBins - 1, Math.floor(Math.min(fmax, sampleRate / 2) / binHz));
    this.classes = new Uint8Array(Math.max(0, lastBin - this.firstBin + 1));
    for (let i = 0; i < this.classes.length; i++) this.classes[i] = pitchClass((this.firstBin + i) * binHz, ref);
  }

  /** Adds the power of each mapped bin to its pitch class in `acc` (length 12, not cleared). */
  accumulate(power: Float64Array, acc: Float64Array): void {
    const { firstBin, classes } = this;
    for (let i = 0; i < classes.length; i++) acc[classes[i]!] = acc[classes[i]!]! + power[firstBin + i]!;
  }
}

export interface ChromaFrames extends FrameGeometry {
  count: number;
  /** count * 12 raw pitch-class power (not normalised) */
  energy: Float32Array;
}

/** Chroma on 2048-sample frames (at 16 kHz; ~128 ms at other rates), hop = win/2. */
export function analyzeChroma(pcm: Float32Array, sampleRate: number, length = pcm.length): ChromaFrames {
  const win = 2 ** Math.round(Math.log2((CHROMA_WIN_16K * sampleRate) / 16000));
  const hop = win / 2;
  const count = frameCount(length, win, hop);
  const { fft, window, scale, map } = chromaKitFor(sampleRate, win);
  const buf = new Float64Array(win);
  const raw = new Float64Array(win);
  const re = new Float64Array(fft.bins);
  const im = new Float64Array(fft.bins);
  const pow = new Float64Array(fft.bins);
  const acc = new Float64Array(CHROMA_BINS);
  const energy = new Float32Array(count * CHROMA_BINS);
  for (let i = 0; i < count; i++) {
    loadFrame(pcm, i * hop, window, buf, raw);
    fft.power(buf, pow, re, im);
    acc.fill(0);
    map.accumulate(pow, acc);
    for (let c = 0; c < CHROMA_BINS; c++) energy[i * CHROMA_BINS + c] = acc[c]! * scale;
  }
  return { sampleRate, win, hop, count, energy };
}

interface ChromaKit {
  fft: RealFFT;
  window: Float64Array;
  scale: number;
  map: ChromaMap;
}

const chromaKits = new Map<string, ChromaKit>();
function chromaKitFor(sampleRate: number, win: number): ChromaKit {
  const key = `${sampleRate}:${win}`;
  let kit = chromaKits.get(key);
  if (!kit) {
    const window = hann(win);
    const wsum = window.reduce((a, x) => a + x, 0);
    kit = { fft: new RealFFT(win), window, scale: 1 / (wsum * wsum), map: new ChromaMap(win, sampleRate) };
    chromaKits.set(key, kit);
  }
  return kit;
}
