// Contracts between the media layer (which decodes) and the extractors (which compute descriptors).
import type { ExtractorInfo } from '../core/types.js';

/**
 * Audio descriptors: mono PCM in [-1, 1] at `sampleRate` in, FEATURE_DIM (128) values per whole second
 * out, laid out second-major: out[s * 128 + k]. Seconds = floor(pcm.length / sampleRate), at least 1
 * when any samples exist (a short tail is zero-padded). Pure and deterministic; never NaN.
 */
export interface AudioExtractor {
  readonly info: ExtractorInfo;
  extract(pcm: Float32Array, sampleRate: number): Float32Array;
}

/** Decoded RGB frames of one clip: `count` frames of width*height*3 bytes each, sampled at `fps`. */
export interface FrameBatch {
  width: number;
  height: number;
  fps: number;
  count: number;
  /** count * width * height * 3 bytes, RGB24, frame-major */
  rgb: Uint8Array;
}

/** Raw visual descriptors of one clip before the library-wide PCA. */
export interface RawVisual {
  /** seconds * CNN_DIM values: the CNN embedding averaged over each second's frames */
  cnn: Float32Array;
  /** seconds * CUE_DIM values: cheap motion and colour cues per second */
  cues: Float32Array;
  seconds: number;
}
