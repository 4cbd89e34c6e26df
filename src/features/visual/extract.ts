// Raw visual descriptors of one clip: frames sampled at 2 fps, embedded by the frame CNN (MobileNetV2 by
// default, or InceptionV3) and averaged per second, plus the per-second cues from the same frames. The
// library-wide PCA comes later.
import { decodeFrames } from '../../media/frames.js';
import type { FrameBatch, RawVisual } from '../types.js';
import type { Engine } from '../../onnx/runtime.js';
import { CNNS, DEFAULT_CNN, type CnnName } from './cnn-spec.js';
import { frameEmbedder } from './cnn-engine.js';
import { computeCues, secondOf } from './cues.js';

/** Frames per second fed to the CNN: the floor, and each frame costs a CNN pass. */
export const VISUAL_FPS = 2;

export interface ExtractVisualOptions {
  fps?: number;
  /** the frame CNN (default mobilenet-v2) */
  cnn?: CnnName;
  /** onnxruntime or tfjs; the process's choice when absent */
  engine?: Engine;
  /** CNN input side; the network's native size (224 or 299) by default */
  size?: number;
  /** frames per CNN call (default: see frameEmbedder) */
  batchSize?: number;
  /** ffmpeg decoder threads: 1 by default, since clips run one per core */
  threads?: number;
  /** skip non-reference frames while decoding (default true; see decodeFrames) */
  skipNonRef?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Decodes the first `seconds` of a clip and returns seconds * dim embedding values (each second's
 * frames averaged; dim 1280 or 2048) and seconds * CUE_DIM cues. Seconds the clip does not reach are zero rows.
 */
export async function extractRawVisual(clipPath: string, seconds: number, opts: ExtractVisualOptions = {}): Promise<RawVisual> {
  if (!Number.isInteger(seconds) || seconds < 1) throw new RangeError(`seconds must be a positive integer, got ${seconds}`);
  const { fps = VISUAL_FPS, cnn = DEFAULT_CNN, batchSize } = opts;
  const size = opts.size ?? CNNS[cnn].nativeSize;
  // The first call loads the network while ffmpeg decodes.
  const model = frameEmbedder(cnn, size, { ...(batchSize ? { batchSize } : {}), ...(opts.engine ? { engine: opts.engine } : {}) });
  model.catch(() => undefined); // awaited below; this only keeps a failed load from going unhandled meanwhile
  const batch = await decodeFrames(clipPath, {
    fps,
    width: size,
    height: size,
    duration: seconds,
    threads: opts.threads ?? 1,
    skipNonRef: opts.skipNonRef ?? true,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  await model;
  return rawVisualFromFrames(batch, seconds, { ...(batchSize ? { batchSize } : {}), cnn, ...(opts.engine ? { engine: opts.engine } : {}) });
}

/**
 * The same descriptors from frames already decoded at `batch.fps`, size x size (e.g. by a decode that
 * also writes the clips, sparing a second pass over the video). Frames past `seconds` are ignored.
 */
export async function rawVisualFromFrames(
  batch: FrameBatch,
  seconds: number,
  opts: { batchSize?: number; cnn?: CnnName; engine?: Engine } = {},
): Promise<RawVisual> {
  if (!Number.isInteger(seconds) || seconds < 1) throw new RangeError(`seconds must be a positive integer, got ${seconds}`);
  if (batch.width !== batch.height) throw new RangeError(`the CNN takes square frames, got ${batch.width}x${batch.height}`);
  const { fps } = batch;
  const model = await frameEmbedder(opts.cnn ?? DEFAULT_CNN, batch.width, { ...(opts.batchSize ? { batchSize: opts.batchSize } : {}), ...(opts.engine ? { engine: opts.engine } : {}) });
  const dim = model.spec.dim;
  // ffmpeg's fps filter may emit one frame at the very end of the range: it belongs to no second here.
  let count = batch.count;
  while (count > 0 && secondOf(count - 1, fps) >= seconds) count--;
  const frames = await model.embed(batch.rgb, count);
  const cnn = new Float32Array(seconds * dim);
  const perSecond = new Array<number>(seconds).fill(0);
  for (let i = 0; i < count; i++) {
    const s = secondOf(i, fps);
    perSecond[s]! += 1;
    const row = cnn.subarray(s * dim, (s + 1) * dim);
    const src = frames.subarray(i * dim, (i + 1) * dim);
    for (let k = 0; k < dim; k++) row[k]! += src[k]!;
  }
  for (let s = 0; s < seconds; s++) {
    const n = perSecond[s]!;
    if (n > 1) for (let k = s * dim; k < (s + 1) * dim; k++) cnn[k]! /= n;
  }
  const cues = computeCues({ ...batch, count }, seconds);
  return { cnn, cues, seconds };
}
