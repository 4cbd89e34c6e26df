// What training, evaluation and indexing read from a library: every clip's features in bulk.
import type { ClipRecord, ExtractorInfo } from '../core/types.js';
import type { VisualProjection } from './pca-store.js';

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
  /**
   * the basis the visual values were projected with (the library's PCA, or a model's own); a model
   * trained on this dataset keeps a copy, so it can embed any library with the same raw extractor
   */
  visualBasis?: VisualProjection;
}
