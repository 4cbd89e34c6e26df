// Which phase of the grid is the beat. The tracker (grid.ts) places beats at its tempo; hi-hats,
// off-beat chords or a snare on the off-beat can pull it half a beat off. A logistic score over the
// features below compares the grid with itself moved half a beat: how each kind of onset (kick and
// bass, snare body and chords, hi-hats) and, most of all, the spectral change (chords and melody notes
// change on the beat) line up with the beats against the points between them. The weights were fitted on
// the beat benchmark's tune set (bench/beats/tune-selector.ts --fit), never on its held-out set.
// candidateFeatures also describes candidates at other tempo levels (periodicity, tempo prior, ...): the
// tuning script scores level choices with them; none beat the tracker's own level on unseen sets.

export interface SelectSignals {
  /** full-band onsets, emphasised and RMS-normalised */
  full: Float64Array;
  /** below 200 Hz (kick, bass) */
  low: Float64Array;
  /** low-band onsets that die away fast (kicks) */
  kick: Float64Array;
  /** 200 Hz .. 4 kHz (snare body, chords, voice) */
  mid: Float64Array;
  /** 4 kHz and up (hi-hats, cymbals, snare noise) */
  high: Float64Array;
  /** the low bands' mean log power */
  lowLevel?: ArrayLike<number>;
  /** per frame, `harmonicBands` log band powers where chords and melody change (frames.ts harmonic) */
  harmonic?: Float32Array;
  harmonicBands?: number;
  /** autocorrelation of the combined envelope over the whole song, lag 0 = 1 (only the level features
   * read it: analyzeGrid computes it when asked for other levels than the tracked one) */
  ac?: Float64Array;
  fps: number;
}

export interface GridCandidate {
  /** beat frames (fractional), ascending */
  beats: number[];
  /** tempo factor against the tracked tempo (0.5, 2/3, 1, 1.5, 2) */
  factor: number;
  /** phase shift, in beats of this candidate (0, 1/3, 1/2, 2/3) */
  shift: number;
}

const EPS = 0.05;
const BANDS = ['full', 'low', 'kick', 'mid', 'high'] as const;

export const FEATURE_NAMES: readonly string[] = [
  ...BANDS.flatMap((b) => [`${b}:on/mid`, `${b}:on/quarter`, `${b}:on/third`, `${b}:on/mean`, `${b}:|even/odd|`, `${b}:mid/quarter`]),
  'lowLevel:on-mid',
  'change:on/mid (P/2)',
  'change:on/mid (P)',
  'ac(P)',
  'ac(2P)',
  'ac(P/2)',
  'ac(4P)',
  'log2(bpm/120)',
  'log2(bpm/120)^2',
  'log2(factor)',
  '|log2(factor)|',
  'factor 2/3 or 3/2',
  'shift 1/2',
  'shift 1/3 or 2/3',
];

/** Max of x within ±r frames of each position (fractional frames allowed), averaged over the positions. */
export function meanPeak(x: ArrayLike<number>, at: readonly number[], r: number): number {
  if (at.length === 0) return 0;
  let s = 0;
  for (const f of at) {
    let m = 0;
    const c = Math.round(f);
    for (let t = Math.max(0, c - r); t <= Math.min(x.length - 1, c + r); t++) m = Math.max(m, x[t]!);
    s += m;
  }
  return s / at.length;
}

function meanAt(x: ArrayLike<number>, at: readonly number[]): number {
  if (at.length === 0) return 0;
  let s = 0;
  let k = 0;
  for (const f of at) {
    const c = Math.round(f);
    if (c < 0 || c >= x.length) continue;
    s += x[c]!;
    k++;
  }
  return k ? s / k : 0;
}

/** Linear interpolation of an autocorrelation at a fractional lag; 0 outside it. */
export function lagAt(ac: Float64Array, lag: number): number {
  const i = Math.floor(lag);
  if (i < 0 || i + 1 >= ac.length) return 0;
  const f = lag - i;
  return ac[i]! * (1 - f) + ac[i + 1]! * f;
}

/**
 * Spectral change at each frame t: the mean absolute difference, over the bands, between the mean log
 * spectrum of [t, t+w) and that of [t-w, t). Chords and melody notes change on beats more than between them.
 */
export function spectralChange(spec: Float32Array, bands: number, w: number): Float64Array {
  const n = Math.floor(spec.length / bands);
  const pre = new Float64Array((n + 1) * bands);
  for (let t = 0; t < n; t++) for (let b = 0; b < bands; b++) pre[(t + 1) * bands + b] = pre[t * bands + b]! + spec[t * bands + b]!;
  const out = new Float64Array(n);
  if (w < 1) return out;
  for (let t = w; t + w <= n; t++) {
    let d = 0;
    for (let b = 0; b < bands; b++) {
      const before = pre[t * bands + b]! - pre[(t - w) * bands + b]!;
      const after = pre[(t + w) * bands + b]! - pre[t * bands + b]!;
      d += Math.abs(after - before);
    }
    out[t] = d / (w * bands);
  }
  return out;
}

const changeCache = new WeakMap<Float32Array, Map<number, Float64Array>>();
function changeAt(s: SelectSignals, w: number): Float64Array | null {
  if (!s.harmonic || !s.harmonicBands) return null;
  let m = changeCache.get(s.harmonic);
  if (!m) changeCache.set(s.harmonic, (m = new Map()));
  let c = m.get(w);
  if (!c) m.set(w, (c = spectralChange(s.harmonic, s.harmonicBands, w)));
  return c;
}

/** The feature vector of one candidate (FEATURE_NAMES order). */
export function candidateFeatures(s: SelectSignals, c: GridCandidate): number[] {
  const b = c.beats;
  const out: number[] = [];
  if (b.length < 4) return new Array<number>(FEATURE_NAMES.length).fill(0);
  const on = b.slice(0, -1);
  const frac = (f: number) => on.map((x, i) => x + f * (b[i + 1]! - x));
  const mids = frac(0.5);
  const quarters = [...frac(0.25), ...frac(0.75)];
  const thirds = [...frac(1 / 3), ...frac(2 / 3)];
  const even = on.filter((_, i) => i % 2 === 0);
  const odd = on.filter((_, i) => i % 2 === 1);
  const r = Math.max(1, Math.round(0.03 * s.fps));
  const lr = (a: number, z: number) => Math.log((a + EPS) / (z + EPS));
  for (const band of BANDS) {
    const x = s[band];
    let mean = 0;
    for (let t = 0; t < x.length; t++) mean += x[t]!;
    mean /= Math.max(1, x.length);
    const aOn = meanPeak(x, on, r);
    const aMid = meanPeak(x, mids, r);
    const aQ = meanPeak(x, quarters, r);
    out.push(lr(aOn, aMid), lr(aOn, aQ), lr(aOn, meanPeak(x, thirds, r)), lr(aOn, mean), Math.abs(lr(meanPeak(x, even, r), meanPeak(x, odd, r))), lr(aMid, aQ));
  }
  // bounded: a held synthetic bass can make this difference several nats, which no real mix does
  out.push(s.lowLevel ? Math.tanh(meanAt(s.lowLevel, on.map((x) => x + r)) - meanAt(s.lowLevel, mids.map((x) => x + r))) : 0);
  const gaps = b.slice(1).map((x, i) => x - b[i]!).sort((p, q) => p - q);
  const P = gaps[gaps.length >> 1]!;
  for (const w of [Math.round(P / 2), Math.round(P)]) {
    const ch = changeAt(s, w);
    // beats whose windows lie inside the song
    const inner = (at: number[]) => at.filter((t) => t >= w && t + w <= (ch?.length ?? 0));
    out.push(ch ? Math.log((meanAt(ch, inner(on)) + 1e-6) / (meanAt(ch, inner(mids)) + 1e-6)) : 0);
  }
  const ac = s.ac;
  out.push(...[P, 2 * P, P / 2, 4 * P].map((lag) => (ac ? lagAt(ac, lag) : 0)));
  const l = Math.log2((60 * s.fps) / P / 120);
  out.push(l, l * l);
  const lf = Math.log2(c.factor);
  out.push(lf, Math.abs(lf), Math.abs(Math.abs(lf) - Math.log2(1.5)) < 0.01 ? 1 : 0);
  out.push(c.shift === 0.5 ? 1 : 0, c.shift > 0.3 && c.shift < 0.7 && c.shift !== 0.5 ? 1 : 0);
  return out;
}

/** The features the phase choice weighs: how each kind of onset and the spectral change line up with the
 * beats against the points halfway between them. The bass level (lowLevel:on-mid) scored the same on the
 * tune set (10-fold mean F 0.834 with it and without) but pulled a held off-beat bass, as house music
 * has, onto the beat's place (tests/unit/beat-grid.test.ts): left out. */
export const PHASE_FEATURES: readonly string[] = [
  'full:on/mid',
  'low:on/mid',
  'kick:on/mid',
  'mid:on/mid',
  'high:on/mid',
  'change:on/mid (P/2)',
  'change:on/mid (P)',
];

/**
 * Logistic weights on the PHASE_FEATURES differences between a grid and the same grid moved half a beat,
 * fitted by `node --import tsx bench/beats/tune-selector.ts --fit` on the beat benchmark's tune set (114
 * grids of 130 songs where one of the two phases scores F >= 0.2 above the other, weighted by that
 * difference; L2 0.1 on standardised features).
 * The spectral change carries most of it: chords and melody change on the beat.
 */
export const PHASE_WEIGHTS: readonly number[] = [0.16, 0.18, 0.22, 0.16, 0.19, 1.7, 0.55];

const PHASE_INDEX = PHASE_FEATURES.map((n) => FEATURE_NAMES.indexOf(n));

/** The phase features of a candidate, PHASE_FEATURES order. */
export function phaseFeatures(all: readonly number[]): number[] {
  return PHASE_INDEX.map((i) => all[i]!);
}

/** Where the kick-like onsets are this much stronger on one phase than the other (ln 2: twice), the kick
 * marks the beat whatever the score says. On the tune set ln 1.5 lost 2 songs, ln 2 and ln e none; the
 * rule keeps a pure kick under louder off-beat clicks on the beat (tests/unit/beat-grid.test.ts). */
export const KICK_RULES = Math.log(2);

/** Log-odds that grid `a` is on the beat rather than `b` (the same grid half a beat later). */
export function phaseLogOdds(s: SelectSignals, a: GridCandidate, b: GridCandidate, weights: readonly number[] = PHASE_WEIGHTS): number {
  const all = candidateFeatures(s, a);
  const kick = all[FEATURE_NAMES.indexOf('kick:on/mid')]!;
  if (Math.abs(kick) >= KICK_RULES) return kick > 0 ? Infinity : -Infinity;
  const fa = phaseFeatures(all);
  const fb = phaseFeatures(candidateFeatures(s, b));
  let z = 0;
  for (let k = 0; k < fa.length; k++) z += weights[k]! * (fa[k]! - fb[k]!);
  return z;
}
