// From "these clips match this segment" to "this clip, from this offset": each candidate's offset is fitted
// to the clip's shots and flagged spans (core/piece-fit.ts), candidates that can only show flagged footage
// leave the list, shot changes that cannot be put on a beat cost score, and a seed varies the take.
// What was decided and why is kept per segment for the plan file.
import type { ClipFootage } from '../core/footage.js';
import { fitPiece, type PieceFit } from '../core/piece-fit.js';
import type { Candidate } from '../core/plan.js';
import type { Segment } from '../core/segments.js';

export interface RawCandidate {
  clip: number;
  video: number;
  /** 0..1, 1 = the best match seen for this song */
  score: number;
}

export interface PieceOptions {
  beats: readonly number[];
  /** another take: 0 is the plain best plan; any other value perturbs scores and offsets reproducibly */
  seed?: number;
  keepFlagged?: boolean;
  /** score lost per shot change that stays off the beat */
  offBeatPenalty?: number;
  fps?: number;
}

export interface FittedCandidate extends Candidate {
  fit: PieceFit | undefined;
  /** the match score before the footage terms and the seed */
  match: number;
}

/** Spread of the seed's perturbation (Gumbel scale on 0..1 scores): a re-take, not a random montage. */
const TAKE_SCALE = 0.08;

/** A uniform number in (0, 1) from integers, the same wherever and in whatever order it is asked. */
export function hashUnit(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h = Math.imul(h ^ (x | 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
  }
  return (h + 0.5) / 2 ** 32;
}

/**
 * Fits every candidate of every segment. `footageOf(clip)` is undefined for clips whose footage was never
 * scanned: they keep the old behaviour (no shot or flag knowledge) and their score is untouched.
 */
export function fitCandidates(
  segments: readonly Segment[],
  raw: readonly (readonly RawCandidate[])[],
  footageOf: (clip: number) => ClipFootage | undefined,
  opts: PieceOptions,
): FittedCandidate[][] {
  const seed = opts.seed ?? 0;
  const penalty = opts.offBeatPenalty ?? 1;
  return segments.map((seg, s) => {
    const fitted = raw[s]!.map((c): FittedCandidate => {
      const foot = footageOf(c.clip);
      const prefer = seed === 0 ? 0.5 : hashUnit(seed, s, c.clip, 1);
      const fit = foot ? fitPiece(seg.start, seg.end, foot, { beats: opts.beats, keepFlagged: opts.keepFlagged ?? false, prefer, ...(opts.fps ? { fps: opts.fps } : {}) }) : undefined;
      let score = c.score;
      if (fit) score -= penalty * (fit.offBeat + fit.risk);
      if (seed !== 0) score -= TAKE_SCALE * Math.log(-Math.log(hashUnit(seed, s, c.clip, 2)));
      return { clip: c.clip, video: c.video, score, match: c.score, fit };
    });
    if (opts.keepFlagged) return fitted;
    // Flagged footage leaves the list; a segment whose every candidate is flagged keeps the least flagged.
    const clean = fitted.filter((c) => !c.fit || c.fit.flaggedSeconds === 0);
    if (clean.length > 0) return clean;
    const least = Math.min(...fitted.map((c) => c.fit?.flaggedSeconds ?? 0));
    return fitted.filter((c) => (c.fit?.flaggedSeconds ?? 0) <= least + 1e-9);
  });
}

/** Why a piece was chosen, for people reading a plan file. */
export function explain(c: FittedCandidate, rank: number, of: number): string {
  const parts = [`match ${c.match.toFixed(3)} (rank ${rank} of ${of})`];
  const f = c.fit;
  if (!f) parts.push('footage not scanned');
  else {
    if (f.onBeat === 0 && f.offBeat === 0) parts.push('no shot change inside');
    if (f.onBeat > 0) parts.push(`${f.onBeat} shot change(s) placed on the beat`);
    if (f.offBeat > 0) parts.push(`${f.offBeat} shot change(s) off the beat`);
    if (f.risk > 0) parts.push(`fast motion or flashes off the beat (risk ${f.risk.toFixed(2)})`);
    if (f.flaggedSeconds > 0) parts.push(`${f.flaggedSeconds.toFixed(2)} s flagged (${f.flags.join(', ')})`);
    if (f.short) parts.push('clip shorter than the segment');
  }
  return parts.join('; ');
}
