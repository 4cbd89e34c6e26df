// Renders a montage plan into one mp4 that plays everywhere (H.264 yuv420p + AAC, faststart). Pieces of
// clips are cut, scaled and cropped to one frame size and rate, and concatenated in chunks of a dozen
// (one ffmpeg per chunk, two at a time so both cores stay busy without a hundred decoders open at once);
// the chunks are joined without re-encoding and muxed with the song. The file appears under its final
// name only when complete and under the size cap; on failure or cancel every temporary file is removed.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { retryVideoKbps, type EncodingPlan } from '../core/bitrate.js';
import { UserError } from '../core/errors.js';
import { ffmpeg } from './ffmpeg.js';

export interface RenderPiece {
  /** absolute path of the clip's mp4 */
  path: string;
  /** where in the clip this piece starts, seconds */
  offset: number;
  /** the span of the song it covers, seconds */
  start: number;
  end: number;
}

export interface RenderOptions {
  songPath: string;
  /** the song's duration; pieces must tile [0, duration] */
  duration: number;
  pieces: readonly RenderPiece[];
  outPath: string;
  encoding: EncodingPlan;
  /** x264 preset; veryfast keeps a 3-minute render well under a minute on two cores */
  preset?: string;
  chunkPieces?: number;
  concurrency?: number;
  /** size re-checks allowed after the first render */
  retries?: number;
  signal?: AbortSignal;
  progress?: (done: number, total: number) => void;
}

export interface RenderResult {
  path: string;
  sizeBytes: number;
  videoKbps: number;
  attempts: number;
  frames: number;
}

/** Frames per piece, from rounded cumulative boundaries so the total is exactly round(duration * fps). */
export function pieceFrames(pieces: readonly RenderPiece[], duration: number, fps: number): number[] {
  const bounds = pieces.map((p) => Math.round(p.start * fps));
  bounds.push(Math.round(duration * fps));
  return pieces.map((_, i) => bounds[i + 1]! - bounds[i]!);
}

function validate(pieces: readonly RenderPiece[], duration: number): void {
  if (pieces.length === 0) throw new RangeError('nothing to render');
  const eps = 1e-6;
  if (Math.abs(pieces[0]!.start) > eps || Math.abs(pieces[pieces.length - 1]!.end - duration) > 1e-3) {
    throw new RangeError('pieces must cover the whole song');
  }
  pieces.forEach((p, i) => {
    if (!(p.end > p.start) || !(p.offset >= 0)) throw new RangeError(`piece ${i} is empty or has a negative offset`);
    if (i > 0 && Math.abs(p.start - pieces[i - 1]!.end) > eps) throw new RangeError(`piece ${i} does not start where piece ${i - 1} ends`);
  });
}

/** Bitrate-limited (the real renders) or constant quality (a reference picture to measure against). */
type Rate = number | { crf: number };

function chunkArgs(pieces: readonly RenderPiece[], frames: readonly number[], enc: EncodingPlan, rate: Rate, preset: string, threads: number, out: string): string[] {
  const { width: W, height: H, fps } = enc;
  const args: string[] = [];
  const filters: string[] = [];
  pieces.forEach((p, k) => {
    const len = frames[k]! / fps;
    // Input seeking is frame-accurate when re-encoding; a few frames extra so rounding never starves trim.
    // Seeking half a frame early starts the piece on the frame the shot scan (media/scan.ts, ffmpeg's fps
    // filter, nearest rounding) numbers `offset`, whatever the clip's video start time: a shot change
    // the planner put on a beat then shows on that beat, not a frame early.
    const seek = Math.max(0, p.offset - 0.5 / fps);
    args.push('-ss', seek.toFixed(4), '-t', (len + 0.2 + (p.offset - seek)).toFixed(3), '-i', p.path);
    filters.push(
      `[${k}:v:0]fps=${fps},scale=${W}:${H}:force_original_aspect_ratio=increase:flags=bilinear,crop=${W}:${H},setsar=1,format=yuv420p,` +
        // A clip shorter than its slot holds its last frame instead of leaving a gap.
        `tpad=stop_mode=clone:stop_duration=${(len + 1).toFixed(3)},trim=end_frame=${frames[k]},setpts=PTS-STARTPTS[v${k}]`,
    );
  });
  filters.push(`${pieces.map((_, k) => `[v${k}]`).join('')}concat=n=${pieces.length}:v=1:a=0[out]`);
  args.push(
    '-filter_complex', filters.join(';'),
    '-map', '[out]', '-an',
    '-c:v', 'libx264', '-preset', preset, '-pix_fmt', 'yuv420p', '-r', String(fps),
    ...(typeof rate === 'number' ? ['-b:v', `${rate}k`, '-maxrate', `${Math.round(rate * 1.5)}k`, '-bufsize', `${rate * 2}k`] : ['-crf', String(rate.crf)]),
    '-threads', String(threads),
    '-f', 'mp4', '-y', out,
  );
  return args;
}

async function pool<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < items.length) {
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
}

function cancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new UserError('CANCELLED', 'the render was cancelled');
}

export async function renderMontage(opts: RenderOptions): Promise<RenderResult> {
  const { pieces, duration, encoding, signal, preset = 'veryfast', chunkPieces = 12, concurrency = 2, retries = 2 } = opts;
  validate(pieces, duration);
  const frames = pieceFrames(pieces, duration, encoding.fps);
  const keep = pieces.map((_, i) => i).filter((i) => frames[i]! > 0);
  const chunks: number[][] = [];
  for (let i = 0; i < keep.length; i += chunkPieces) chunks.push(keep.slice(i, i + chunkPieces));
  const work = await mkdtemp(join(tmpdir(), 'clipmatch-render-'));
  const partial = join(dirname(opts.outPath), `.${basename(opts.outPath)}.${randomBytes(4).toString('hex')}.part`);
  const total = chunks.length + 1;
  let kbps = encoding.videoKbps;
  try {
    for (let attempt = 1; ; attempt++) {
      let done = 0;
      opts.progress?.(0, total);
      const threads = Math.max(1, Math.ceil(2 / Math.min(concurrency, chunks.length)));
      const files = chunks.map((_, c) => join(work, `chunk-${String(c).padStart(4, '0')}.mp4`));
      await pool(chunks, concurrency, async (idx, c) => {
        cancelled(signal);
        const chunkFrames = idx.reduce((s, i) => s + frames[i]!, 0);
        await ffmpeg(chunkArgs(idx.map((i) => pieces[i]!), idx.map((i) => frames[i]!), encoding, kbps, preset, threads, files[c]!), {
          timeoutMs: Math.max(120_000, (chunkFrames / encoding.fps) * 15_000),
          signal,
        });
        opts.progress?.(++done, total);
      });
      cancelled(signal);
      const list = join(work, 'chunks.txt');
      await writeFile(list, files.map((f) => `file '${f.replace(/'/g, "'\\''")}'`).join('\n') + '\n');
      await ffmpeg(
        [
          '-f', 'concat', '-safe', '0', '-i', list,
          '-i', opts.songPath,
          '-map', '0:v:0', '-map', '1:a:0',
          '-c:v', 'copy',
          '-c:a', 'aac', '-b:a', `${encoding.audioKbps}k`, '-ac', String(encoding.audioChannels), '-ar', String(encoding.audioSampleRate),
          '-t', duration.toFixed(3),
          '-movflags', '+faststart', '-f', 'mp4', '-y', partial,
        ],
        { timeoutMs: Math.max(120_000, duration * 2_000), signal },
      );
      opts.progress?.(total, total);
      const size = (await stat(partial)).size;
      if (size <= encoding.maxBytes) {
        cancelled(signal);
        await rename(partial, opts.outPath);
        return { path: opts.outPath, sizeBytes: size, videoKbps: kbps, attempts: attempt, frames: frames.reduce((a, b) => a + b, 0) };
      }
      if (attempt > retries) {
        throw new UserError('TOO_LARGE', `the video came out at ${(size / 1e6).toFixed(1)} MB, over the ${(encoding.maxBytes / 1e6).toFixed(1)} MB cap; try a larger --max-mb`);
      }
      kbps = retryVideoKbps({ ...encoding, videoKbps: kbps }, size, duration);
    }
  } catch (err) {
    await rm(partial, { force: true });
    if (signal?.aborted && !(err instanceof UserError)) throw new UserError('CANCELLED', 'the render was cancelled');
    throw err;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Renders the picture of a few pieces (no sound) to `out`: a sample of the montage for measuring how a
 * frame size and bitrate look (media/quality.ts). Pieces tile [0, their total length].
 */
export async function renderSample(pieces: readonly RenderPiece[], encoding: EncodingPlan, rate: Rate, out: string, opts: { preset?: string; signal?: AbortSignal } = {}): Promise<void> {
  const duration = pieces.length ? pieces[pieces.length - 1]!.end : 0;
  validate(pieces, duration);
  const frames = pieceFrames(pieces, duration, encoding.fps);
  await ffmpeg(chunkArgs(pieces, frames, encoding, rate, opts.preset ?? 'veryfast', 2, out), { timeoutMs: Math.max(60_000, duration * 20_000), ...(opts.signal ? { signal: opts.signal } : {}) });
}
