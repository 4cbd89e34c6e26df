// Shared vocabulary of the pipeline. Pure types and constants only: no I/O here.

/** Values per second per modality, as in the reference system. */
export const FEATURE_DIM = 128;
export const DEFAULT_CLIP_SECONDS = 10;
/** Sample rate of every clip's wav and of decoded songs. */
export const AUDIO_SAMPLE_RATE = 16000;

export interface ExtractorInfo {
  /** e.g. "clipmatch-audio-dsp" or "mobilenetv2-flatten1-pca+cues" */
  name: string;
  /** bumps whenever the numbers it produces change; a model refuses features of another version */
  version: string;
}

export interface VideoRecord {
  videoId: string;
  source: string;
  title: string;
  duration: number;
  hasAudio: boolean;
  width: number;
  height: number;
  fps: number;
}

export interface ClipRecord {
  clipId: string;
  videoId: string;
  /** index of the clip inside its video, 0-based */
  index: number;
  /** start time in the source video, seconds */
  start: number;
  /** seconds of footage in the clip file */
  duration: number;
  hasAudio: boolean;
  /** paths relative to the library root */
  videoPath: string;
  audioPath: string;
}

/** Reports progress of a long stage. `total` may be 0 when unknown. */
export type ProgressFn = (stage: string, done: number, total: number) => void;
export const noProgress: ProgressFn = () => undefined;
