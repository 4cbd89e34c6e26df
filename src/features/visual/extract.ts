// Raw visual descriptors of one clip: frames sampled at 2 fps, embedded by MobileNetV2 and averaged
// per second, plus the per-second cues from the same frames. The library-wide PCA comes later.
import { decodeFrames } from '../../media/frames.js';
import type { FrameBatch, RawVisual } from '../types.js';
import { CNN_DIM, CNN_NATIVE_SIZE, embedFrames, loadCnn } from './cnn.js';
import { computeCues, secondOf } from './cues.js';

/** Frames per second fed to the CNN: the floor, and each frame costs a CNN pass. */
export const VISUAL_FPS = 2;

export interface ExtractVisualOptions {
  fps?: number;
  /** CNN input side (multiple of 32); 224 is what the network was trained at */
  size?: number;
  /** frames per CNN call; 4 or more amortises per-call overhead */
  batchSize?: number;
  /** ffmpeg decoder threads: 1 by default, since clips run one per core */
  threads?: number;
  /** skip non-reference frames while decoding (default true; see decodeFrames) */
  skipNonRef?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Decodes the first `seconds` of a clip and returns seconds * CNN_DIM embedding values (each second's
 * frames averaged) and seconds * CUE_DIM cues. Seconds the clip does not reach are zero rows.
 */
export async function extractRawVisual(clipPath: string, seconds: number, opts: ExtractVisualOptions = {}): Promise<RawVisual> {
  if (!Number.isInteger(seconds) || seconds < 1) throw new RangeError(`seconds must be a positive integer, got ${seconds}`);
  const { fps = VISUAL_FPS, size = CNN_NATIVE_SIZE, batchSize = 10 } = opts;
  // The first call loads the network while ffmpeg decodes.
  const model = loadCnn(size);
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
  return rawVisualFromFrames(batch, seconds, { batchSize });
}

/**
 * The same descriptors from frames already decoded at `batch.fps`, size x size (e.g. by a decode that
 * also writes the clips, sparing a second pass over the video). Frames past `seconds` are ignored.
 */
export async function rawVisualFromFrames(
  batch: FrameBatch,
  seconds: number,
  opts: { batchSize?: number } = {},
): Promise<RawVisual> {
  if (!Number.isInteger(seconds) || seconds < 1) throw new RangeError(`seconds must be a positive integer, got ${seconds}`);
  if (batch.width !== batch.height) throw new RangeError(`the CNN takes square frames, got ${batch.width}x${batch.height}`);
  const { fps } = batch;
  const model = await loadCnn(batch.width);
  // ffmpeg's fps filter may emit one frame at the very end of the range: it belongs to no second here.
  let count = batch.count;
  while (count > 0 && secondOf(count - 1, fps) >= seconds) count--;
  const frames = await embedFrames(model, batch.rgb, count, opts.batchSize ?? 10);
  const cnn = new Float32Array(seconds * CNN_DIM);
  const perSecond = new Array<number>(seconds).fill(0);
  for (let i = 0; i < count; i++) {
    const s = secondOf(i, fps);
    perSecond[s]! += 1;
    const row = cnn.subarray(s * CNN_DIM, (s + 1) * CNN_DIM);
    const src = frames.subarray(i * CNN_DIM, (i + 1) * CNN_DIM);
    for (let k = 0; k < CNN_DIM; k++) row[k]! += src[k]!;
  }
  for (let s = 0; s < seconds; s++) {
    const n = perSecond[s]!;
    if (n > 1) for (let k = s * CNN_DIM; k < (s + 1) * CNN_DIM; k++) cnn[k]! /= n;
  }
  const cues = computeCues({ ...batch, count }, seconds);
  return { cnn, cues, seconds };
}
