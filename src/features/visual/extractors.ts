// Names and versions of the visual extractor per frame CNN, as recorded in the catalogue (raw features,
// before the library PCA) and in model manifests (after it). MobileNetV2's names are the ones libraries
// and models made before InceptionV3 was offered already carry.
import type { ExtractorInfo } from '../../core/types.js';
import { CNN_NAMES, DEFAULT_CNN, type CnnName } from './cnn-spec.js';
import { CUE_DIM } from './cues.js';
import { VISUAL_PCA_DIMS } from './layout.js';

const STEM: Record<CnnName, string> = { 'mobilenet-v2': 'mobilenetv2-flatten1', 'inception-v3': 'inceptionv3-mixed10' };

/** What ingest stores per video before the library-wide projection exists. */
export function rawVisualInfo(cnn: CnnName = DEFAULT_CNN): ExtractorInfo {
  return { name: `${STEM[cnn]}+cues`, version: '1' };
}

/** The extractor name of the final 128 values per second (PCA of the CNN embedding, then the cues). */
export function visualExtractorName(cnn: CnnName = DEFAULT_CNN): string {
  return `${STEM[cnn]}-pca${VISUAL_PCA_DIMS}+cues${CUE_DIM}`;
}

export const isCnnName = (s: string): s is CnnName => (CNN_NAMES as readonly string[]).includes(s);
