// Samples RGB frames from a video with ffmpeg at a fixed rate and size, for the visual descriptors.
// Frames are scaled to cover width x height at the source's display aspect (sample aspect ratio
// included, so anamorphic footage is not squashed) and centre-cropped. Cropping rather than padding
// because the CNN was trained on full square photos: black bars would become "content" in every
// embedding of a wide video, and squashing would distort shapes the network recognises.
import type { FrameBatch } from '../features/types.js';
import { MediaError, ffmpeg } from './ffmpeg.js';

export interface DecodeFramesOptions {
  fps: number;
  width: number;
  height: number;
  /** seconds into the file to start at (input seek) */
  start?: number;
  /** seconds to decode; the whole file when absent */
  duration?: number;
  timeoutMs?: number;
  /** decoder threads; 1 keeps one clip on one core when clips run in parallel (ffmpeg's choice when absent) */
  threads?: number;
  /**
   * Skip decoding non-reference frames (ffmpeg -skip_frame noref). Always safe (nothing refers to
   * them) and about a third cheaper on B-frame-heavy H.264; a sampled instant then shows the nearest
   * reference frame, at most a few frames off, which is irrelevant at 2 fps.
   */
  skipNonRef?: boolean;
  signal?: AbortSignal;
}

/** The ffmpeg -vf chain: rate first so only kept frames are scaled, then cover-scale and crop. */
export function frameFilter(fps: number, width: number, height: number): string {
  const aspect = `${width}/${height}`;
  // `dar` is the display aspect (width * sar / height); the expressions pick the side that must fill.
  const w = `if(gt(dar\\,${aspect})\\,ceil(${height}*dar/2)*2\\,${width})`;
  const h = `if(gt(dar\\,${aspect})\\,${height}\\,ceil(${width}/dar/2)*2)`;
  return [`fps=${fps}`, `scale=w=${w}:h=${h}:flags=bilinear`, 'setsar=1', `crop=${width}:${height}`].join(',');
}

function check(opts: DecodeFramesOptions): void {
  const { fps, width, height, start, duration } = opts;
  if (!(fps > 0 && fps <= 120)) throw new RangeError(`fps must be in (0, 120], got ${fps}`);
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(v) || v < 2 || v > 4096) throw new RangeError(`${name} must be an integer in [2, 4096], got ${v}`);
  }
  if (start !== undefined && !(start >= 0)) throw new RangeError(`start must be >= 0, got ${start}`);
  if (duration !== undefined && !(duration > 0)) throw new RangeError(`duration must be > 0, got ${duration}`);
}

/**
 * Decodes frames at `fps` (ffmpeg's fps filter: frame i shows time start + i/fps), scaled and
 * centre-cropped to width x height, as RGB24. A file without a video stream is a MediaError.
 */
export async function decodeFrames(path: string, opts: DecodeFramesOptions): Promise<FrameBatch> {
  check(opts);
  const { fps, width, height } = opts;
  const args: string[] = [];
  if (opts.threads !== undefined) args.push('-threads', String(opts.threads));
  if (opts.skipNonRef) args.push('-skip_frame', 'noref');
  if (opts.start !== undefined && opts.start > 0) args.push('-ss', String(opts.start));
  args.push('-i', path);
  if (opts.duration !== undefined) args.push('-t', String(opts.duration));
  args.push('-map', '0:v:0', '-an', '-sn', '-vf', frameFilter(fps, width, height));
  args.push('-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1');
  const frameBytes = width * height * 3;
  // Bound the output so a wrong duration cannot fill memory: the expected frames plus slack.
  const expected = opts.duration !== undefined ? Math.ceil(opts.duration * fps) + 2 : 3600 * fps;
  const buf = await ffmpeg(args, {
    timeoutMs: opts.timeoutMs ?? 120_000,
    maxBytes: Math.min(2 ** 31 - 1, expected * frameBytes),
    ...(opts.signal ? { signal: opts.signal } : {}),
  }).catch((err: unknown) => {
    if (err instanceof MediaError && /matches no streams|does not contain any stream/i.test(err.message + err.stderr)) {
      throw new MediaError(`${path} has no video stream`, err.stderr);
    }
    throw err;
  });
  const count = Math.floor(buf.length / frameBytes);
  if (buf.length % frameBytes !== 0) throw new MediaError(`ffmpeg returned a partial frame (${buf.length} bytes) for ${path}`);
  // Own the bytes: a Buffer may be a view into a shared pool.
  const rgb = new Uint8Array(count * frameBytes);
  rgb.set(buf.subarray(0, rgb.length));
  return { width, height, fps, count, rgb };
}

/**
 * The frames of [startSecond, startSecond + seconds) of a batch decoded from t = 0, as a view (no
 * copy): one decode of a whole video can then feed every clip, instead of one ffmpeg run per clip
 * (each run costs about a quarter of a CPU second just to start on a Debian ffmpeg).
 */
export function sliceFrames(batch: FrameBatch, startSecond: number, seconds: number): FrameBatch {
  const frameLen = batch.width * batch.height * 3;
  const first = Math.min(batch.count, Math.max(0, Math.round(startSecond * batch.fps)));
  const end = Math.min(batch.count, Math.max(first, Math.round((startSecond + seconds) * batch.fps)));
  return { ...batch, count: end - first, rgb: batch.rgb.subarray(first * frameLen, end * frameLen) };
}
