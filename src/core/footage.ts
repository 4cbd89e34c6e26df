// What the library knows about the picture inside each clip: where its shots change and which spans are
// not usable footage (black, blank, title cards and credits, fades, frozen frames). One vocabulary for the
// detectors (features/visual), the store (library/footage-store.ts), the planner and `library stats`.

export const FOOTAGE_FLAGS = ['black', 'blank', 'text', 'fade', 'frozen'] as const;
export type FootageFlag = (typeof FOOTAGE_FLAGS)[number];

export interface FlaggedSpan {
  flag: FootageFlag;
  /** seconds from the start of the clip (or of the scanned span) */
  start: number;
  end: number;
}

export interface ShotChange {
  /** seconds from the start of the clip: the first frame of the new shot */
  t: number;
  /** ffmpeg's scene score of that frame, 0..1 */
  score: number;
}

export interface ClipFootage {
  /** seconds of picture in the clip file */
  duration: number;
  cuts: readonly ShotChange[];
  flagged: readonly FlaggedSpan[];
}
