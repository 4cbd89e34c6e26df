// The beat grid: a tempo path that may change over the song, then beats placed by dynamic programming
// against that path (Ellis 2007 with a time-varying period), then a phase check against swung off-beats.
//
// 1. Tempo path. An 8-s autocorrelation window slides over the onset envelope in 1-s steps. Each tempo
//    T (0.7% steps, 40..240 BPM) is scored by the autocorrelation at its period and at 2, 3 and 4 periods,
//    so a tempo whose every other beat is empty (double tempo) loses to the one whose beats all carry
//    onsets. A log-normal prior (centre 120 BPM) settles what the envelope cannot, and a Viterbi pass
//    ties the windows together: small drifts are free, a step costs once, so accelerandos and tempo
//    changes are followed but one ambiguous window cannot flip the octave.
//    Then a bar check (barConsistentRatio) undoes 3:2 and 4:3 confusions: a beat divides the bar; a bar
//    that repeats far more clearly than the found beat overrides the beat's own periodicity.
// 2. Beats. cum[t] = local[t] + max_g (cum[t-g] - tightness * ln(g / P(t))^2), g in [P(t)/2, 2P(t)],
//    on the full-band envelope: the low band (kick, bass) helps find the tempo but, placed on, it pulls
//    the grid onto syncopated bass lines.
// 3. Swing. A swung eighth that is louder than the beat pulls the grid two thirds of a beat late; the
//    long-short pattern tells which of the two is the beat.
// 4. Off-beat. Hi-hats, tambourine or off-beat chords louder than the beat pull the grid half a beat
//    late; when the low band (kick, bass) clearly marks the other phase and the full band only weakly
//    prefers this one, the grid moves onto the kick.

import { lagAt, meanPeak, phaseLogOdds, PHASE_WEIGHTS, type GridCandidate, type SelectSignals } from './grid-select.js';
import { dbnBeats } from './beat-dbn.js';
import { lowerBound } from '../../core/sorted.js';
import { shiftByFraction } from '../../core/grid-correction.js';

export interface GridOptions {
  minBpm: number;
  maxBpm: number;
  priorBpm: number;
  /** standard deviation of the tempo prior, octaves (1.2 scored best of 0.9, 1, 1.2, 1.5, 2 on the beat benchmark) */
  priorOctaves: number;
  /** DP tightness (librosa: 100; 200 scored best of 80, 120, 200, 400 on the beat benchmark) */
  tightness: number;
  /** the metrical level, forced (0.5: every other tracked beat, 2: the beats and the points halfway between,
   * 1: as tracked) instead of the tempo head's choice (trackGrid, levelFactor) */
  level?: number;
}

export const DEFAULT_GRID: GridOptions = { minBpm: 40, maxBpm: 240, priorBpm: 120, priorOctaves: 1.2, tightness: 200 };

export interface TempoPath {
  /** BPM per envelope frame */
  bpm: Float64Array;
  /** median BPM over the song */
  median: number;
  /** mean normalised autocorrelation on the path, 0..1: how clear the pulse is */
  strength: number;
}

const WINDOW_SECONDS = 8;
/** weight of the low-band envelope in the tempo estimate. On the beat benchmark (mean F, before the bar
 * check): tempo 0.5 + placement 0 scored 0.784; 0 + 0 0.778; 0.5 + 0.5 0.765; 1 + 1 0.758; 0 + 0.5 0.739 */
const TEMPO_LOW = 0.5;
const STEP_SECONDS = 1;
/** Off-beat check: the grid moves half a beat when the low band carries PHASE_LOW times more onset on the
 * off-beats than on the beats while the full band prefers the beats by less than PHASE_FULL. On the tune
 * set the off-beat-locked modern_motion measured 1.82 / 1.31; the highest low-band ratio of a correct grid
 * was 1.42 (no_work_song_redfarn, a bass on the off-beat) */
const PHASE_LOW = 1.5;
const PHASE_FULL = 1.5;
/** Swing check: a grid on a swung eighth has under this share of the onset a third of a beat later halfway
 * between its beats (tune set: 0.04-0.05 for the four swing locks, 1.3-1.4 for two songs of swung sixteenths) */
const SWING_HALF = 0.5;
/** Compound metre check (compoundRatio): the slowest tracked tempo read as eighths of a compound beat, and the
 * margin by which the pulse's periodicity at three periods must beat two and four */
const COMPOUND_MIN_BPM = 160;
const COMPOUND_MARGIN = 0.2;
/** weight of the beat network's contrast (activationContrast of the grid minus that of the grid half a beat
 * later) added to the phase log-odds; chosen by leaving sets out (bench/beats/beat-net-train.ts, docs/beats.md) */
const NET_PHASE_WEIGHT = 0.5;
/** The beat DBN's say (round 8, beat-dbn.ts): where its beats leave the tracked grid for at least this many beats in a
 * row and within DBN_NEAR frames of none of the grid's, the run with the higher phase score (onsets and the network's
 * contrast) keeps its beats; chosen by leaving sets out (docs/beats.md: 4, 8 and 16 alike, margins of 0.5 and 1
 * and runs only half a beat off no better) */
const DBN_RUN = 8;
const DBN_NEAR = 4;
/** added to both sides of activationContrast's ratio: an activation near 0 on both phases says little */
const ACTIVATION_FLOOR = 0.02;
/** The level choice (levelFactor): the factors it may move the tracked tempo by, the log-probability margin a
 * factor needs over the tracked tempo, how near a bin must be to count (a factor), and the floor under a mass. */
const LEVEL_FACTORS = [0.5, 2];
const LEVEL_MARGIN = 1;
const LEVEL_TOLERANCE = 1.06;
const LEVEL_FLOOR = 1e-4;
/** a kick's low-band power falls by this much (natural log units, about 13 dB) within this time */
const KICK_DECAY_SECONDS = 0.13;
const KICK_DECAY_NATS = 3;
const STATE_STEP = 0.01; // log2 units: about 0.7% in tempo
/** tempo states a window may move from the last one for free (about 2%) */
const FREE_STATES = Math.round(0.03 / STATE_STEP);
/** tempoPath: in a window whose tempo is within RATIO_STEP_TOLERANCE (log2 units; 0.05 is 3.5%) of 1:2, 2:3,
 * 3:4, 4:3, 3:2 or 2:1 of the song's, what every tempo but the song's own pays. On the tune set (174 songs):
 * mean F 0.868 against 0.850 without, the same with 1, 2 or 4 nats and a tolerance of 0.03-0.08; penalising
 * only the states around those ratios (0.862) left paths on the flanks of the penalised band */
const RATIO_STEP_PENALTY = 1;
const RATIO_STEP_TOLERANCE = 0.05;

function gaussianSmooth(x: Float64Array, sigma: number): Float64Array {
  const r = Math.ceil(3 * sigma);
  const k = new Float64Array(2 * r + 1);
  for (let j = -r; j <= r; j++) k[j + r] = Math.exp(-0.5 * (j / sigma) ** 2);
  const out = new Float64Array(x.length);
  for (let t = 0; t < x.length; t++) {
    let a = 0;
    let w = 0;
    for (let j = Math.max(-r, -t); j <= Math.min(r, x.length - 1 - t); j++) {
      a += k[j + r]! * x[t + j]!;
      w += k[j + r]!;
    }
    out[t] = a / w;
  }
  return out;
}

/** The best state path through per-window emissions: a change within ~3% a step is free; beyond that it
 * costs in proportion to its size, at most jumpCap. */
function tempoViterbi(emit: readonly Float64Array[], S: number): Int32Array {
  const M = emit.length;
  const free = FREE_STATES;
  const costPerState = 0.08;
  const jumpCap = 6;
  let score = Float64Array.from(emit[0]!);
  const back: Int32Array[] = [];
  for (let m = 1; m < M; m++) {
    const next = new Float64Array(S);
    const bk = new Int32Array(S);
    // best predecessor overall, for capped jumps
    let gBest = -Infinity;
    let gArg = 0;
    for (let s = 0; s < S; s++) {
      if (score[s]! > gBest) {
        gBest = score[s]!;
        gArg = s;
      }
    }
    for (let s = 0; s < S; s++) {
      let b = gBest - jumpCap;
      let arg = gArg;
      const reach = free + Math.ceil(jumpCap / costPerState);
      for (let p = Math.max(0, s - reach); p <= Math.min(S - 1, s + reach); p++) {
        const d = Math.abs(p - s);
        const v = score[p]! - (d <= free ? 0 : (d - free) * costPerState);
        if (v > b) {
          b = v;
          arg = p;
        }
      }
      next[s] = b + emit[m]![s]!;
      bk[s] = arg;
    }
    back.push(bk);
    score = next;
  }
  const path = new Int32Array(M);
  let last = 0;
  for (let s = 1; s < S; s++) if (score[s]! > score[last]!) last = s;
  path[M - 1] = last;
  for (let m = M - 1; m > 0; m--) path[m - 1] = back[m - 1]![path[m]!]!;
  return path;
}

/** The envelope with its local mean (±0.25 s) removed and half-wave rectified: sharp onsets only. */
export function emphasise(env: ArrayLike<number>, fps: number): Float64Array {
  const n = env.length;
  const r = Math.max(1, Math.round(0.25 * fps));
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + env[i]!;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - r);
    const b = Math.min(n, i + r + 1);
    out[i] = Math.max(0, env[i]! - (prefix[b]! - prefix[a]!) / (b - a));
  }
  return out;
}


export function tempoPath(env: Float64Array, fps: number, opts: Partial<GridOptions> = {}): TempoPath {
  const o = { ...DEFAULT_GRID, ...opts };
  const n = env.length;
  const x = gaussianSmooth(env, Math.max(0.5, 0.016 * fps));
  const W = Math.min(n, Math.round(WINDOW_SECONDS * fps));
  const step = Math.max(1, Math.round(STEP_SECONDS * fps));
  const starts: number[] = [];
  for (let s = 0; s + W <= n; s += step) starts.push(s);
  if (starts.length === 0) starts.push(0);
  const lo2 = Math.log2(o.minBpm);
  const hi2 = Math.log2(o.maxBpm);
  const S = Math.floor((hi2 - lo2) / STATE_STEP) + 1;
  const bpmOf = (s: number) => 2 ** (lo2 + s * STATE_STEP);
  const maxLag = Math.min(W - 1, Math.ceil((4 * 60 * fps) / o.minBpm) + 2);
  const win = new Float64Array(W);
  for (let i = 0; i < W; i++) win[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / W);
  const emit: Float64Array[] = [];
  const acAt: Float64Array[] = [];
  const seg = new Float64Array(W);
  for (const s0 of starts) {
    const len = Math.min(W, n - s0);
    let mean = 0;
    for (let i = 0; i < len; i++) mean += x[s0 + i]!;
    mean /= Math.max(1, len);
    for (let i = 0; i < len; i++) seg[i] = (x[s0 + i]! - mean) * win[i]!;
    const ac = new Float64Array(maxLag + 2);
    for (let lag = 0; lag <= maxLag + 1 && lag < len; lag++) {
      let a = 0;
      for (let i = 0; i + lag < len; i++) a += seg[i]! * seg[i + lag]!;
      ac[lag] = a;
    }
    const z = ac[0]! > 0 ? ac[0]! : 1;
    for (let lag = 0; lag < ac.length; lag++) ac[lag] = Math.max(0, ac[lag]! / z);
    const e = new Float64Array(S);
    const raw = new Float64Array(S);
    let best = 0;
    for (let s = 0; s < S; s++) {
      const bpm = bpmOf(s);
      const L = (60 * fps) / bpm;
      raw[s] = lagAt(ac, L);
      // harmonic sum: a real beat period repeats at 2, 3 and 4 periods too
      const v = lagAt(ac, L) + 0.5 * lagAt(ac, 2 * L) + 0.33 * lagAt(ac, 3 * L) + 0.25 * lagAt(ac, 4 * L);
      e[s] = v;
      if (v > best) best = v;
    }
    for (let s = 0; s < S; s++) {
      const oct = Math.log2(bpmOf(s) / o.priorBpm) / o.priorOctaves;
      e[s] = Math.log(Math.max(1e-3, e[s]! / (best || 1))) - 0.5 * oct * oct;
    }
    emit.push(e);
    acAt.push(raw);
  }
  const M = starts.length;
  let path = tempoViterbi(emit, S);
  // One tempo for the song: a section whose path sits at 1:2, 2:3, 3:4, 4:3, 3:2 or 2:1 of the song's tempo
  // (the median of the path) is most often a dotted or triplet figure the windows' autocorrelation prefers
  // there, or a level change, not a tempo change the notation would show. In those windows every tempo but
  // the song's own pays RATIO_STEP_PENALTY and the path is found again: a section clearly at another tempo
  // keeps it (the tune set's step from 90 to 132 BPM, 2.3% from 2:3, and its accelerando do).
  if (RATIO_STEP_PENALTY > 0 && M > 1) {
    const sorted = Array.from(path).sort((a, b) => a - b);
    const med = sorted[sorted.length >> 1]!;
    const tol = Math.round(RATIO_STEP_TOLERANCE / STATE_STEP);
    const related = (q: number) => [1 / 2, 2 / 3, 3 / 4, 4 / 3, 3 / 2, 2].some((r) => Math.abs(q - med - Math.log2(r) / STATE_STEP) <= tol);
    const flagged = Array.from(path, (q) => related(q));
    if (flagged.some(Boolean)) {
      // in those windows every tempo but the song's own pays the penalty
      const emit2 = emit.map((e, m) => (flagged[m] ? e.map((v, q) => (Math.abs(q - med) <= FREE_STATES ? v : v - RATIO_STEP_PENALTY)) : e));
      path = tempoViterbi(emit2, S);
    }
  }
  const bpm = new Float64Array(n);
  const centre = (m: number) => starts[m]! + W / 2;
  for (let t = 0, m = 0; t < n; t++) {
    while (m + 1 < M && centre(m + 1) <= t) m++;
    if (t <= centre(0) || m + 1 >= M) bpm[t] = bpmOf(path[m]!);
    else {
      const f = (t - centre(m)) / (centre(m + 1) - centre(m));
      bpm[t] = 2 ** ((1 - f) * Math.log2(bpmOf(path[m]!)) + f * Math.log2(bpmOf(path[m + 1]!)));
    }
  }
  let strength = 0;
  for (let m = 0; m < M; m++) strength += acAt[m]![path[m]!]!;
  const sorted = Array.from(path, (s) => bpmOf(s)).sort((a, b) => a - b);
  return { bpm, median: sorted[sorted.length >> 1]!, strength: strength / M };
}

const BAR_MULTIPLES = [2, 3, 4, 6, 8, 12, 16];
/** A bar periodicity this clear (autocorrelation over its lag-0 value) and this many times stronger than
 * the found beat's is trusted over the beat's own periodicity (on the tune set: clarity 0.75 and 0.8 fixed
 * ttsong_iii and broke nothing, 0.85 fixed nothing; without the clarity test train_filled_with_cash broke) */
const BAR_CLEAR = 0.8;
const BAR_DOMINANCE = 1.3;

/**
 * 3:2 and 4:3 confusions. Tresillo rhythms and even eighths make a period of 3/4 or 3/2 beats look as
 * periodic as the beat itself, but such a period does not divide the bar: the strongest periodicity
 * between 1.5 and 6 s (a bar or two) is a whole number of beats. Returns the factor (1, 2/3, 3/2, 3/4
 * or 4/3) to multiply the beat period by: 1 when the found tempo already divides the bar.
 */
export function barConsistentRatio(env: Float64Array, fps: number, bpm: number, o: GridOptions): number {
  const n = env.length;
  const lo = Math.round(1.5 * fps);
  const hi = Math.min(Math.round(6 * fps), Math.floor(n / 2));
  if (!(bpm > 0) || hi <= lo) return 1;
  const x = gaussianSmooth(env, Math.max(0.5, 0.016 * fps));
  let mean = 0;
  for (let t = 0; t < n; t++) mean += x[t]!;
  mean /= n;
  for (let t = 0; t < n; t++) x[t] = x[t]! - mean;
  const ac = new Float64Array(hi + 2);
  for (let lag = 0; lag < ac.length; lag++) {
    let a = 0;
    for (let t = 0; t + lag < n; t++) a += x[t]! * x[t + lag]!;
    ac[lag] = a / Math.max(1, n - lag);
  }
  let bar = lo;
  for (let lag = lo; lag <= hi; lag++) if (ac[lag]! > ac[bar]!) bar = lag;
  if (!(ac[bar]! > 0)) return 1;
  const L = (60 * fps) / bpm;
  // a bar that repeats far more clearly than the found beat is trusted over the beat's own periodicity
  const dominant = ac[bar]! >= BAR_CLEAR * ac[0]! && ac[bar]! >= BAR_DOMINANCE * Math.max(0, lagAt(ac, L));
  const divides = (p: number) => BAR_MULTIPLES.some((m) => Math.abs(bar / p - m) < 0.04 * m);
  if (divides(L)) return 1;
  let best = 1;
  let bestScore = -Infinity;
  for (const r of [2 / 3, 3 / 2, 3 / 4, 4 / 3]) {
    const b = bpm / r;
    // the new period must be about as periodic as the old one, not merely a divisor of the bar
    if (b < o.minBpm || b > o.maxBpm || !divides(L * r)) continue;
    if (!dominant && lagAt(ac, L * r) < 0.7 * lagAt(ac, L)) continue;
    const oct = Math.log2(b / o.priorBpm) / o.priorOctaves;
    const score = Math.max(0, lagAt(ac, L * r)) * Math.exp(-0.5 * oct * oct);
    if (score > bestScore) {
      bestScore = score;
      best = r;
    }
  }
  return best;
}

/**
 * Compound metre: a fast pulse (COMPOUND_MIN_BPM and up) grouped in threes, as the eighths of a 6/8 or 12/8
 * are, is the subdivision of a dotted-quarter beat: the factor to divide the tempo by (3), or 1. The pulse
 * is grouped in threes when the whole song's autocorrelation at three periods beats that at two and four by
 * COMPOUND_MARGIN (lag 0 = 1). Where it is higher still at one and a half periods, the pulse is three to
 * the beat's two (a tracker locked on a 3:2 figure) and the factor is 1.5. On the tune set: a 6/8 lullaby
 * tracked at its eighths (margin 0.39, 1.5 periods -0.08: factor 3) and a song tracked at 225 BPM for 150
 * (0.54; 0.60 against 0.45 at three periods: 1.5) pass; a 3/4 song tracked at twice its beat has 0.15; a
 * 3/4 waltz at 150 BPM (0.29) is under the tempo bound.
 */
export function compoundRatio(env: Float64Array, fps: number, bpm: number, o: GridOptions): number {
  if (!(bpm >= COMPOUND_MIN_BPM) || bpm / 3 < o.minBpm) return 1;
  const P = (60 * fps) / bpm;
  const ac = songAc(env, fps, Math.ceil(4 * P) + 2);
  const three = lagAt(ac, 3 * P);
  if (three - Math.max(lagAt(ac, 2 * P), lagAt(ac, 4 * P)) < COMPOUND_MARGIN) return 1;
  return lagAt(ac, 1.5 * P) >= three ? 1.5 : 3;
}

/** Beat frames by DP against a per-frame period (frames per beat). */
export function placeBeats(local: Float64Array, period: Float64Array, tightness: number): number[] {
  const n = local.length;
  let localMax = 0;
  for (let t = 0; t < n; t++) localMax = Math.max(localMax, local[t]!);
  if (!(localMax > 0)) return [];
  const cum = new Float64Array(n);
  const back = new Int32Array(n).fill(-1);
  const startThresh = 0.01 * localMax;
  let started = false;
  for (let t = 0; t < n; t++) {
    const P = period[t]!;
    const gMin = Math.max(1, Math.round(P / 2));
    const gMax = Math.round(2 * P);
    let best = -Infinity;
    let arg = -1;
    for (let g = gMin; g <= gMax && g <= t; g++) {
      const lg = Math.log(g / P);
      const s = cum[t - g]! - tightness * lg * lg;
      if (s > best) {
        best = s;
        arg = t - g;
      }
    }
    if (!started || arg < 0) {
      cum[t] = local[t]!;
      if (local[t]! >= startThresh) started = true;
    } else {
      cum[t] = local[t]! + best;
      back[t] = arg;
    }
  }
  let last = n - 1;
  for (let t = Math.max(0, n - Math.round(period[n - 1]!)); t < n; t++) if (cum[t]! > cum[last]!) last = t;
  const beats: number[] = [];
  for (let b = last; b >= 0; b = back[b]!) beats.push(b);
  return beats.reverse();
}

export interface GridResult {
  /** beat frames, ascending */
  beats: number[];
  tempo: TempoPath;
  /** true when the grid was moved off a swung eighth or an off-beat onto the beat */
  shifted: boolean;
}

function normalised(x: Float64Array): Float64Array {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  const r = Math.sqrt(s / Math.max(1, x.length));
  return r > 0 ? x.map((v) => v / r) : x;
}


/** Onsets of the bands between the low one and the top (beyond what trackGrid needs, for the grid choice). */
export interface GridBands {
  /** 200 Hz .. 4 kHz */
  mid: ArrayLike<number>;
  /** 4 kHz and up */
  high: ArrayLike<number>;
  /** frames.ts harmonic: per frame, HARMONIC_BANDS log band powers */
  harmonic?: Float32Array;
  harmonicBands?: number;
}

export interface GridAnalysis {
  tempo: TempoPath;
  /** the grid as placed at the tracked tempo, after the swing and off-beat checks */
  legacy: { beats: number[]; shifted: boolean; swing: boolean };
  /** candidate grids at other levels and phases (present with bands) */
  candidates: GridCandidate[];
  signals?: SelectSignals;
  n: number;
}

/** Tempo factors whose grids analyzeGrid places as candidates by default (the phase choice needs 1 only;
 * the tuning script asks for 0.5, 2/3, 1, 1.5 and 2). */
const CANDIDATE_FACTORS = [1];

/** The grid shifted by `f` of a beat (shiftByFraction), its last beat dropped where that passes frame `n`. */
function shiftBeats(beats: readonly number[], f: number, n: number): number[] {
  const out = shiftByFraction(beats, f);
  if (out.length >= 2 && out[out.length - 1]! >= n) out.pop();
  return out;
}

function globalAc(x: Float64Array, maxLag: number): Float64Array {
  const n = x.length;
  let mean = 0;
  for (let t = 0; t < n; t++) mean += x[t]!;
  mean /= Math.max(1, n);
  const y = x.map((v) => v - mean);
  const L = Math.min(maxLag, n - 1);
  const ac = new Float64Array(L + 1);
  for (let lag = 0; lag <= L; lag++) {
    let a = 0;
    for (let t = 0; t + lag < n; t++) a += y[t]! * y[t + lag]!;
    ac[lag] = a / Math.max(1, n - lag);
  }
  const z = ac[0]! > 0 ? ac[0]! : 1;
  for (let lag = 0; lag <= L; lag++) ac[lag] = ac[lag]! / z;
  return ac;
}

/** The whole song's autocorrelation (lag 0 = 1) of the envelope smoothed as the tempo path smooths it. */
function songAc(env: Float64Array, fps: number, maxLag: number): Float64Array {
  return globalAc(gaussianSmooth(env, Math.max(0.5, 0.016 * fps)), maxLag);
}

/**
 * The grid at the tracked tempo (tempo path, bar check, DP, swing and off-beat checks) and, with the
 * upper bands' onsets, the candidates the grid choice picks from.
 */
export function analyzeGrid(
  full: ArrayLike<number>,
  low: ArrayLike<number>,
  fps: number,
  opts: Partial<GridOptions> = {},
  lowLevel?: ArrayLike<number>,
  bands?: GridBands,
  factors: readonly number[] = CANDIDATE_FACTORS,
): GridAnalysis | null {
  const o = { ...DEFAULT_GRID, ...opts };
  const n = full.length;
  if (n < 3 * fps) return null;
  const ef = normalised(emphasise(full, fps));
  const el = normalised(emphasise(low, fps));
  const combo = new Float64Array(n);
  for (let t = 0; t < n; t++) combo[t] = ef[t]! + TEMPO_LOW * el[t]!;
  let energy = 0;
  for (let t = 0; t < n; t++) energy += combo[t]!;
  if (!(energy > 1e-9)) return null;
  const tempo = tempoPath(combo, fps, o);
  const ratio = barConsistentRatio(combo, fps, tempo.median, o);
  if (ratio !== 1) {
    for (let t = 0; t < n; t++) tempo.bpm[t] = tempo.bpm[t]! / ratio;
    tempo.median /= ratio;
  }
  const compound = compoundRatio(combo, fps, tempo.median, o);
  if (compound !== 1) {
    for (let t = 0; t < n; t++) tempo.bpm[t] = tempo.bpm[t]! / compound;
    tempo.median /= compound;
  }
  const period = tempo.bpm.map((b) => (60 * fps) / b);
  const local = gaussianSmooth(ef, Math.max(0.5, 0.02 * fps));
  const base = placeBeats(local, period, o.tightness);
  let beats = base;
  // Swing: the beat is the long note of a long-short pair. A grid locked on the swung eighth sees the
  // real beat a third of a beat later and nothing two thirds later, nor halfway (a sixth after the real
  // beat); move it onto the beat. Swung sixteenths on the beat (onsets at 0, 1/3, 1/2, 5/6) look alike at
  // 1/3 and 2/3 but fill the half-beat: on the tune set, a true swing lock has 2-4% of the grid's onset
  // there, swung sixteenths 67-75%.
  let shifted = false;
  const r = Math.max(1, Math.round(0.03 * fps));
  if (beats.length >= 8) {
    const atFrac = (f: number) => beats.slice(0, -1).map((b, i) => b + f * (beats[i + 1]! - b));
    const s0 = meanPeak(ef, atFrac(0), r);
    const s1 = meanPeak(ef, atFrac(1 / 3), r);
    const s2 = meanPeak(ef, atFrac(2 / 3), r);
    if (s1 > 2 * s2 && s1 > 0.4 * s0 && meanPeak(ef, atFrac(1 / 2), r) < SWING_HALF * s1) {
      beats = shiftBeats(beats, 1 / 3, n).map((f) => Math.round(f));
      shifted = true;
    }
  }
  const swing = shifted;
  // Off-beat lock: the full band's onsets (hi-hats, tambourine, off-beat chords) can outweigh the beat;
  // the kick and bass mark it. A clear low-band preference for the other phase wins over a weak
  // full-band one.
  const kick = lowLevel ? kickOnsets(el, lowLevel, fps) : el;
  if (!shifted && beats.length >= 8) {
    const mids = beats.slice(0, -1).map((b, i) => (b + beats[i + 1]!) / 2);
    const on = beats.slice(0, -1);
    const lowRatio = meanPeak(kick, mids, r) / Math.max(1e-9, meanPeak(kick, on, r));
    const fullRatio = meanPeak(ef, on, r) / Math.max(1e-9, meanPeak(ef, mids, r));
    if (lowRatio >= PHASE_LOW && fullRatio < PHASE_FULL) {
      beats = shiftBeats(beats, 1 / 2, n).map((f) => Math.round(f));
      shifted = true;
    }
  }
  const out: GridAnalysis = { tempo, legacy: { beats, shifted, swing }, candidates: [], n };
  if (!bands) return out;
  for (const f of factors) {
    const b = f === 1 ? base : placeBeats(local, period.map((p) => p / f), o.tightness);
    if (b.length < 4) continue;
    out.candidates.push({ beats: b, factor: f, shift: 0 }, { beats: shiftBeats(b, 1 / 2, n), factor: f, shift: 1 / 2 });
    if (f === 1) out.candidates.push({ beats: shiftBeats(b, 1 / 3, n), factor: f, shift: 1 / 3 }, { beats: shiftBeats(b, 2 / 3, n), factor: f, shift: 2 / 3 });
  }
  const maxP = Math.max(...period);
  out.signals = {
    full: ef,
    low: el,
    kick,
    mid: normalised(emphasise(bands.mid, fps)),
    high: normalised(emphasise(bands.high, fps)),
    ...(lowLevel ? { lowLevel } : {}),
    ...(bands.harmonic && bands.harmonicBands ? { harmonic: bands.harmonic, harmonicBands: bands.harmonicBands } : {}),
    ...(factors.some((f) => f !== 1) ? { ac: songAc(combo, fps, Math.ceil(8 * maxP) + 2) } : {}),
    fps,
  };
  return out;
}

/** A tempo head's probabilities over `bpm` (bin centres, ascending). */
export interface TempoHead {
  bpm: readonly number[];
  p: ArrayLike<number>;
}

/** What trackGrid reads of a beat network (beat-net.ts), each computed only when asked for: its activation, one
 * value a frame, and, where the weights have a tempo head, the head's probabilities. */
export interface NetView {
  activation: () => ArrayLike<number>;
  tempo?: () => TempoHead;
}

/** The probability a tempo head gives a tempo within a factor `tol` of `bpm` (0 where `bpm` is beyond its bins). */
export function tempoMass(head: TempoHead, bpm: number, tol = LEVEL_TOLERANCE): number {
  let m = 0;
  for (let k = 0; k < head.bpm.length; k++) if (head.bpm[k]! >= bpm / tol && head.bpm[k]! <= bpm * tol) m += head.p[k]!;
  return m;
}

/**
 * The metrical level: the factor (of LEVEL_FACTORS, or 1) to move the tracked tempo `bpm` by, where the tempo
 * head puts LEVEL_MARGIN (log) more probability near that tempo than near the tracked one; a level outside
 * the tracker's tempo range is never chosen.
 */
export function levelFactor(head: TempoHead, bpm: number, o: GridOptions = DEFAULT_GRID, factors: readonly number[] = LEVEL_FACTORS, margin = LEVEL_MARGIN): number {
  const score = (f: number) => Math.log(tempoMass(head, f * bpm) + LEVEL_FLOOR);
  let best = 1;
  let bestScore = score(1) + margin;
  for (const f of factors) {
    if (f * bpm < o.minBpm || f * bpm > o.maxBpm) continue;
    const s = score(f);
    if (s > bestScore) {
      best = f;
      bestScore = s;
    }
  }
  return best;
}

/**
 * Beat frames for an onset envelope (full band) and a low-band one (same length), at `fps` frames/s.
 * `rms` (per frame) trims beats laid over silence at either end. With the upper bands' onsets and the
 * harmonic spectrum, the phase (the grid or the grid half a beat later) is chosen by the fitted phase
 * score (grid-select.ts), to which a beat network (beat-net.ts; `net`, its parts computed only when read) adds
 * NET_PHASE_WEIGHT x its activation's contrast between the two grids; without them, by the swing and off-beat
 * checks alone. A grid the swing check moved keeps that phase. With the network, the beat DBN (beat-dbn.ts) decodes
 * its activation at the tracked tempo path, and where that decoding leaves the grid for a run of beats, the run's
 * phase score decides which of the two holds there (mergeRuns). Where the network has a tempo head (the shipped
 * weights have none: round 7 measured it, docs/beats.md), the head may move the grid to half or twice the
 * tracked tempo (levelFactor, relevel); `opts.level` forces a level.
 */
export function trackGrid(
  full: ArrayLike<number>,
  low: ArrayLike<number>,
  rms: ArrayLike<number>,
  fps: number,
  opts: Partial<GridOptions> = {},
  lowLevel?: ArrayLike<number>,
  bands?: GridBands,
  weights: readonly number[] | null = PHASE_WEIGHTS,
  net?: NetView,
): GridResult | null {
  const withBands = weights && bands?.harmonic ? bands : undefined;
  const a = analyzeGrid(full, low, fps, opts, lowLevel, withBands);
  if (!a) return null;
  const r = Math.max(1, Math.round(0.03 * fps));
  const on = a.candidates.find((c) => c.factor === 1 && c.shift === 0);
  const off = a.candidates.find((c) => c.factor === 1 && c.shift === 0.5);
  let beats: number[];
  let shifted: boolean;
  if (!weights || !a.signals || !on || !off || a.legacy.swing) ({ beats, shifted } = a.legacy);
  else {
    const best = phaseScore(a.signals, on, off, weights, net?.activation(), r) >= 0 ? on : off;
    beats = [...new Set(best.beats.map((f) => Math.round(f)))];
    shifted = best.shift !== 0;
  }
  // the beat DBN on the network's activation, at the tracked tempo, where it leaves the grid for a run of beats
  if (net && withBands && a.signals) {
    const act = net.activation();
    beats = mergeRuns(beats, dbnBeats(act, a.tempo.bpm, fps), a.signals, weights ?? PHASE_WEIGHTS, act, r);
  }
  // the metrical level: where the network's tempo head clearly prefers half or twice the tracked tempo
  const o = { ...DEFAULT_GRID, ...opts };
  if (o.level !== undefined && ![0.5, 1, 2].includes(o.level)) throw new RangeError(`level must be 0.5, 1 or 2, not ${o.level}`);
  const level = o.level ?? (net?.tempo && withBands ? levelFactor(net.tempo(), a.tempo.median, o) : 1);
  if (level !== 1 && beats.length >= 4) {
    beats = relevel(beats, level, a.n, a.signals, weights ?? PHASE_WEIGHTS, net?.activation(), r);
    for (let t = 0; t < a.tempo.bpm.length; t++) a.tempo.bpm[t] = a.tempo.bpm[t]! * level;
    a.tempo.median *= level;
  }
  return { beats: trimSilent(beats, rms), tempo: a.tempo, shifted };
}

/**
 * A grid at another metrical level. Twice the tempo: the beats and the points halfway between them. Half the
 * tempo: every other beat, the even or the odd ones, whichever the phase score (and the network's contrast)
 * puts on the beat, the other ones then being the points halfway.
 */
function relevel(beats: readonly number[], level: number, n: number, signals: SelectSignals | undefined, weights: readonly number[], act: ArrayLike<number> | undefined, r: number): number[] {
  if (level === 2) {
    const out: number[] = [];
    beats.forEach((b, i) => {
      out.push(b);
      const next = beats[i + 1] ?? b + (b - beats[i - 1]!);
      const mid = Math.round((b + next) / 2);
      if (mid > b && mid < n) out.push(mid);
    });
    return out;
  }
  const even = beats.filter((_, i) => i % 2 === 0);
  const odd = beats.filter((_, i) => i % 2 === 1);
  return phaseScore(signals, { beats: even, factor: 0.5, shift: 0 }, { beats: odd, factor: 0.5, shift: 0.5 }, weights, act, r) >= 0 ? even : odd;
}

/**
 * The grid `grid` with each run of at least DBN_RUN consecutive beats of `other` (another decoding of the same
 * song) that lie more than DBN_NEAR frames from every beat of `grid` put in place of the grid's beats between the
 * beats of `other` either side of the run, where the phase score prefers the run to them.
 */
export function mergeRuns(grid: readonly number[], other: readonly number[], signals: SelectSignals, weights: readonly number[], act: ArrayLike<number> | undefined, r: number): number[] {
  let out = [...grid];
  const away = other.map((x) => !near(grid, x, DBN_NEAR));
  for (let i = 0; i < other.length; ) {
    if (!away[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j < other.length && away[j]) j++;
    if (j - i >= DBN_RUN) {
      const run = other.slice(i, j);
      // the grid's beats between the beats of `other` either side of the run (those near the grid's own)
      const lo = i > 0 ? other[i - 1]! + DBN_NEAR : -Infinity;
      const hi = j < other.length ? other[j]! - DBN_NEAR : Infinity;
      const inside = (x: number) => x > lo && x < hi;
      const mine = grid.filter(inside);
      if (mine.length >= 4 && phaseScore(signals, { beats: mine, factor: 1, shift: 0 }, { beats: run, factor: 1, shift: 0.5 }, weights, act, r) < 0)
        out = [...out.filter((x) => !inside(x)), ...run].sort((p, q) => p - q);
    }
    i = j;
  }
  return out;
}

/** Whether sorted `xs` has a value within `tol` of `x`. */
function near(xs: readonly number[], x: number, tol: number): boolean {
  const lo = lowerBound(xs, x);
  return (lo < xs.length && xs[lo]! - x <= tol) || (lo > 0 && x - xs[lo - 1]! <= tol);
}

/** Log-odds that grid `a` rather than `b` (the same grid half a beat later) is on the beat: the phase score
 * (grid-select.ts; 0 without the signals) plus NET_PHASE_WEIGHT x how much more a beat activation peaks on a's
 * beats than on b's. */
function phaseScore(signals: SelectSignals | undefined, a: GridCandidate, b: GridCandidate, weights: readonly number[], act: ArrayLike<number> | undefined, r: number): number {
  const z = signals ? phaseLogOdds(signals, a, b, weights) : 0;
  return act ? z + NET_PHASE_WEIGHT * (activationContrast(act, a.beats, r) - activationContrast(act, b.beats, r)) : z;
}

/** How a beat activation (beat-net.ts) peaks on the beats against the points halfway between them (log ratio). */
export function activationContrast(act: ArrayLike<number>, beats: readonly number[], r: number): number {
  const on = beats.slice(0, -1);
  const mids = on.map((b, i) => (b + beats[i + 1]!) / 2);
  return Math.log((meanPeak(act, on, r) + ACTIVATION_FLOOR) / (meanPeak(act, mids, r) + ACTIVATION_FLOOR));
}

/**
 * The low-band onsets that die away fast, as a kick drum's do: each onset weighted by how far the low
 * bands' log power falls from its peak (within 2 frames) to KICK_DECAY_SECONDS later, full weight at
 * KICK_DECAY_NATS. A bass note, which holds, counts little.
 */
export function kickOnsets(lowOnset: ArrayLike<number>, lowLevel: ArrayLike<number>, fps: number): Float64Array {
  const n = lowOnset.length;
  const d = Math.max(2, Math.round(KICK_DECAY_SECONDS * fps));
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    if (!(lowOnset[t]! > 0)) continue;
    let peak = -Infinity;
    for (let k = t; k <= Math.min(n - 1, t + 2); k++) peak = Math.max(peak, lowLevel[k]!);
    const fall = peak - lowLevel[Math.min(n - 1, t + d)]!;
    out[t] = lowOnset[t]! * Math.min(1, Math.max(0, fall / KICK_DECAY_NATS));
  }
  return out;
}

/** Drops beats at either end that fall where the audio is near silence (under 1/50 of its median RMS
 * while playing): a quiet intro keeps its beats, a silent lead-in or a fade to nothing does not. */
export function trimSilent(beats: number[], rms: ArrayLike<number>): number[] {
  const vals: number[] = [];
  for (let i = 0; i < rms.length; i++) if (rms[i]! > 1e-5) vals.push(rms[i]!);
  if (vals.length === 0) return [];
  vals.sort((a, b) => a - b);
  const floor = vals[vals.length >> 1]! / 50;
  const loud = (f: number) => {
    let m = 0;
    for (let t = Math.max(0, f - 8); t <= Math.min(rms.length - 1, f + 8); t++) m = Math.max(m, rms[t]!);
    return m > floor;
  };
  let a = 0;
  let z = beats.length;
  while (a < z && !loud(beats[a]!)) a++;
  while (z > a && !loud(beats[z - 1]!)) z--;
  return beats.slice(a, z);
}
