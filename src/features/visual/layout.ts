// Where each visual value sits in a second's 128: the library PCA of the CNN embedding first, then
// the eight cues. Pure constants, so light consumers (the cold-start model) need not load tfjs.
import { FEATURE_DIM } from '../../core/types.js';
import { CUE_DIM, CUE_NAMES } from './cues.js';
import type { CueName } from './cues.js';

export const VISUAL_PCA_DIMS = FEATURE_DIM - CUE_DIM;

const cueIndex = Object.fromEntries(CUE_NAMES.map((name, i) => [name, VISUAL_PCA_DIMS + i])) as Record<CueName, number>;

export const VISUAL_LAYOUT = {
  pca: { start: 0, count: VISUAL_PCA_DIMS },
  cues: { start: VISUAL_PCA_DIMS, count: CUE_DIM },
  ...cueIndex,
} as const;
