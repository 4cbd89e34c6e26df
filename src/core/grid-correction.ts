// A user's correction of the tracked beat grid, for the songs the tracker gets wrong (docs/beats.md: songs
// tracked on the off-beat throughout, or at half or twice the tempo a listener taps): the level first (every
// other beat, or the beats and the points halfway between), then a shift by a fraction of the resulting beat.
// `analyze` and `visualize` take it as --beat-level and --beat-phase; the bars, sections and cuts are then
// found on the corrected grid.

export type BeatLevel = 'half' | 'double';

export interface GridCorrection {
  /** 'half': every other beat, from the first; 'double': the beats and the points halfway between */
  level?: BeatLevel;
  /** move every beat this fraction of a beat later, 0 <= phase < 1 (0.5: onto the off-beat; after 'half', the
   * other half of the beats) */
  phase?: number;
}

/** The corrections a bot offers (a choice, where the command line takes any phase): half or double tempo, the
 * off-beat, or half tempo on the other half of the beats. */
export const BEAT_FIXES = ['half', 'double', 'offbeat', 'half-offbeat'] as const;
export type BeatFix = (typeof BEAT_FIXES)[number];

export function correctionOfFix(fix: BeatFix): GridCorrection {
  switch (fix) {
    case 'half':
      return { level: 'half' };
    case 'double':
      return { level: 'double' };
    case 'offbeat':
      return { phase: 0.5 };
    case 'half-offbeat':
      return { level: 'half', phase: 0.5 };
  }
}

/** The factor a correction multiplies the tempo by. */
export function tempoFactor(c: GridCorrection): number {
  return c.level === 'half' ? 0.5 : c.level === 'double' ? 2 : 1;
}

/** Throws a RangeError for a phase outside [0, 1) or a level that is neither 'half' nor 'double'. */
export function checkCorrection(c: GridCorrection): void {
  if (c.level !== undefined && c.level !== 'half' && c.level !== 'double') throw new RangeError(`beat level must be half or double, got ${String(c.level)}`);
  if (c.phase !== undefined && !(Number.isFinite(c.phase) && c.phase >= 0 && c.phase < 1)) throw new RangeError(`beat phase must be a fraction of a beat from 0 to 1, got ${c.phase}`);
}

/** Each beat moved `f` times its gap to the next one (the last one by the gap before it); under two beats, as they
 * are. The tracker's phase candidates (grid.ts) and the user's --beat-phase both shift a grid this way. */
export function shiftByFraction(beats: readonly number[], f: number): number[] {
  if (beats.length < 2) return [...beats];
  return beats.map((b, i) => b + f * (i + 1 < beats.length ? beats[i + 1]! - b : b - beats[i - 1]!));
}

/**
 * The beats (seconds, ascending) with the correction applied, within [0, duration]. A beat is moved by `phase`
 * times its gap to the next one (the last one by the gap before it), so a grid whose tempo drifts keeps its
 * shape. Fewer than two beats have no gap to go by and are returned as they are.
 */
export function correctGrid(beats: readonly number[], c: GridCorrection, duration: number): number[] {
  checkCorrection(c);
  if (beats.length < 2) return [...beats];
  let out = [...beats];
  if (c.level === 'half') out = out.filter((_, i) => i % 2 === 0);
  else if (c.level === 'double') out = out.flatMap((b, i) => (i + 1 < out.length ? [b, (b + out[i + 1]!) / 2] : [b]));
  if (c.phase) out = shiftByFraction(out, c.phase);
  return out.filter((t) => t >= 0 && t <= duration);
}
