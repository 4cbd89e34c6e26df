// The one request and one result that every front end (CLI, Discord, Slack, worker) speaks.
import type { GridCorrection } from './grid-correction.js';

export type Aspect = '16:9' | '9:16' | '1:1';

export interface ClipHit {
  clipId: string;
  videoId: string;
  /** source video title or file name, for people */
  source: string;
  /** start time of the clip in its source video, seconds */
  start: number;
  distance: number;
}

export interface PlanSegment {
  start: number;
  end: number;
  clipId: string;
  /** offset into the clip where playback starts, seconds */
  clipOffset: number;
  score: number;
  /** source video of the clip */
  videoId?: string;
  /** squared L2 distance between the segment's audio embedding and the clip's embedding */
  distance?: number;
  /** why the planner chose this clip and offset, for people */
  why?: string;
  /** the clip's own shot changes inside the piece (absent when its footage was never scanned) */
  shotChanges?: { onBeat: number; offBeat: number };
  /** seconds of flagged footage (black, text, fade, ...) the piece shows; 0 unless kept on purpose */
  flaggedSeconds?: number;
}

export interface VisualizeOptions {
  /** local path of the song (URLs are fetched to a file before this point) */
  audioPath: string;
  libraryDir: string;
  /** model folder; undefined = the untrained default */
  modelDir?: string;
  outPath: string;
  aspect?: Aspect;
  maxMb?: number;
  /** longest song accepted, in seconds of decoded audio (default 15 minutes); decoding stops there */
  maxSeconds?: number;
  /** another take of the same song: the same seed gives the same plan (default 0) */
  seed?: number;
  /** cut density: 'auto' follows section energy; beat, bar, 2bar (2 bars) or phrase (4 bars) fix it */
  cuts?: 'auto' | 'beat' | 'bar' | '2bar' | 'phrase';
  /** use footage flagged as black, blank, text (title cards, credits), fades or frozen (default false) */
  keepFlagged?: boolean;
  /** correct the tracked beat grid (half or double level, a phase shift) before the song is cut; not with a plan
   * file, which holds its own grid */
  grid?: GridCorrection;
  /**
   * 'build' (default, the CLI): a missing or stale index is built first; 'worker': never builds, uses
   * the newest index version and fails when there is none (the index job builds it)
   */
  indexMode?: 'build' | 'worker';
  signal?: AbortSignal;
}

export interface MatchResult {
  closest: ClipHit[];
  farthest: ClipHit[];
  /** PNG contact sheet of the six clips with their scores */
  sheet: string;
  /** the 10-s window of the song that was embedded */
  at: number;
}

export interface VisualizeResult extends MatchResult {
  video: string;
  duration: number;
  sizeBytes: number;
  plan: PlanSegment[];
  /** beats per minute the cuts follow, after any correction of the grid (0: the song has no clear pulse) */
  tempo: number;
  /** the frame size and bitrate rendered, and the SSIM of each size tried (when measured) */
  picture?: { width: number; height: number; videoKbps: number; measured: Array<{ width: number; height: number; ssim: number }> };
  /** the library index version the clips were chosen from (absent when the library had none to name) */
  indexVersion?: number;
}
