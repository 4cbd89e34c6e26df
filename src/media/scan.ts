// A low-resolution decode of every frame at a fixed rate, streamed to a callback one frame at a time, for
// detectors that need full frame rate (shot boundaries, black, frozen, fades) but not detail. Frames are
// area-downscaled (so the pixel differences behave like ffmpeg's scene score on the full frame) and never
// held all at once: an hour at 25 fps is 90,000 frames, streamed, not 5 GB in memory.
import { spawn } from 'node:child_process';
import { MediaError } from './ffmpeg.js';

export interface ScanOptions {
  fps: number;
  width: number;
  height: number;
  /** seconds into the input to start at (input seek) */
  start?: number;
  /** seconds to decode; the whole input when absent */
  duration?: number;
  /** ffmpeg input options placed before -i (e.g. ['-f', 'concat', '-safe', '0']) */
  inputArgs?: string[];
  threads?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Called with each frame as planar yuv420p (width*height luma bytes, then the two quarter-size chroma
 * planes), the format ffmpeg's scene score is computed on in a rendered H.264 video. The buffer is reused
 * after the call returns.
 */
export type FrameSink = (yuv: Uint8Array, index: number) => void;

/** Decodes `input` at `fps` as small RGB frames and hands each to `onFrame`; resolves with the frame count. */
export function scanFrames(input: string, opts: ScanOptions, onFrame: FrameSink): Promise<number> {
  const { fps, width, height } = opts;
  if (!(fps > 0 && fps <= 120)) throw new RangeError(`fps must be in (0, 120], got ${fps}`);
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 2 && height >= 2 && width % 2 === 0 && height % 2 === 0)) {
    throw new RangeError('frame size must be even integers >= 2');
  }
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  if (opts.threads !== undefined) args.push('-threads', String(opts.threads));
  if (opts.start !== undefined && opts.start > 0) args.push('-ss', String(opts.start));
  args.push(...(opts.inputArgs ?? []), '-i', input);
  if (opts.duration !== undefined) args.push('-t', String(opts.duration));
  // Whole frame squeezed to the small size (no crop): a detector must see what any crop could show.
  args.push('-map', '0:v:0', '-an', '-sn', '-vf', `fps=${fps},scale=${width}:${height}:flags=area,setsar=1`, '-pix_fmt', 'yuv420p', '-f', 'rawvideo', 'pipe:1');
  const frameBytes = (width * height * 3) / 2;
  const timeoutMs = opts.timeoutMs ?? Math.max(120_000, (opts.duration ?? 3600) * 4_000);
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const frame = new Uint8Array(frameBytes);
    let filled = 0;
    let count = 0;
    let stderr = '';
    let failure: Error | undefined;
    const kill = (err: Error) => {
      failure ??= err;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(new MediaError(`ffmpeg timed out after ${Math.round(timeoutMs / 1000)} s scanning frames`, stderr)), timeoutMs);
    const onAbort = () => kill(new MediaError('ffmpeg cancelled'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      if (failure) return;
      let at = 0;
      while (at < chunk.length) {
        const take = Math.min(frameBytes - filled, chunk.length - at);
        frame.set(chunk.subarray(at, at + take), filled);
        filled += take;
        at += take;
        if (filled === frameBytes) {
          try {
            onFrame(frame, count++);
          } catch (err) {
            kill(err instanceof Error ? err : new Error(String(err)));
            return;
          }
          filled = 0;
        }
      }
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-8000);
    });
    child.on('error', (err) => {
      failure ??= new MediaError((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'ffmpeg is not installed (apt-get install ffmpeg)' : err.message);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (failure) reject(failure);
      else if (code !== 0) reject(new MediaError(`ffmpeg failed (exit ${code}) scanning frames: ${stderr.trim().split('\n').slice(-3).join(' | ')}`, stderr));
      else resolve(count);
    });
  });
}

/** Times (seconds) where ffmpeg's own scene detector, select='gt(scene,threshold)', sees a change. */
export async function sceneChanges(path: string, threshold = 0.3, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<number[]> {
  const { ffmpeg } = await import('./ffmpeg.js');
  const out = await ffmpeg(['-i', path, '-map', '0:v:0', '-an', '-vf', `select='gt(scene,${threshold})',metadata=print:file=-`, '-f', 'null', '-'], {
    timeoutMs: opts.timeoutMs ?? 10 * 60_000,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const times: number[] = [];
  for (const m of out.toString().matchAll(/pts_time:([0-9.]+)/g)) times.push(Number(m[1]));
  return times;
}
