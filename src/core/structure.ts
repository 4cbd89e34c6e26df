// Song structure from per-beat descriptors: the bar lines (which beat of each bar is the first) and the
// sections (where the music changes, which parts repeat, how intense each is). Pure: the audio side
// (src/features/audio/song-analysis.ts) measures the descriptors.
//
// Downbeats: a bar starts where the bass and kick land hardest and where the harmony changes. For each
// metre m in {3, 4} and phase p, the mean of (low-band onset + chord change) over beats i = p (mod m)
// is compared with the mean over all beats; the metre and phase with the clearest contrast win (4/4 is
// given the benefit of the doubt, as it is by far the commonest).
// Sections: a bar-level self-similarity matrix of chroma and loudness, Foote's checkerboard novelty on
// its diagonal, peaks at least 4 bars apart as boundaries; sections whose mean descriptors are alike get
// the same letter; energy is loudness and onset activity (drums, fast notes), scaled to 0..1 over the song.

export interface BeatDescriptor {
  /** low-band onset strength at the beat */
  low: number;
  /** full-band onset strength at the beat */
  onset: number;
  /** chord change into the beat: 1 - cosine(chroma before, chroma after), 0..1 */
  chordChange: number;
  /** chroma from this beat to the next, 12 values (any scale) */
  chroma: ArrayLike<number>;
  /** loudness from this beat to the next, dB */
  db: number;
  /** mean onset strength from this beat to the next: how busy the music is (drums, fast notes) */
  activity: number;
}

export interface Section {
  start: number;
  end: number;
  /** A, B, C, ...: sections with the same letter sound alike */
  label: string;
  /** 0 (calmest section of the song) .. 1 (most intense) */
  energy: number;
}

export interface Meter {
  beatsPerBar: number;
  /** index of the first downbeat in the beat list */
  phase: number;
}

const zscores = (x: number[]): number[] => {
  const m = x.reduce((a, b) => a + b, 0) / Math.max(1, x.length);
  const sd = Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, x.length)) || 1;
  return x.map((v) => (v - m) / sd);
};

export function findMeter(desc: readonly BeatDescriptor[]): Meter {
  if (desc.length < 8) return { beatsPerBar: 4, phase: 0 };
  const low = zscores(desc.map((d) => d.low));
  const chord = zscores(desc.map((d) => d.chordChange));
  const on = zscores(desc.map((d) => d.onset));
  const accent = desc.map((_, i) => low[i]! + chord[i]! + 0.5 * on[i]!);
  let best = { beatsPerBar: 4, phase: 0 };
  let bestScore = -Infinity;
  for (const m of [4, 3]) {
    for (let p = 0; p < m; p++) {
      let s = 0;
      let c = 0;
      for (let i = p; i < accent.length; i += m) {
        s += accent[i]!;
        c++;
      }
      const score = (s / Math.max(1, c)) * (m === 4 ? 1.15 : 1);
      if (score > bestScore) {
        bestScore = score;
        best = { beatsPerBar: m, phase: p };
      }
    }
  }
  return best;
}

export function downbeatsOf(beats: readonly number[], meter: Meter): number[] {
  const out: number[] = [];
  for (let i = meter.phase; i < beats.length; i += meter.beatsPerBar) out.push(beats[i]!);
  return out;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? d / Math.sqrt(na * nb) : 0;
}

export interface SectionOptions {
  /** shortest section, bars */
  minBars: number;
  /** half-width of the novelty kernel, bars */
  kernelBars: number;
  /** mean-descriptor similarity above which two sections share a letter */
  sameLabel: number;
}

export const DEFAULT_SECTIONS: SectionOptions = { minBars: 4, kernelBars: 4, sameLabel: 0.9 };

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * Sections tiling [0, duration]: boundaries on downbeats. `desc` is per beat (same length as beats).
 * Without bars (fewer than 2 downbeats) the song is one section.
 */
export function findSections(
  beats: readonly number[],
  downbeats: readonly number[],
  desc: readonly BeatDescriptor[],
  duration: number,
  opts: Partial<SectionOptions> = {},
): Section[] {
  const o = { ...DEFAULT_SECTIONS, ...opts };
  if (downbeats.length < 2 * o.minBars || desc.length !== beats.length) return [{ start: 0, end: duration, label: 'A', energy: 0.5 }];
  // bar descriptors: mean chroma (unit length), loudness and onset activity
  const bars = downbeats.length;
  const feats: number[][] = [];
  const barDb: number[] = [];
  const barOn: number[] = [];
  let bi = 0;
  for (let k = 0; k < bars; k++) {
    const a = downbeats[k]!;
    const z = k + 1 < bars ? downbeats[k + 1]! : duration;
    const chroma = new Array<number>(12).fill(0);
    let db = 0;
    let on = 0;
    let c = 0;
    while (bi < beats.length && beats[bi]! < a - 1e-6) bi++;
    for (let j = bi; j < beats.length && beats[j]! < z - 1e-6; j++) {
      const d = desc[j]!;
      let n = 0;
      for (let q = 0; q < 12; q++) n += d.chroma[q]!;
      for (let q = 0; q < 12; q++) chroma[q]! += n > 0 ? d.chroma[q]! / n : 0;
      db += d.db;
      on += d.activity;
      c++;
    }
    feats.push(chroma.map((v) => v / Math.max(1, c)));
    barDb.push(c ? db / c : -90);
    barOn.push(c ? on / c : 0);
  }
  const zDb = zscores(barDb);
  const zOn = zscores(barOn);
  const vec = feats.map((f, k) => {
    const n = Math.sqrt(f.reduce((a, b) => a + b * b, 0)) || 1;
    return [...f.map((v) => v / n), 0.5 * zDb[k]!, 0.5 * zOn[k]!];
  });
  // checkerboard novelty on the bar self-similarity
  const L = o.kernelBars;
  const nov = new Float64Array(bars);
  for (let k = 1; k < bars; k++) {
    let s = 0;
    for (let i = -L; i < L; i++) {
      for (let j = -L; j < L; j++) {
        const a = k + i;
        const b = k + j;
        if (a < 0 || b < 0 || a >= bars || b >= bars) continue;
        const sign = (i < 0) === (j < 0) ? 1 : -1;
        const w = Math.exp(-0.5 * (((i + 0.5) / L) ** 2 + ((j + 0.5) / L) ** 2) * 2);
        s += sign * w * cosine(vec[a]!, vec[b]!);
      }
    }
    nov[k] = s;
  }
  const vals = Array.from(nov).slice(1);
  const mean = vals.reduce((a, b) => a + b, 0) / Math.max(1, vals.length);
  const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, vals.length));
  // peaks, strongest first, kept if at least minBars from every kept one and from both ends
  const cand: number[] = [];
  for (let k = 1; k < bars; k++) {
    if (nov[k]! > mean + 0.5 * sd && nov[k]! >= (nov[k - 1] ?? -Infinity) && nov[k]! >= (nov[k + 1] ?? -Infinity)) cand.push(k);
  }
  cand.sort((a, b) => nov[b]! - nov[a]!);
  const kept: number[] = [];
  for (const k of cand) {
    if (k < o.minBars || bars - k < o.minBars) continue;
    if (kept.every((q) => Math.abs(q - k) >= o.minBars)) kept.push(k);
  }
  kept.sort((a, b) => a - b);
  const edges = [0, ...kept, bars];
  const spans = edges.slice(0, -1).map((a, i) => ({ a, z: edges[i + 1]! }));
  // labels: the first earlier section that sounds alike, else a new letter
  // harmony, loudness and activity together: a drumless breakdown over the chorus chords is not the chorus
  const dims = vec[0]!.length;
  const meanVec = spans.map(({ a, z }) => {
    const m = new Array<number>(dims).fill(0);
    for (let k = a; k < z; k++) for (let q = 0; q < dims; q++) m[q]! += vec[k]![q]! / (z - a);
    return m;
  });
  const labels: string[] = [];
  let next = 0;
  spans.forEach((_, i) => {
    let label: string | undefined;
    let bestSim = o.sameLabel;
    for (let j = 0; j < i; j++) {
      const sim = cosine(meanVec[i]!, meanVec[j]!);
      if (sim >= bestSim) {
        bestSim = sim;
        label = labels[j];
      }
    }
    labels.push(label ?? LETTERS[Math.min(next++, LETTERS.length - 1)]!);
  });
  // energy: loudness and onset activity, each scaled over the song; activity weighs more (a loud pad is no drop)
  const raw = spans.map(({ a, z }) => {
    let db = 0;
    let on = 0;
    for (let k = a; k < z; k++) {
      db += barDb[k]!;
      on += barOn[k]!;
    }
    return { db: db / (z - a), on: on / (z - a) };
  });
  const scale = (x: number[]): number[] => {
    const lo = Math.min(...x);
    const hi = Math.max(...x);
    return x.map((v) => (hi - lo > 1e-9 ? (v - lo) / (hi - lo) : 0.5));
  };
  const eDb = scale(raw.map((r) => r.db));
  const eOn = scale(raw.map((r) => r.on));
  const out: (Section & { bars: number })[] = [];
  spans.forEach(({ a, z }, i) => {
    const sec = { start: a === 0 ? 0 : downbeats[a]!, end: z >= bars ? duration : downbeats[z]!, label: labels[i]!, energy: 0.4 * eDb[i]! + 0.6 * eOn[i]!, bars: z - a };
    const prev = out[out.length - 1];
    // a repeat straight after itself is one section
    if (prev && prev.label === sec.label) {
      prev.energy = (prev.energy * prev.bars + sec.energy * sec.bars) / (prev.bars + sec.bars);
      prev.bars += sec.bars;
      prev.end = sec.end;
    } else out.push(sec);
  });
  return out.map(({ start, end, label, energy }) => ({ start, end, label, energy: Math.round(energy * 1000) / 1000 }));
}
