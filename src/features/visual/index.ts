// The visual half of a second's 128 values: 120 PCA coordinates of the CNN embedding, then the 8
// cues standardised and scaled to the spread of an average PCA coordinate, so that neither part
// drowns the other in a distance. Pure (no tfjs): extraction itself lives in extract.ts.
import { createHash } from 'node:crypto';
import type { ExtractorInfo } from '../../core/types.js';
import type { RawVisual } from '../types.js';
import { CUE_DIM } from './cues.js';
import { VISUAL_PCA_DIMS } from './layout.js';
import { projectPca } from './pca.js';
import type { Pca } from './pca.js';
import type { CnnName } from './cnn.js';
import { visualExtractorName } from './extractors.js';

export { VISUAL_PCA_DIMS, VISUAL_LAYOUT } from './layout.js';
export { CUE_DIM, CUE_NAMES } from './cues.js';
export type { CueName } from './cues.js';
export { deserializePca, fitPca, projectPca, serializePca } from './pca.js';
export type { FitPcaOptions, Pca } from './pca.js';

export const VISUAL_DIM = VISUAL_PCA_DIMS + CUE_DIM;
export const VISUAL_EXTRACTOR_NAME = visualExtractorName('mobilenet-v2');
/** Bump when the frame sampling, the CNN or the cues change the raw numbers. */
export const VISUAL_RAW_VERSION = 1;

/** `fingerprint`: of the fitted PCA (and cue stats), e.g. visualFingerprint(pca, stats). */
export function visualInfo(fingerprint: string, cnn: CnnName = 'mobilenet-v2'): ExtractorInfo {
  return { name: visualExtractorName(cnn), version: `${VISUAL_RAW_VERSION}+${fingerprint}` };
}

/** Library statistics of the cues, fitted with the PCA. */
export interface CueStats {
  mean: ArrayLike<number>;
  std: ArrayLike<number>;
  /**
   * target spread of each standardised cue, cueScale(pca): the RMS spread of the PCA coordinates, so
   * a cue weighs like one PCA dimension. Absent: 1 (plain z-scores).
   */
  scale?: number;
}

/** RMS spread of a PCA's coordinates over its k components (1 when it has none). */
export function cueScale(pca: Pca): number {
  if (pca.rank === 0) return 1;
  let total = 0;
  for (let c = 0; c < pca.k; c++) total += pca.variance[c]!;
  return Math.sqrt(total / pca.k);
}

const isZero = (a: Float32Array, start: number, len: number): boolean => {
  for (let i = start; i < start + len; i++) if (a[i] !== 0) return false;
  return true;
};

/** Fits cue means and spreads over n rows, skipping all-zero rows (seconds a clip did not have). */
export function fitCueStats(cues: Float32Array, n: number, pca?: Pca): CueStats {
  const sum = new Float64Array(CUE_DIM), sq = new Float64Array(CUE_DIM);
  let m = 0;
  for (let r = 0; r < n; r++) {
    if (isZero(cues, r * CUE_DIM, CUE_DIM)) continue;
    m++;
    for (let k = 0; k < CUE_DIM; k++) {
      const v = cues[r * CUE_DIM + k]!;
      sum[k]! += v;
      sq[k]! += v * v;
    }
  }
  const mean = Array.from(sum, (s) => (m ? s / m : 0));
  // A cue that never varies is left unscaled (std 1) so it becomes 0 rather than noise blown up.
  const std = Array.from(sq, (s, k) => {
    const v = m > 1 ? (s - m * mean[k]! ** 2) / (m - 1) : 0;
    return v > 1e-12 ? Math.sqrt(v) : 1;
  });
  return { mean, std, scale: pca ? cueScale(pca) : 1 };
}

/** Projects `seconds` CNN rows; all-zero rows (seconds the clip did not have) stay zero. */
export function projectCnn(pca: Pca, cnn: Float32Array, seconds: number): Float32Array {
  const out = projectPca(pca, cnn, seconds);
  for (let s = 0; s < seconds; s++) if (isZero(cnn, s * pca.dim, pca.dim)) out.fill(0, s * pca.k, (s + 1) * pca.k);
  return out;
}

/**
 * seconds * 128: each second's VISUAL_PCA_DIMS projected values, then the cues, standardised with
 * `stats` when given (raw otherwise). A second with neither projection nor cues stays all zero.
 */
export function composeVisual(projected: Float32Array, cues: Float32Array, seconds: number, stats?: CueStats): Float32Array {
  if (projected.length < seconds * VISUAL_PCA_DIMS) throw new RangeError(`composeVisual: need ${seconds} x ${VISUAL_PCA_DIMS} projected values`);
  if (cues.length < seconds * CUE_DIM) throw new RangeError(`composeVisual: need ${seconds} x ${CUE_DIM} cue values`);
  const out = new Float32Array(seconds * VISUAL_DIM);
  const scale = stats?.scale ?? 1;
  for (let s = 0; s < seconds; s++) {
    const row = s * VISUAL_DIM;
    if (isZero(projected, s * VISUAL_PCA_DIMS, VISUAL_PCA_DIMS) && isZero(cues, s * CUE_DIM, CUE_DIM)) continue;
    out.set(projected.subarray(s * VISUAL_PCA_DIMS, (s + 1) * VISUAL_PCA_DIMS), row);
    for (let k = 0; k < CUE_DIM; k++) {
      const v = cues[s * CUE_DIM + k]!;
      out[row + VISUAL_PCA_DIMS + k] = stats ? ((v - stats.mean[k]!) / (stats.std[k]! || 1)) * scale : v;
    }
  }
  return out;
}

/** Raw descriptors of one clip to its final seconds * 128 visual values. */
export function composeClipVisual(raw: RawVisual, pca: Pca, stats?: CueStats): Float32Array {
  if (pca.k !== VISUAL_PCA_DIMS) throw new RangeError(`visual PCA must have ${VISUAL_PCA_DIMS} components, has ${pca.k}`);
  return composeVisual(projectCnn(pca, raw.cnn, raw.seconds), raw.cues, raw.seconds, stats);
}

/** Fingerprint of everything fitted on the library: the PCA and, when used, the cue stats. */
export function visualFingerprint(pca: Pca, stats?: CueStats): string {
  if (!stats) return pca.fingerprint;
  return createHash('sha256').update(pca.fingerprint).update(JSON.stringify([Array.from(stats.mean), Array.from(stats.std), stats.scale ?? 1])).digest('hex').slice(0, 12);
}
