// Shot changes and unusable spans per clip, stored as one small JSON file beside each video's features
// (videos/<id>/footage.json). Written at ingest from a 25-fps low-resolution scan of the new clip files; a library
// ingested before this existed has no such files, and they are computed on first use (the clips
// themselves are scanned, one ffmpeg per video) or by `clipmatch library scan`. A file of another detector
// version counts as missing.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { FOOTAGE_FLAGS, type ClipFootage, type FlaggedSpan, type FootageFlag } from '../core/footage.js';
import type { ClipRecord } from '../core/types.js';
import type { ClipWindow } from '../core/windows.js';
import { FootageScanner, SCAN_FPS, SCAN_HEIGHT, SCAN_WIDTH, shotBoundaries, type FrameTable } from '../features/visual/shots.js';
import { flaggedSpans } from '../features/visual/usable.js';
import { scanFrames } from '../media/scan.js';
import { libraryPaths } from './layout.js';

export const FOOTAGE_FILE = 'footage.json';
/** Bumps whenever the detectors' output changes; older files are recomputed. */
export const FOOTAGE_VERSION = 3;

const round3 = (x: number) => Math.round(x * 1000) / 1000;

const FileSchema = z.object({
  version: z.number().int(),
  scan: z.object({ fps: z.number().positive(), width: z.number().int(), height: z.number().int() }),
  clips: z.array(
    z.object({
      index: z.number().int().nonnegative(),
      duration: z.number().nonnegative(),
      /** [t, score] */
      cuts: z.array(z.tuple([z.number(), z.number()])),
      /** [flag, start, end] */
      flagged: z.array(z.tuple([z.enum(FOOTAGE_FLAGS), z.number(), z.number()])),
    }),
  ),
});
export type FootageFile = z.infer<typeof FileSchema>;

/** Scans a file (or, with inputArgs, a concat list) at the scan rate and size into the per-frame table. */
export async function scanTable(input: string, opts: { duration?: number; inputArgs?: string[]; signal?: AbortSignal } = {}): Promise<FrameTable> {
  const scanner = new FootageScanner(SCAN_WIDTH, SCAN_HEIGHT, SCAN_FPS);
  await scanFrames(input, { fps: SCAN_FPS, width: SCAN_WIDTH, height: SCAN_HEIGHT, threads: 1, ...opts }, (yuv) => {
    scanner.push(yuv);
  });
  return scanner.table();
}

/** Cuts and flagged spans of the whole scanned span, cut into the clip windows (clip-relative times). */
export function footageOfWindows(table: FrameTable, windows: ReadonlyArray<Pick<ClipWindow, 'index' | 'start' | 'duration'>>): FootageFile {
  const cuts = shotBoundaries(table);
  const spans = flaggedSpans(table);
  const frame = 1 / table.fps;
  return {
    version: FOOTAGE_VERSION,
    scan: { fps: table.fps, width: SCAN_WIDTH, height: SCAN_HEIGHT },
    clips: windows.map((w) => {
      const end = w.start + w.duration;
      return {
        index: w.index,
        duration: round3(w.duration),
        // A change on the clip's first frame is no change inside it.
        cuts: cuts.filter((c) => c.t > w.start + frame / 2 && c.t < end - frame / 2).map((c): [number, number] => [round3(c.t - w.start), c.score]),
        flagged: spans
          .filter((s) => s.end > w.start && s.start < end)
          .map((s): [FootageFlag, number, number] => [s.flag, round3(Math.max(0, s.start - w.start)), round3(Math.min(w.duration, s.end - w.start))]),
      };
    }),
  };
}

export function clipFootage(entry: FootageFile['clips'][number]): ClipFootage {
  return {
    duration: entry.duration,
    cuts: entry.cuts.map(([t, score]) => ({ t, score })),
    flagged: entry.flagged.map(([flag, start, end]): FlaggedSpan => ({ flag, start, end })),
  };
}

/** Writes a video's footage file atomically (complete or absent). */
export async function writeFootage(videoDir: string, data: FootageFile): Promise<void> {
  const dest = join(videoDir, FOOTAGE_FILE);
  // a name of this writer's own: a writer on another host may scan the same video at the same time
  const part = `${dest}.${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}.part`;
  await writeFile(part, JSON.stringify(data));
  try {
    await rename(part, dest);
  } catch (err) {
    await rm(part, { force: true });
    throw err;
  }
}

/** A footage file's text, validated; undefined when damaged or of another detector version. */
export function parseFootage(text: string): FootageFile | undefined {
  try {
    const parsed = FileSchema.safeParse(JSON.parse(text));
    return parsed.success && parsed.data.version === FOOTAGE_VERSION ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A video's footage file, or undefined when absent, unreadable or of another detector version. */
export async function readFootage(root: string, videoId: string): Promise<FootageFile | undefined> {
  const path = join(libraryPaths(root).videoDir(videoId), FOOTAGE_FILE);
  if (!existsSync(path)) return undefined;
  return parseFootage(await readFile(path, 'utf8').catch(() => ''));
}

/**
 * Shot changes and flags of a video from its clip files, read in order in one ffmpeg (concat demuxer): the
 * files the renderer cuts from, so a boundary's time is the time the renderer will show it at (a scan of
 * the source can be off by a few frames where ingest changed the frame rate).
 */
export async function scanClipFiles(paths: readonly string[], clips: ReadonlyArray<{ index: number; duration: number }>, signal?: AbortSignal): Promise<FootageFile> {
  if (paths.length === 0 || paths.length !== clips.length) throw new RangeError('one clip file per clip is needed');
  const tmp = await mkdtemp(join(tmpdir(), 'clipmatch-scan-'));
  const list = join(tmp, 'clips.txt');
  // Each file's length given, so file k starts exactly at the sum of the lengths before it (the demuxer's
  // own reading, the container's duration with its audio, drifts by frames over a dozen clips).
  await writeFile(list, paths.map((p, k) => `file '${p.replace(/'/g, "'\\''")}'\nduration ${clips[k]!.duration}`).join('\n') + '\n');
  try {
    const total = clips.reduce((s, c) => s + c.duration, 0);
    const table = await scanTable(list, { inputArgs: ['-f', 'concat', '-safe', '0'], ...(signal ? { signal } : {}), duration: total + 1 });
    let at = 0;
    const windows = clips.map((c) => {
      const w = { index: c.index, start: at, duration: c.duration };
      at += c.duration;
      return w;
    });
    return footageOfWindows(table, windows);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Computes and stores a video's footage file from its library clips (libraries ingested before it existed). */
export async function scanLibraryVideo(root: string, clips: readonly ClipRecord[], signal?: AbortSignal): Promise<FootageFile> {
  if (clips.length === 0) throw new RangeError('a video without clips has no footage to scan');
  const dir = libraryPaths(root).videoDir(clips[0]!.videoId);
  const sorted = [...clips].sort((a, b) => a.index - b.index);
  const data = await scanClipFiles(sorted.map((c) => join(root, c.videoPath)), sorted, signal);
  // Kept beside the video for next time; a read-only library still gets the answer, from memory.
  await writeFootage(dir, data).catch(() => undefined);
  return data;
}

export interface FootageStats {
  videosScanned: number;
  videosNotScanned: number;
  /** shot changes inside clips (scene score >= the stored threshold) */
  shotChanges: number;
  /** seconds of footage each flag takes out of the montage (each frame counted under one flag) */
  flaggedSeconds: Record<FootageFlag, number>;
  /** clips with any flagged span */
  clipsWithFlags: number;
}

/** Totals over a library's footage files. */
export async function footageStats(root: string, videoIds: readonly string[]): Promise<FootageStats> {
  const flaggedSeconds = Object.fromEntries(FOOTAGE_FLAGS.map((f) => [f, 0])) as Record<FootageFlag, number>;
  const out: FootageStats = { videosScanned: 0, videosNotScanned: 0, shotChanges: 0, flaggedSeconds, clipsWithFlags: 0 };
  for (const id of videoIds) {
    const f = await readFootage(root, id);
    if (!f) {
      out.videosNotScanned++;
      continue;
    }
    out.videosScanned++;
    for (const c of f.clips) {
      out.shotChanges += c.cuts.length;
      if (c.flagged.length) out.clipsWithFlags++;
      for (const [flag, a, b] of c.flagged) flaggedSeconds[flag] += b - a;
    }
  }
  for (const f of FOOTAGE_FLAGS) flaggedSeconds[f] = Math.round(flaggedSeconds[f] * 100) / 100;
  return out;
}
