// The whole-song analysis `clipmatch analyze` prints and the pacing uses: tempo, beats, downbeats and
// sections. Two passes over the audio: the onset/RMS pass of the beat tracker (rhythm.ts) and a chroma
// pass (chroma.ts) for chord changes and repeats; the structure itself is pure (src/core/structure.ts).
import { downbeatsOf, findMeter, findSections, type BeatDescriptor, type Section } from '../../core/structure.js';
import { analyzeChroma, CHROMA_BINS } from './chroma.js';
import { analyzeRhythm, type RhythmAnalysis, type RhythmOptions } from './rhythm.js';

export interface SongAnalysis extends RhythmAnalysis {
  duration: number;
  beatsPerBar: number;
  /** first beat of each bar, seconds */
  downbeats: number[];
  sections: Section[];
}

/** `opts.grid`: the user's correction of the beat grid (grid-correction.ts); bars and sections follow it. */
export function analyzeSong(pcm: Float32Array, sampleRate: number, opts: RhythmOptions = {}): SongAnalysis {
  const rhythm = analyzeRhythm(pcm, sampleRate, opts);
  const duration = pcm.length / sampleRate;
  const { beats } = rhythm;
  if (beats.length < 8) {
    return { ...rhythm, duration, beatsPerBar: 4, downbeats: beats.slice(0, 1), sections: [{ start: 0, end: duration, label: 'A', energy: 0.5 }] };
  }
  const ch = analyzeChroma(pcm, sampleRate);
  const chromaTime = (i: number) => (i * ch.hop + ch.win / 2) / sampleRate;
  const frameOf = (t: number) => Math.round((t - rhythm.startSeconds) / rhythm.hopSeconds);
  const peak = (env: Float32Array, t: number) => {
    const c = frameOf(t);
    let m = 0;
    for (let f = Math.max(0, c - 2); f <= Math.min(env.length - 1, c + 2); f++) m = Math.max(m, env[f]!);
    return m;
  };
  // chroma and loudness of each inter-beat span
  const spans = beats.map((b, i) => ({ a: b, z: beats[i + 1] ?? Math.min(duration, b + (b - (beats[i - 1] ?? b - 0.5))) }));
  const chroma = spans.map(({ a, z }) => {
    const acc = new Float64Array(CHROMA_BINS);
    for (let i = Math.max(0, Math.floor((a * sampleRate - ch.win / 2) / ch.hop)); i < ch.count && chromaTime(i) < z; i++) {
      if (chromaTime(i) < a) continue;
      for (let q = 0; q < CHROMA_BINS; q++) acc[q] = acc[q]! + ch.energy[i * CHROMA_BINS + q]!;
    }
    return acc;
  });
  const spanMean = (x: Float32Array, a: number, z: number, f: (v: number) => number) => {
    let s = 0;
    let c = 0;
    for (let i = Math.max(0, frameOf(a)); i < Math.min(x.length, frameOf(z)); i++) {
      s += f(x[i]!);
      c++;
    }
    return c ? s / c : 0;
  };
  const db = spans.map(({ a, z }) => 10 * Math.log10(Math.max(1e-10, spanMean(rhythm.rms, a, z, (v) => v * v))));
  const activity = spans.map(({ a, z }) => spanMean(rhythm.onsetEnvelope, a, z, (v) => v));
  const cos = (x: Float64Array, y: Float64Array) => {
    let d = 0;
    let nx = 0;
    let ny = 0;
    for (let q = 0; q < CHROMA_BINS; q++) {
      d += x[q]! * y[q]!;
      nx += x[q]! ** 2;
      ny += y[q]! ** 2;
    }
    return nx > 0 && ny > 0 ? d / Math.sqrt(nx * ny) : 1;
  };
  const desc: BeatDescriptor[] = beats.map((b, i) => ({
    low: peak(rhythm.onsetLow, b),
    onset: peak(rhythm.onsetEnvelope, b),
    chordChange: i > 0 ? 1 - cos(chroma[i - 1]!, chroma[i]!) : 0,
    chroma: chroma[i]!,
    db: db[i]!,
    activity: activity[i]!,
  }));
  const meter = findMeter(desc);
  const downbeats = downbeatsOf(beats, meter);
  const sections = findSections(beats, downbeats, desc, duration);
  return { ...rhythm, duration, beatsPerBar: meter.beatsPerBar, downbeats, sections };
}
