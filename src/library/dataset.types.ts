// What training, evaluation and indexing read from a library: every clip's features in bulk.
import type { ClipRecord, ExtractorInfo } from '../core/types.js';

export interface Dataset {
  clips: ClipRecord[];
  /** seconds per clip (10 by default); every clip's rows are zero-padded to this length */
  seconds: number;
  /** values per clip per modality: seconds * FEATURE_DIM (1280 for 10-s clips) */
  dim: number;
  /** clips.length * dim, clip-major, audio descriptors */
  audio: Float32Array;
  /** clips.length * dim, clip-major, visual descriptors (PCA of the CNN + cues) */
  visual: Float32Array;
  extractors: { audio: ExtractorInfo; visual: ExtractorInfo };
}
