// Song-level rhythm: onset envelope, tempo, beat grid and onsets, so a song can be cut into segments
// that snap to beats. Only the onset envelope and RMS are computed per frame, so a 15-minute song
// costs one pass of 512-point FFTs (at 16 kHz) and no per-frame matrix is kept.
import { analyzeFrames, HARMONIC_BANDS, type FrameAnalysis } from './frames.js';
import { checkSampleRate, sanitizePcm } from './extract.js';
import { pickPeaks } from './onset.js';
import { trackGrid, type GridResult } from './grid.js';
import { beatNet, type BeatNetOutput, type BeatNetWeights, netInputs, shippedBeatNet } from './beat-net.js';
import { estimateTempo } from './tempo.js';
import { checkCorrection, correctGrid, tempoFactor, type GridCorrection } from '../../core/grid-correction.js';

export interface RhythmAnalysis {
  /** seconds between envelope frames (256 / 16000 = 0.016 at 16 kHz) */
  hopSeconds: number;
  /** time of envelope frame 0, seconds; frame i is at startSeconds + i * hopSeconds */
  startSeconds: number;
  /** onset strength per frame */
  onsetEnvelope: Float32Array;
  /** the same over the bands below 200 Hz (bass and kick) */
  onsetLow: Float32Array;
  /** RMS per frame */
  rms: Float32Array;
  /** beats per minute, 0 when the song has no clear pulse */
  tempo: number;
  /** beat times, seconds, ascending */
  beats: number[];
  /** onset times, seconds, ascending */
  onsets: number[];
}

/** The beat grid of a frame analysis' rows (frames of `fps` a second), or null where there is no pulse: the global
 * autocorrelation gate says whether there is one at all (silence, a tone, noise: none). The phase choice
 * weighs the beat network's activation (`net`: the shipped weights by default; null: the onset score alone;
 * `computed`: its output on these rows where the caller has it already); where the weights have a tempo head (the
 * shipped ones have none), the head may choose the metrical level (grid.ts levelFactor).
 * The beat benchmark's tuning scripts call it on cached rows. */
export function gridOfFrames(
  fa: Pick<FrameAnalysis, 'onset' | 'onsetLow' | 'lowLevel' | 'onsetMid' | 'onsetHigh' | 'harmonic' | 'rms'>,
  fps: number,
  net: BeatNetWeights | null = shippedBeatNet(),
  computed?: BeatNetOutput,
): GridResult | null {
  if (!(estimateTempo(fa.onset, fps).bpm > 0)) return null;
  let out = computed;
  const run = (w: BeatNetWeights) => (out ??= beatNet(w, netInputs(fa, HARMONIC_BANDS, fps)));
  const head = net?.tempo;
  const view = net ? { activation: () => run(net).activation, ...(head ? { tempo: () => ({ bpm: head.bpm, p: run(net).tempo ?? new Float64Array(head.bpm.length) }) } : {}) } : undefined;
  return trackGrid(fa.onset, fa.onsetLow, fa.rms, fps, {}, fa.lowLevel, { mid: fa.onsetMid, high: fa.onsetHigh, harmonic: fa.harmonic, harmonicBands: HARMONIC_BANDS }, undefined, view);
}

export interface RhythmOptions {
  /** the user's correction of the tracked grid (level, then phase), applied before anything reads the beats */
  grid?: GridCorrection;
}

export function analyzeRhythm(pcm: Float32Array, sampleRate: number, opts: RhythmOptions = {}): RhythmAnalysis {
  if (opts.grid) checkCorrection(opts.grid);
  checkSampleRate(sampleRate);
  const fa = analyzeFrames(sanitizePcm(pcm), sampleRate, false);
  const fps = sampleRate / fa.hop;
  // frame i's onset strength measures what its last hop of samples, [i*hop + win - hop, i*hop + win),
  // brought that frame i-1 lacked, so the frame is dated at the middle of that hop
  const start = (fa.win - fa.hop / 2) / sampleRate;
  const time = (i: number): number => start + (i * fa.hop) / sampleRate;
  const grid = gridOfFrames(fa, fps);
  const tracked = grid ? grid.beats.map(time) : [];
  const beats = opts.grid ? correctGrid(tracked, opts.grid, pcm.length / sampleRate) : tracked;
  return {
    hopSeconds: fa.hop / sampleRate,
    startSeconds: start,
    onsetEnvelope: fa.onset,
    onsetLow: fa.onsetLow,
    rms: fa.rms,
    tempo: grid && grid.beats.length >= 4 ? grid.tempo.median * (opts.grid ? tempoFactor(opts.grid) : 1) : 0,
    beats,
    onsets: pickPeaks(fa.onset, fps).map(time),
  };
}

/**
 * Start (whole seconds) of the `windowSeconds`-long window with the most energy; 0 when the song is
 * no longer than the window. Ties go to the earliest window.
 */
export function loudestWindow(pcm: Float32Array, sampleRate: number, windowSeconds: number): number {
  checkSampleRate(sampleRate);
  if (!(windowSeconds > 0)) throw new RangeError(`window must be positive, got ${windowSeconds}`);
  const seconds = Math.ceil(pcm.length / sampleRate);
  const win = Math.ceil(windowSeconds);
  if (seconds <= win) return 0;
  const energy = new Float64Array(seconds);
  for (let s = 0; s < seconds; s++) {
    let acc = 0;
    const end = Math.min(pcm.length, (s + 1) * sampleRate);
    for (let i = s * sampleRate; i < end; i++) {
      const x = pcm[i]!;
      if (Number.isFinite(x)) acc += x * x;
    }
    energy[s] = acc;
  }
  // only windows that lie wholly inside the song
  const lastStart = Math.floor(pcm.length / sampleRate - windowSeconds);
  let sum = 0;
  for (let s = 0; s < win; s++) sum += energy[s]!;
  let best = 0;
  let bestSum = sum;
  for (let s = 1; s <= lastStart; s++) {
    sum += energy[s + win - 1]! - energy[s - 1]!;
    if (sum > bestSum * (1 + 1e-12)) {
      bestSum = sum;
      best = s;
    }
  }
  return best;
}
