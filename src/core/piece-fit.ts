// Where in a clip a piece of the montage starts. A piece covers a segment of the song [start, end); the
// clip's own shot changes inside the piece become cuts the viewer sees, so the offset is chosen for the
// piece to hold no shot change, or to have each shot change it keeps land on a beat of the song; and
// never to show flagged footage (black, title cards, fades, ...) unless asked to. Pure.
import type { ClipFootage, FootageFlag } from './footage.js';
import { lowerBound } from './sorted.js';

export interface FitOptions {
  /** the song's beat times, seconds, ascending */
  beats: readonly number[];
  /** output frame rate: alignment is planned in whole frames so rounding never moves a cut */
  fps?: number;
  /** seconds a shot change may sit from a beat and still count as on it when it was not placed there */
  tolerance?: number;
  /** scene score from which a shot change may be visible in the rendered video (weaker ones are ignored) */
  minScore?: number;
  /** scene score from which a shot change is surely visible; between the two it counts in proportion */
  sureScore?: number;
  /** allow flagged footage in the piece */
  keepFlagged?: boolean;
  /** preferred offset as a share (0..1) of the slack the clip leaves: breaks ties, varies takes */
  prefer?: number;
}

export interface PieceFit {
  /** seconds into the clip where the piece starts */
  offset: number;
  /** visible shot changes inside the piece that fall off the beat */
  offBeat: number;
  /** weaker changes off the beat (fast motion, flashes), weighted by how likely the output shows them as cuts */
  risk: number;
  /** visible shot changes inside the piece that fall on a beat */
  onBeat: number;
  /** seconds of flagged footage the piece shows */
  flaggedSeconds: number;
  flags: FootageFlag[];
  /** the clip is shorter than the piece (its last frame is held) */
  short: boolean;
}

export const FIT_DEFAULTS = { fps: 25, tolerance: 0.03, minScore: 0.15, sureScore: 0.3 } as const;


/** Distance from t to the nearest beat (Infinity without beats). */
export function beatDistance(beats: readonly number[], t: number): number {
  const i = lowerBound(beats, t);
  let d = Infinity;
  if (i < beats.length) d = beats[i]! - t;
  if (i > 0) d = Math.min(d, t - beats[i - 1]!);
  return d;
}

interface Eval extends PieceFit {
  cost: number;
}

/** Scores one offset: cost = flagged seconds (dominant unless kept), then off-beat cuts, then taste. */
function evaluate(offset: number, len: number, clip: ClipFootage, start: number, o: Required<Omit<FitOptions, 'prefer'>> & { prefer: number }, room: number): Eval {
  const frame = 1 / o.fps;
  let offBeat = 0;
  let risk = 0;
  let onBeat = 0;
  let edge = 0;
  for (const c of clip.cuts) {
    if (c.score < o.minScore) continue;
    const rel = c.t - offset;
    if (rel <= -frame / 2 || rel >= len - frame / 2) continue; // outside the piece, or its first frame after it
    if (rel < frame * 1.5) {
      // One frame of the old shot, then the new one: a flash at the piece's own (on-beat) cut.
      edge++;
      continue;
    }
    if (beatDistance(o.beats, start + rel) <= o.tolerance) onBeat++;
    else if (c.score >= o.sureScore) offBeat++;
    else risk += (c.score - o.minScore) / (o.sureScore - o.minScore);
  }
  let flagged = 0;
  const flags = new Set<FootageFlag>();
  for (const f of clip.flagged) {
    const overlap = Math.min(f.end, offset + len) - Math.max(f.start, offset);
    if (overlap > 1e-6) {
      flagged += overlap;
      flags.add(f.flag);
    }
  }
  const taste = room > 0 ? Math.abs(offset - o.prefer * room) / room : 0;
  const cost = (o.keepFlagged ? 0 : 100 * flagged) + offBeat + risk + 0.2 * edge + 0.01 * onBeat + 0.001 * taste;
  return { offset, offBeat, risk: Math.round(risk * 1000) / 1000, onBeat, flaggedSeconds: Math.round(flagged * 1000) / 1000, flags: [...flags], short: room < 0, cost };
}

/**
 * The best offset for a piece covering song time [start, end) with a clip. Candidates: the preferred
 * offset, both ends of the slack, each offset that starts or ends the piece exactly on a shot change or
 * on the edge of a flagged span, and each offset that puts a shot change exactly on a beat inside the
 * piece (in whole frames, from the rounded output frame of the beat).
 */
export function fitPiece(start: number, end: number, clip: ClipFootage, opts: FitOptions): PieceFit {
  const o = { ...FIT_DEFAULTS, keepFlagged: false, prefer: 0.5, ...opts };
  const len = end - start;
  if (!(len > 0)) throw new RangeError(`a piece needs a positive length, got ${start}..${end}`);
  const room = clip.duration - len;
  if (room <= 0) {
    const { cost: _cost, ...fit } = evaluate(0, len, clip, start, o, room);
    return fit;
  }
  const fps = o.fps;
  const startFrame = Math.round(start * fps);
  const offsets = new Set<number>([0, room, o.prefer * room]);
  const add = (x: number) => {
    if (x >= 0 && x <= room) offsets.add(Math.round(x * 1e4) / 1e4);
  };
  const lo = lowerBound(o.beats, start);
  const hi = lowerBound(o.beats, end);
  for (const c of clip.cuts) {
    if (c.score < o.minScore) continue;
    add(c.t);
    add(c.t - len);
    for (let b = lo; b < hi; b++) add(c.t - (Math.round(o.beats[b]! * fps) - startFrame) / fps);
  }
  for (const f of clip.flagged) {
    add(f.end);
    add(f.start - len);
  }
  let best: Eval | undefined;
  for (const off of offsets) {
    const e = evaluate(off, len, clip, start, o, room);
    if (!best || e.cost < best.cost - 1e-12) best = e;
  }
  const { cost: _cost, ...fit } = best!;
  return fit;
}
