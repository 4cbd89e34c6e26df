// The embedding API the rest of the product uses: raw dataset features in (n x inputDim, clip-major),
// embeddings out, compared by Euclidean distance (smaller = better match). Normalisation is applied
// inside. With no model folder it is the untrained cold-start default.
import type { ExtractorInfo } from '../core/types.js';
import { FEATURE_DIM, DEFAULT_CLIP_SECONDS } from '../core/types.js';
import type { Dataset } from '../library/dataset.types.js';
import type { VisualProjection } from '../library/pca-store.js';
import { initBackend } from './backend.js';
import { COLD_START_KIND, COLD_START_VERSION, coldStartAudio, coldStartDim, coldStartVisual } from './coldstart.js';
import { applyStats } from './data.js';
import type { Normalisation } from './data.js';
import { checkExtractors, loadModel } from './manifest.js';
import { embedRows } from './models.js';
import { openOnnxSides, withOnnx } from './onnx-embedder.js';
import { modelInput } from './pooled.js';
import type { MatchModel } from './models.js';

export interface Embedder {
  /** 'siamese' | 'two-tower' | 'regression' | 'cca' | 'pls' | 'cold-start' */
  readonly kind: string;
  readonly dim: number;
  readonly extractors: { audio: ExtractorInfo; visual: ExtractorInfo };
  embedAudio(audio: Float32Array, n: number): Float32Array;
  embedVisual(visual: Float32Array, n: number): Float32Array;
  /** changes whenever embeddings would change; an index built under another fingerprint is stale */
  fingerprint: string;
  /** frees the model's weights (a loaded model holds ~6 MB of tensors); the embedder is unusable after */
  dispose?(): void;
  /** 'onnx' when the bulk calls below run on onnxruntime (onnx-embedder.ts) */
  readonly engine?: 'onnx' | 'tfjs';
  /** the same embeddings, computed on onnxruntime where the model was exported; for bulk work */
  embedAudioAsync?(audio: Float32Array, n: number): Promise<Float32Array>;
  embedVisualAsync?(visual: Float32Array, n: number): Promise<Float32Array>;
  /**
   * the model's own visual basis: project a library's raw CNN features with it (loadDataset's
   * `basis`) and the model works on that library whatever PCA the library fitted for itself
   */
  visualBasis?: VisualProjection;
}

/** Wraps an in-memory model (e.g. straight after training) as an Embedder. */
export function embedderFromModel(
  model: MatchModel,
  norm: Normalisation,
  extractors: { audio: ExtractorInfo; visual: ExtractorInfo },
  fingerprint: string,
  visualBasis?: VisualProjection,
): Embedder {
  const inputDim = model.inputDim;
  const pooled = model.hyper.input === 'stats';
  // A pooled model takes clips of any length: it sees per-descriptor statistics over the seconds.
  const check = (data: Float32Array, n: number) => {
    const ok = pooled ? n > 0 && data.length % (n * FEATURE_DIM) === 0 : data.length === n * inputDim;
    if (!ok && !(n === 0 && data.length === 0)) throw new RangeError(`expected ${n} clips x ${pooled ? `a multiple of ${FEATURE_DIM}` : inputDim} values, got ${data.length} values`);
  };
  const input = (data: Float32Array, n: number) => (n === 0 ? new Float32Array(0) : modelInput(model.hyper.input, data, n, data.length / n));
  return {
    kind: model.hyper.arch,
    dim: model.dim,
    extractors,
    fingerprint,
    embedAudio: (audio, n) => {
      check(audio, n);
      return embedRows(model, 'audio', applyStats(norm.audio, input(audio, n), n), n);
    },
    embedVisual: (visual, n) => {
      check(visual, n);
      const x = applyStats(norm.visual, input(visual, n), n);
      // The regression baseline compares in normalised footage space: no network on this side.
      return model.hyper.arch === 'regression' ? x : embedRows(model, 'visual', x, n);
    },
    dispose: () => model.dispose(),
    ...(visualBasis ? { visualBasis } : {}),
  };
}

/** The untrained default over clips of `seconds` seconds. */
export function coldStartEmbedder(extractors?: { audio: ExtractorInfo; visual: ExtractorInfo }, seconds = DEFAULT_CLIP_SECONDS): Embedder {
  const inputDim = seconds * FEATURE_DIM;
  return {
    kind: COLD_START_KIND,
    dim: coldStartDim(inputDim),
    // It addresses values through the extractors' layouts, so it accepts whatever the library has.
    extractors: extractors ?? { audio: { name: 'any', version: '*' }, visual: { name: 'any', version: '*' } },
    fingerprint: `${COLD_START_KIND}-v${COLD_START_VERSION}-${seconds}s`,
    embedAudio: (audio, n) => coldStartAudio(audio, n, inputDim),
    embedVisual: (visual, n) => coldStartVisual(visual, n, inputDim),
  };
}

/**
 * Loads the model in `modelDir`, or the cold-start default when undefined. With `expected` (the
 * library's extractors) a model trained on other features is refused with UserError INCOMPATIBLE.
 */
export async function loadEmbedder(modelDir?: string, expected?: Dataset['extractors']): Promise<Embedder> {
  if (modelDir === undefined) return coldStartEmbedder(expected);
  await initBackend();
  const saved = await loadModel(modelDir);
  if (expected) checkExtractors(modelDir, saved.manifest.extractors, expected);
  const base = embedderFromModel(saved.model, saved.norm, saved.manifest.extractors, saved.fingerprint, saved.basis);
  const onnx = await openOnnxSides(modelDir, saved.fingerprint);
  const kind = saved.model.hyper.input;
  // the graphs take the model's input (pooled statistics for a 'stats' model), as the towers do
  return onnx ? withOnnx(base, onnx, saved.norm, (data, n) => (n === 0 ? new Float32Array(0) : modelInput(kind, data, n, data.length / n))) : base;
}
