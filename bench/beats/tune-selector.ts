// Tuning aid for the phase choice (src/features/audio/grid-select.ts): on the cached TUNE set
// (bench/beats/tune-cache.ts), every candidate grid of every song (5 tempo levels, 2-4 phases) with its
// features and its F-measure; fits the phase weights (logistic, grid vs grid half a beat later) and
// reports the tune set's mean F with them, cross-validated (leave one set out; 10 folds of songs), against
// the round-3 tracker and the best candidate. --levels also scores a softmax over every level's candidates
// (expected F, L2), tried and not shipped. Never reads the held-out set.
// Run: node --import tsx bench/beats/tune-selector.ts [--fit] [--songs] [--levels] [--l2 X]
import { beatFMeasure } from '../../src/core/beat-eval.js';
import { HARMONIC_BANDS } from '../../src/features/audio/frames.js';
import { analyzeGrid, trimSilent } from '../../src/features/audio/grid.js';
import { candidateFeatures, FEATURE_NAMES, KICK_RULES, PHASE_FEATURES, PHASE_WEIGHTS } from '../../src/features/audio/grid-select.js';

/** every level the tuning looks at */
const FACTORS = [0.5, 2 / 3, 1, 1.5, 2];
import { loadTuneCache, type CachedSong } from './tune-cache.js';

export interface SongCandidates {
  name: string;
  set: string;
  legacyF: number;
  /** the tracker's swing check moved the grid a third of a beat */
  swing: boolean;
  x: number[][];
  f: number[];
  desc: string[];
}

export function songCandidates(c: CachedSong, factors: readonly number[] = FACTORS): SongCandidates | null {
  const bands = { mid: c.onsetMid, high: c.onsetHigh, harmonic: c.harmonic, harmonicBands: HARMONIC_BANDS };
  const a = analyzeGrid(c.onset, c.onsetLow, c.fps, {}, c.lowLevel, bands, factors);
  if (!a || !a.signals) return null;
  const time = (f: number) => c.start + f * c.hopSeconds;
  const F = (beats: number[]) => beatFMeasure(c.reference, trimSilent([...new Set(beats.map((b) => Math.round(b)))], c.rms).map(time)).f;
  return {
    name: c.name,
    set: c.set,
    legacyF: F(a.legacy.beats),
    swing: a.legacy.swing,
    x: a.candidates.map((k) => candidateFeatures(a.signals!, k)),
    f: a.candidates.map((k) => F(k.beats)),
    desc: a.candidates.map((k) => `x${Math.round(k.factor * 100) / 100}+${Math.round(k.shift * 100) / 100}`),
  };
}

const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / Math.max(1, x.length);

function standardiser(songs: SongCandidates[]) {
  const D = songs[0]!.x[0]!.length;
  const mu = new Array<number>(D).fill(0);
  const sd = new Array<number>(D).fill(0);
  let k = 0;
  for (const s of songs) for (const x of s.x) {
    for (let d = 0; d < D; d++) mu[d]! += x[d]!;
    k++;
  }
  for (let d = 0; d < D; d++) mu[d] = mu[d]! / k;
  for (const s of songs) for (const x of s.x) for (let d = 0; d < D; d++) sd[d]! += (x[d]! - mu[d]!) ** 2;
  for (let d = 0; d < D; d++) sd[d] = Math.sqrt(sd[d]! / k) || 1;
  return { mu, sd };
}

/** Weights on the raw features maximising mean expected F (softmax over each song's candidates) - l2 |w|^2. */
export function fit(songs: SongCandidates[], l2: number, iters = 1500): number[] {
  const D = songs[0]!.x[0]!.length;
  const { sd } = standardiser(songs);
  const z = songs.map((s) => s.x.map((x) => x.map((v, d) => v / sd[d]!)));
  const w = new Array<number>(D).fill(0);
  const m = new Array<number>(D).fill(0);
  const v = new Array<number>(D).fill(0);
  const lr = 0.05;
  for (let it = 1; it <= iters; it++) {
    const g = new Array<number>(D).fill(0);
    songs.forEach((s, si) => {
      const sc = z[si]!.map((x) => x.reduce((a, xv, d) => a + xv * w[d]!, 0));
      const mx = Math.max(...sc);
      const e = sc.map((q) => Math.exp(q - mx));
      const sum = e.reduce((a, b) => a + b, 0);
      const p = e.map((q) => q / sum);
      const E = p.reduce((a, pk, k) => a + pk * s.f[k]!, 0);
      for (let k = 0; k < p.length; k++) {
        const c = p[k]! * (s.f[k]! - E);
        for (let d = 0; d < D; d++) g[d]! += c * z[si]![k]![d]!;
      }
    });
    for (let d = 0; d < D; d++) {
      const grad = g[d]! / songs.length - 2 * l2 * w[d]!;
      m[d] = 0.9 * m[d]! + 0.1 * grad;
      v[d] = 0.999 * v[d]! + 0.001 * grad * grad;
      w[d]! += (lr * (m[d]! / (1 - 0.9 ** it))) / (Math.sqrt(v[d]! / (1 - 0.999 ** it)) + 1e-8);
    }
  }
  return w.map((x, d) => x / sd[d]!);
}

export function choose(s: SongCandidates, w: readonly number[]): number {
  let best = 0;
  let bs = -Infinity;
  s.x.forEach((x, k) => {
    const q = x.reduce((a, v, d) => a + v * w[d]!, 0);
    if (q > bs) {
      bs = q;
      best = k;
    }
  });
  return best;
}

function report(label: string, songs: SongCandidates[], pick: (s: SongCandidates) => number) {
  const sets = [...new Set(songs.map((s) => s.set))];
  const line = (name: string, ss: SongCandidates[]) => {
    const f = ss.map(pick);
    return `${name} ${mean(f).toFixed(3)} (<0.6: ${f.filter((x) => x < 0.6).length}/${ss.length})`;
  };
  console.log(`${label.padEnd(22)} ${line('all', songs)}  ${sets.map((st) => line(st, songs.filter((s) => s.set === st))).join('  ')}`);
}

// ---- the phase choice: a logistic score on the feature differences between a grid and itself half a beat later
interface PhasePair {
  x: number[];
  /** 1 when the unshifted grid scores higher */
  y: number;
  /** how much the choice matters: |F(grid) - F(shifted)| */
  w: number;
}

const phaseIdx = PHASE_FEATURES.map((n) => FEATURE_NAMES.indexOf(n));
const at = (s: SongCandidates, d: string) => s.desc.indexOf(d);

/** Training pairs: the tracked level only, songs the swing check leaves alone, choices that matter (|dF| >= 0.2). */
export function phasePairs(songs: SongCandidates[]): PhasePair[] {
  const out: PhasePair[] = [];
  for (const s of songs) {
    if (s.swing) continue;
    const a = at(s, 'x1+0');
    const b = at(s, 'x1+0.5');
    if (a < 0 || b < 0 || Math.abs(s.f[a]! - s.f[b]!) < 0.2) continue;
    out.push({ x: phaseIdx.map((i) => s.x[a]![i]! - s.x[b]![i]!), y: s.f[a]! > s.f[b]! ? 1 : 0, w: Math.abs(s.f[a]! - s.f[b]!) });
  }
  return out;
}

/** Weighted logistic regression without intercept (the pair's mirror image is its complement), L2 on standardised features. */
export function fitPhase(pairs: PhasePair[], l2: number): number[] {
  const D = phaseIdx.length;
  const sd = Array.from({ length: D }, (_, i) => Math.sqrt(pairs.reduce((a, p) => a + p.x[i]! ** 2, 0) / Math.max(1, pairs.length)) || 1);
  const z = pairs.map((p) => p.x.map((v, i) => v / sd[i]!));
  const w = new Array<number>(D).fill(0);
  for (let it = 0; it < 2000; it++) {
    const g = new Array<number>(D).fill(0);
    pairs.forEach((p, k) => {
      for (const sgn of [1, -1]) {
        const y = sgn === 1 ? p.y : 1 - p.y;
        const q = 1 / (1 + Math.exp(-z[k]!.reduce((a, v, i) => a + sgn * v * w[i]!, 0)));
        for (let i = 0; i < D; i++) g[i]! += p.w * (y - q) * sgn * z[k]![i]!;
      }
    });
    for (let i = 0; i < D; i++) w[i]! += 0.3 * (g[i]! / Math.max(1, pairs.length) - l2 * w[i]!);
  }
  return w.map((v, i) => v / sd[i]!);
}

/** The candidate the tracker ships: the swing check's grid, else the kick's phase where the kick-like onsets
 * clearly mark one, else the phase the score prefers (grid.ts trackGrid). */
export function phasePick(s: SongCandidates, w: readonly number[]): number {
  if (s.swing) return -1;
  const a = at(s, 'x1+0');
  const b = at(s, 'x1+0.5');
  const k = s.x[a]![FEATURE_NAMES.indexOf('kick:on/mid')]!;
  if (Math.abs(k) >= KICK_RULES) return k > 0 ? a : b;
  return phaseIdx.reduce((q, i, k) => q + (s.x[a]![i]! - s.x[b]![i]!) * w[k]!, 0) >= 0 ? a : b;
}

const phaseF = (s: SongCandidates, w: readonly number[]) => {
  const k = phasePick(s, w);
  return k < 0 ? s.legacyF : s.f[k]!;
};

if (process.argv[1]?.endsWith('tune-selector.ts')) {
  const l2i = process.argv.indexOf('--l2');
  const l2 = l2i > 0 ? Number(process.argv[l2i + 1]) : 0.1;
  const songs = loadTuneCache().map((c) => songCandidates(c, FACTORS)).filter((s): s is SongCandidates => s !== null);
  const sets = [...new Set(songs.map((s) => s.set))];
  report('round 3 (legacy)', songs, (s) => s.legacyF);
  report('oracle, any level', songs, (s) => Math.max(...s.f));
  report('oracle, phase only', songs, (s) => (s.swing ? s.legacyF : Math.max(s.f[at(s, 'x1+0')]!, s.f[at(s, 'x1+0.5')]!)));
  report('shipped phase weights', songs, (s) => phaseF(s, PHASE_WEIGHTS));
  const cv = (fold: (s: SongCandidates, i: number) => number, K: number) => {
    const out = new Map<SongCandidates, number>();
    for (let k = 0; k < K; k++) {
      const w = fitPhase(phasePairs(songs.filter((s, i) => fold(s, i) !== k)), l2);
      songs.forEach((s, i) => {
        if (fold(s, i) === k) out.set(s, phaseF(s, w));
      });
    }
    return out;
  };
  const lso = cv((s) => sets.indexOf(s.set), sets.length);
  report(`phase, leave-set-out`, songs, (s) => lso.get(s)!);
  const tenfold = cv((_, i) => i % 10, 10);
  report(`phase, 10-fold`, songs, (s) => tenfold.get(s)!);
  // tried: a softmax over every candidate of every level (expected F, L2); reported, not shipped
  if (process.argv.includes('--levels')) {
    const picks = new Map<SongCandidates, number>();
    for (const st of sets) {
      const wt = fit(songs.filter((s) => s.set !== st), 0.001);
      for (const s of songs.filter((q) => q.set === st)) picks.set(s, s.f[choose(s, wt)]!);
    }
    report('all levels, leave-set-out', songs, (s) => picks.get(s)!);
  }
  const w = fitPhase(phasePairs(songs), l2);
  if (process.argv.includes('--fit')) {
    console.log(`PHASE_WEIGHTS (l2 ${l2}, ${phasePairs(songs).length} pairs): [${w.map((x) => Number(x.toPrecision(2))).join(', ')}]`);
    PHASE_FEATURES.forEach((n, d) => console.log(`  ${n.padEnd(22)} ${w[d]!.toFixed(3)}`));
  }
  if (process.argv.includes('--songs')) {
    for (const s of songs) {
      const v = phaseF(s, PHASE_WEIGHTS);
      if (Math.abs(v - s.legacyF) > 0.02 || v < 0.6) console.log(`${s.set.padEnd(9)} ${s.name.padEnd(34)} round 3 ${s.legacyF.toFixed(3)}  now ${v.toFixed(3)}  10-fold ${tenfold.get(s)!.toFixed(3)}  best ${Math.max(...s.f).toFixed(3)} ${s.desc[s.f.indexOf(Math.max(...s.f))]}`);
    }
  }
}
