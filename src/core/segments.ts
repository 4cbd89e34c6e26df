// Cuts a song into montage segments that follow the music: every cut sits on a detected beat (a bar line
// when the tempo is known) or, failing that, an onset; segments last 2..10 s and get shorter where the
// music is busy. A shortest-path over candidate cut points chooses all cuts at once, so one awkward gap
// cannot push every later cut off the beat, and the segments always tile [0, duration] exactly.
import type { VisualizeOptions } from './visualize.types.js';
import { lowerBound } from './sorted.js';

export interface RhythmInput {
  duration: number;
  /** beat times, seconds, ascending */
  beats: readonly number[];
  /** onset times, seconds, ascending */
  onsets: readonly number[];
  /** beats per minute; 0 or undefined when unknown */
  tempo?: number;
  /** onset strength per hop (optional: sharpens the busyness estimate and the downbeat phase) */
  onsetEnvelope?: ArrayLike<number>;
  hopSeconds?: number;
}

export interface Segment {
  start: number;
  end: number;
}

export interface SegmentOptions {
  minSeconds?: number;
  maxSeconds?: number;
  /** preferred length in the calmest passages */
  calmSeconds?: number;
  /** preferred length in the busiest passages */
  busySeconds?: number;
}

/** How good a cut at a point is: lower is better. A grid point exists only to keep every song cuttable. */
export const CUT_COST = { downbeat: 0, beat: 0.25, onset: 0.6, grid: 1.5 } as const;
type CutKind = keyof typeof CUT_COST;

interface CutPoint {
  t: number;
  kind: CutKind;
}

const MERGE_SECONDS = 0.05;
const GRID_STEP = 0.5;

/** Index of the beat phase (0..3) whose beats carry the most onset strength: the likely bar line. */
export function downbeatPhase(beats: readonly number[], strengthAt: (t: number) => number): number {
  const sums = [0, 0, 0, 0];
  beats.forEach((b, i) => {
    sums[i % 4]! += strengthAt(b);
  });
  let best = 0;
  for (let p = 1; p < 4; p++) if (sums[p]! > sums[best]!) best = p;
  return best;
}

/** Onset events per second around each whole second, from the onset list (or the envelope if given). */
export function onsetDensity(r: RhythmInput, radius = 2): Float64Array {
  const seconds = Math.max(1, Math.ceil(r.duration));
  const out = new Float64Array(seconds);
  const sorted = r.onsets;
  let lo = 0;
  let hi = 0;
  for (let s = 0; s < seconds; s++) {
    const c = s + 0.5;
    while (lo < sorted.length && sorted[lo]! < c - radius) lo++;
    while (hi < sorted.length && sorted[hi]! <= c + radius) hi++;
    const span = Math.min(r.duration, c + radius) - Math.max(0, c - radius);
    out[s] = (hi - lo) / Math.max(span, 1e-6);
  }
  const env = r.onsetEnvelope;
  const hop = r.hopSeconds ?? 0;
  if (env && env.length > 0 && hop > 0) {
    // Blend in the envelope's local mean, rescaled to events/s, so dense but weak activity still counts.
    let total = 0;
    for (let i = 0; i < env.length; i++) total += Math.max(0, env[i]!);
    const meanEnv = total / env.length;
    const meanDensity = sorted.length / Math.max(r.duration, 1e-6);
    if (meanEnv > 0 && meanDensity > 0) {
      for (let s = 0; s < seconds; s++) {
        const a = Math.max(0, Math.floor((s + 0.5 - radius) / hop));
        const b = Math.min(env.length, Math.ceil((s + 0.5 + radius) / hop));
        let sum = 0;
        for (let i = a; i < b; i++) sum += Math.max(0, env[i]!);
        const local = b > a ? sum / (b - a) : 0;
        out[s] = 0.5 * out[s]! + 0.5 * (local / meanEnv) * meanDensity;
      }
    }
  }
  return out;
}

function median(values: Float64Array): number {
  const s = Array.from(values).sort((a, b) => a - b);
  if (s.length === 0) return 0;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Preferred segment length per whole second: busy (relative to the song itself and in absolute onsets
 * per second) maps towards `busySeconds`, calm towards `calmSeconds`.
 */
export function targetLengths(r: RhythmInput, calmSeconds = 8, busySeconds = 2.5): Float64Array {
  const density = onsetDensity(r);
  const med = median(density);
  const out = new Float64Array(density.length);
  for (let s = 0; s < density.length; s++) {
    const d = density[s]!;
    const rel = med > 0 ? Math.min(1, Math.max(0, 0.5 + 0.5 * Math.log2(Math.max(d, 1e-3) / med))) : 0.5;
    const abs = Math.min(1, Math.max(0, (d - 1) / 5));
    const z = 0.5 * rel + 0.5 * abs;
    out[s] = calmSeconds - (calmSeconds - busySeconds) * z;
  }
  return out;
}

function candidatePoints(r: RhythmInput): CutPoint[] {
  const { duration } = r;
  const pts: CutPoint[] = [];
  const inside = (t: number) => Number.isFinite(t) && t > MERGE_SECONDS && t < duration - MERGE_SECONDS;
  const beats = r.beats.filter(inside);
  const tempoKnown = (r.tempo ?? 0) > 0 && beats.length >= 8;
  let phase = -1;
  if (tempoKnown) {
    const env = r.onsetEnvelope;
    const hop = r.hopSeconds ?? 0;
    const strengthAt = (t: number): number => {
      if (env && hop > 0) return Math.max(0, env[Math.min(env.length - 1, Math.round(t / hop))] ?? 0);
      // Without an envelope: an onset within 70 ms of the beat counts as an accent.
      return r.onsets.some((o) => Math.abs(o - t) < 0.07) ? 1 : 0;
    };
    phase = downbeatPhase(beats, strengthAt);
  }
  beats.forEach((t, i) => pts.push({ t, kind: phase >= 0 && i % 4 === phase ? 'downbeat' : 'beat' }));
  for (const t of r.onsets) if (inside(t)) pts.push({ t, kind: 'onset' });
  pts.sort((a, b) => a.t - b.t || CUT_COST[a.kind] - CUT_COST[b.kind]);
  // Merge near-duplicates, keeping the better kind (sorted first among equals by time then cost).
  const merged: CutPoint[] = [];
  for (const p of pts) {
    const last = merged[merged.length - 1];
    if (last && p.t - last.t < MERGE_SECONDS) {
      if (CUT_COST[p.kind] < CUT_COST[last.kind]) merged[merged.length - 1] = p;
    } else merged.push(p);
  }
  // A fallback grid fills gaps so that a valid tiling always exists, even for beatless audio.
  const withGrid: CutPoint[] = [];
  let j = 0;
  for (let g = GRID_STEP; g < duration - MERGE_SECONDS; g += GRID_STEP) {
    while (j < merged.length && merged[j]!.t < g - 0.4) withGrid.push(merged[j++]!);
    const near = (j < merged.length && Math.abs(merged[j]!.t - g) < 0.4) || (withGrid.length > 0 && g - withGrid[withGrid.length - 1]!.t < 0.4);
    if (!near) withGrid.push({ t: g, kind: 'grid' });
  }
  while (j < merged.length) withGrid.push(merged[j++]!);
  withGrid.sort((a, b) => a.t - b.t);
  return [{ t: 0, kind: 'downbeat' }, ...withGrid, { t: duration, kind: 'downbeat' }];
}

/**
 * Segments tiling [0, duration] exactly, each minSeconds..maxSeconds long (a song shorter than
 * minSeconds is one segment). Cost of a segment: squared relative deviation from the local preferred
 * length plus the cost of the cut that ends it; the cheapest tiling wins.
 */
export function segmentSong(r: RhythmInput, opts: SegmentOptions = {}): Segment[] {
  const { minSeconds = 2, maxSeconds = 10, calmSeconds = 8, busySeconds = 2.5 } = opts;
  const { duration } = r;
  if (!(duration > 0) || !Number.isFinite(duration)) throw new RangeError(`song duration must be positive, got ${duration}`);
  if (!(minSeconds > 0 && maxSeconds >= 2 * minSeconds)) throw new RangeError('need 0 < minSeconds and maxSeconds >= 2 * minSeconds');
  if (duration <= maxSeconds && duration < 2 * minSeconds) return [{ start: 0, end: duration }];
  const pts = candidatePoints(r);
  const target = targetLengths(r, calmSeconds, busySeconds);
  const targetAt = (t: number) => target[Math.min(target.length - 1, Math.max(0, Math.floor(t)))]!;
  const eps = 1e-6;
  const n = pts.length;
  const cost = new Float64Array(n).fill(Infinity);
  const prev = new Int32Array(n).fill(-1);
  cost[0] = 0;
  let lo = 0;
  for (let b = 1; b < n; b++) {
    const tb = pts[b]!.t;
    while (lo < b && tb - pts[lo]!.t > maxSeconds + eps) lo++;
    const cut = b === n - 1 ? 0 : CUT_COST[pts[b]!.kind];
    for (let a = lo; a < b; a++) {
      const len = tb - pts[a]!.t;
      if (len < minSeconds - eps) break;
      if (cost[a] === Infinity) continue;
      const want = targetAt((pts[a]!.t + tb) / 2);
      const dev = (len - want) / want;
      const c = cost[a]! + dev * dev + cut;
      if (c < cost[b]!) {
        cost[b] = c;
        prev[b] = a;
      }
    }
  }
  if (cost[n - 1] === Infinity) {
    // Very short songs whose candidate points happen not to fit: equal parts are always valid, since
    // duration / k > (k - 1) / k * maxSeconds >= minSeconds for k >= 2.
    const k = Math.max(1, Math.ceil(duration / maxSeconds));
    return Array.from({ length: k }, (_, i) => ({ start: (duration * i) / k, end: i === k - 1 ? duration : (duration * (i + 1)) / k }));
  }
  const cuts: number[] = [];
  for (let i = n - 1; i >= 0; i = prev[i]!) {
    cuts.push(pts[i]!.t);
    if (i === 0) break;
  }
  cuts.reverse();
  const out: Segment[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) out.push({ start: cuts[i]!, end: cuts[i + 1]! });
  return out;
}

// ---- Pacing from song structure ----------------------------------------------------------------
// With a beat grid, bars and sections, cuts go on the grid itself: every section starts with a cut on its
// downbeat, and inside a section cuts fall every N bars (or every beat), N set by `cuts` or, in 'auto',
// by the section's energy: every bar in the most intense sections (choruses, drops), every 2 bars in the
// middle, every 4 in the calmest (verses, breaks). Segments stay within [minSeconds, maxSeconds] (2..10 s; from 0.25 s with cuts on every beat): a unit
// that is too short is doubled, a span that is too long is split on a beat.

/** one vocabulary: the modes are VisualizeOptions['cuts'] */
export type CutsMode = NonNullable<VisualizeOptions['cuts']>;
export const CUTS_MODES: readonly CutsMode[] = ['auto', 'beat', 'bar', '2bar', 'phrase'];

export interface SectionSpan {
  start: number;
  end: number;
  /** 0..1 */
  energy: number;
}

export interface StructureInput {
  duration: number;
  beats: readonly number[];
  downbeats: readonly number[];
  sections: readonly SectionSpan[];
  /** for songs without a usable grid: segmentSong's fallback */
  onsets?: readonly number[];
}

export interface PacingOptions {
  minSeconds?: number;
  maxSeconds?: number;
}

/** Bars per cut for a section of this energy in 'auto' mode. */
export function barsForEnergy(energy: number): number {
  return energy >= 0.67 ? 1 : energy >= 0.33 ? 2 : 4;
}

const UNIT_BARS: Record<Exclude<CutsMode, 'auto' | 'beat'>, number> = { bar: 1, '2bar': 2, phrase: 4 };

/**
 * Segments tiling [0, duration] whose every inner boundary is a beat of `beats`, sections starting on
 * their downbeats. Falls back to segmentSong (onsets) when there are fewer than 8 beats.
 */
export function segmentByStructure(s: StructureInput, cuts: CutsMode = 'auto', opts: PacingOptions = {}): Segment[] {
  const { duration } = s;
  const minSeconds = opts.minSeconds ?? (cuts === 'beat' ? 0.25 : 2);
  const maxSeconds = opts.maxSeconds ?? 10;
  if (!(duration > 0) || !Number.isFinite(duration)) throw new RangeError(`song duration must be positive, got ${duration}`);
  const beats = s.beats.filter((t) => Number.isFinite(t) && t > 0.05 && t < duration - 0.05);
  if (beats.length < 8) return segmentSong({ duration, beats, onsets: s.onsets ?? [] });
  const beatSet = (t: number) => beats[nearestIndex(beats, t)]!;
  const downs = [...new Set(s.downbeats.filter((t) => t > 0.05 && t < duration - 0.05).map(beatSet))].sort((a, b) => a - b);
  const sections = s.sections.length ? s.sections : [{ start: 0, end: duration, energy: 0.5 }];
  const cutSet = new Set<number>();
  for (const sec of sections) {
    const lo = sec.start;
    const hi = sec.end;
    // the section's own start, on its downbeat (or the nearest beat)
    if (lo > 0.05) cutSet.add(downs.length ? downs[nearestIndex(downs, lo)]! : beatSet(lo));
    if (cuts === 'beat') {
      for (const b of beats) if (b >= lo && b < hi) cutSet.add(b);
      continue;
    }
    const bars = cuts === 'auto' ? barsForEnergy(sec.energy) : UNIT_BARS[cuts];
    const inside = downs.filter((d) => d >= lo - 0.05 && d < hi - 0.05);
    for (let k = 0; k < inside.length; k += bars) cutSet.add(inside[k]!);
  }
  let cutsList = [...cutSet].filter((t) => t > 0.05 && t < duration - 0.05).sort((a, b) => a - b);
  // too short: drop the later cut of a pair closer than minSeconds (section starts win over inner cuts)
  const starts = new Set(sections.map((x) => (x.start > 0.05 ? (downs.length ? downs[nearestIndex(downs, x.start)]! : beatSet(x.start)) : -1)));
  const kept: number[] = [];
  for (const t of cutsList) {
    const prev = kept.length ? kept[kept.length - 1]! : 0;
    if (t - prev >= minSeconds) kept.push(t);
    else if (starts.has(t) && !starts.has(prev) && kept.length && t - (kept[kept.length - 2] ?? 0) >= minSeconds) kept[kept.length - 1] = t;
  }
  while (kept.length && duration - kept[kept.length - 1]! < minSeconds) kept.pop();
  cutsList = kept;
  // too long: split on the beat nearest the middle, until every span fits
  const edges = [0, ...cutsList, duration];
  const out: number[] = [0];
  for (let i = 1; i < edges.length; i++) splitSpan(out[out.length - 1]!, edges[i]!, beats, maxSeconds, minSeconds, out);
  const segs: Segment[] = [];
  for (let i = 0; i + 1 < out.length; i++) segs.push({ start: out[i]!, end: out[i + 1]! });
  return segs;
}

function nearestIndex(sorted: readonly number[], t: number): number {
  const lo = Math.max(0, Math.min(lowerBound(sorted, t), sorted.length - 1));
  if (lo > 0 && Math.abs(sorted[lo - 1]! - t) <= Math.abs(sorted[lo]! - t)) return lo - 1;
  return lo;
}

/** Appends the cuts of (a, b] to out, splitting on beats so no piece exceeds maxSeconds. */
function splitSpan(a: number, b: number, beats: readonly number[], maxSeconds: number, minSeconds: number, out: number[]): void {
  if (b - a <= maxSeconds) {
    out.push(b);
    return;
  }
  const inner = beats.filter((t) => t - a >= minSeconds && b - t >= minSeconds);
  if (inner.length === 0) {
    out.push(b);
    return;
  }
  const mid = inner[nearestIndex(inner, (a + b) / 2)]!;
  splitSpan(a, mid, beats, maxSeconds, minSeconds, out);
  splitSpan(mid, b, beats, maxSeconds, minSeconds, out);
}
