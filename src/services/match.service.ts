// clipmatch match: embeds one 10-s window of a song (the loudest by default) and answers the three closest
// and the three farthest library clips, with a contact sheet of all six. The library side (model, index,
// catalogue) sits behind LibraryContext so that visualize reuses it and tests and benchmarks can hand in
// their own.
import { join } from 'node:path';
import { DEFAULT_CLIP_SECONDS, FEATURE_DIM, noProgress, type ClipRecord, type ProgressFn } from '../core/types.js';
import { UserError } from '../core/errors.js';
import type { ClipHit, MatchResult } from '../core/visualize.types.js';
import { audioExtractor, loudestWindow } from '../features/audio/index.js';
import { renderContactSheet } from '../media/sheet.js';
import type { ClipFootage } from '../core/footage.js';
import { loadSong, pcmWindow, MAX_SONG_SECONDS, type Song } from './song.js';

/** One 10-s window of song features in, one embedding out. */
export interface SongEmbedder {
  readonly dim: number;
  embedAudio(feats: Float32Array, n: number): Float32Array;
  /** the same embeddings on onnxruntime, where the model was exported (see Embedder) */
  embedAudioAsync?(feats: Float32Array, n: number): Promise<Float32Array>;
}

export interface ClipSearch {
  readonly size: number;
  nearest(query: Float32Array, k: number): Array<{ clipId: string; distance: number }>;
  farthest(query: Float32Array, k: number): Array<{ clipId: string; distance: number }>;
  embeddingOf(clipId: string): Float32Array | undefined;
}

/** Everything match and visualize need from a library, opened once. */
export interface LibraryContext {
  root: string;
  embedder: SongEmbedder;
  index: ClipSearch;
  /** reads the records of these clips (search hits) so that clip() and videoTitle() answer them */
  prefetch?(clipIds: readonly string[]): Promise<void>;
  /** a prefetched clip's record; undefined when it is not in the catalogue */
  clip(clipId: string): ClipRecord | undefined;
  /** title (or file name) of a prefetched clip's source video, for people */
  videoTitle(videoId: string): string;
  /** shot changes and flagged spans of a clip; undefined when its video was never scanned */
  footage?(clipId: string): ClipFootage | undefined;
  /** scans the videos (of those given) that have no footage file yet, so footage() knows them */
  ensureFootage?(videoIds: readonly string[], progress?: ProgressFn, signal?: AbortSignal): Promise<void>;
  /** the index version searched (src/index/index-versions.ts); absent for a context without one (tests) */
  readonly indexVersion?: number;
  /** moves to a newer index version if one was published; call between jobs only. True when it switched. */
  refreshIndex?(): Promise<boolean>;
  close(): void | Promise<void>;
}

/**
 * How openLibraryContext treats the index: 'build' (the CLI, one machine) builds a missing or stale one
 * first, as always; 'worker' never builds, refuses a missing one and uses a stale one, logging the lag.
 */
export type LibraryIndexMode = 'build' | 'worker';

export interface MatchOptions {
  audioPath: string;
  libraryDir: string;
  modelDir?: string;
  /** start of the 10-s window, seconds; default: the most energetic window */
  at?: number;
  sheetPath: string;
  signal?: AbortSignal;
  /** an already opened library (tests, benchmarks, a worker reusing one between jobs) */
  library?: LibraryContext;
  /** also answer clips that are mostly title card, credits, black or other flagged footage */
  keepFlagged?: boolean;
}

export const WINDOW_SECONDS = DEFAULT_CLIP_SECONDS;

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new UserError('CANCELLED', 'cancelled');
}

/** Opens catalogue, model and the newest vector index version of a library (see LibraryIndexMode). */
export async function openLibraryContext(
  libraryDir: string,
  modelDir: string | undefined,
  progress: ProgressFn = noProgress,
  opts: { index?: LibraryIndexMode } = {},
): Promise<LibraryContext> {
  const { openCatalog } = await import('../library/catalog.js');
  const { loadEmbedder } = await import('../model/embedder.js');
  const { openIndexHandle } = await import('../index/index-open.js');
  const catalog = await openCatalog(libraryDir, { readonly: true });
  try {
    const embedder = await loadEmbedder(modelDir);
    const want = embedder.extractors.audio;
    const have = audioExtractor.info;
    if (want.version !== '*' && (want.name !== have.name || want.version !== have.version)) {
      throw new UserError('INCOMPATIBLE', `the model expects audio features ${want.name}@${want.version}, but this build computes ${have.name}@${have.version}; retrain the model`);
    }
    const mode = opts.index ?? 'build';
    const index = await openIndexHandle(libraryDir, embedder, {
      mode,
      progress,
      ...(mode === 'worker' ? { catalogState: async () => ({ generation: await catalog.generation(), clips: (await catalog.stats()).clips }) } : {}),
    });
    const { libraryFootage } = await import('../library/footage-cache.js');
    const footage = libraryFootage(libraryDir, catalog);
    // Clip records are read from the catalogue in one query per batch of search hits (prefetch), not
    // held for the whole library: a catalogue of a million clips stays in the database.
    const clips = new Map<string, ClipRecord | null>();
    const titles = new Map<string, string>();
    const clip = (id: string): ClipRecord | undefined => {
      const c = clips.get(id);
      if (c === undefined) throw new Error(`clip ${id} was looked up before it was prefetched`);
      return c ?? undefined;
    };
    return {
      ensureFootage: footage.ensureFootage,
      footage: (clipId) => {
        const c = clip(clipId);
        return c ? footage.footage(c) : undefined;
      },
      root: libraryDir,
      embedder,
      index,
      async prefetch(ids) {
        const missing = [...new Set(ids)].filter((id) => !clips.has(id));
        if (missing.length === 0) return;
        const got = await catalog.getClips(missing);
        for (const id of missing) clips.set(id, got.get(id) ?? null);
        for (const videoId of new Set([...got.values()].map((c) => c.videoId))) {
          if (!titles.has(videoId)) titles.set(videoId, (await catalog.getVideo(videoId))?.title ?? videoId);
        }
      },
      clip,
      videoTitle: (videoId) => titles.get(videoId) ?? videoId,
      get indexVersion() {
        return index.version;
      },
      refreshIndex: () => index.refresh(),
      close: () => catalog.close(),
    };
  } catch (err) {
    await catalog.close();
    throw err;
  }
}

/** Embeds n windows of song features: on onnxruntime where the embedder runs there, on tfjs otherwise. */
export async function embedSong(embedder: SongEmbedder, feats: Float32Array, n: number): Promise<Float32Array> {
  return n > 0 && embedder.embedAudioAsync ? await embedder.embedAudioAsync(feats, n) : embedder.embedAudio(feats, n);
}

/** Embeds `starts.length` 10-s windows of the song, from per-second features computed once. */
export async function embedWindows(song: Song, starts: readonly number[], embedder: SongEmbedder, perSecond?: Float32Array): Promise<Float32Array> {
  const feats = perSecond ?? audioExtractor.extract(song.pcm, song.sampleRate);
  const dim = FEATURE_DIM;
  const seconds = feats.length / dim;
  const batch = new Float32Array(starts.length * WINDOW_SECONDS * dim);
  starts.forEach((s, i) => {
    const from = Math.max(0, Math.min(Math.round(s), seconds - WINDOW_SECONDS));
    // Rows past the end of a short song stay zero, as the extractor pads a short tail.
    batch.set(feats.subarray(from * dim, Math.min(seconds, from + WINDOW_SECONDS) * dim), i * WINDOW_SECONDS * dim);
  });
  return await embedSong(embedder, batch, starts.length);
}

const clock = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

function toHits(lib: LibraryContext, hits: Array<{ clipId: string; distance: number }>): ClipHit[] {
  return hits.map((h) => {
    const c = lib.clip(h.clipId);
    return { clipId: h.clipId, videoId: c?.videoId ?? '', source: c ? lib.videoTitle(c.videoId) : h.clipId, start: c?.start ?? 0, distance: h.distance };
  });
}

/** A clip mostly made of flagged footage (a title card, credits, black) is no answer to "what fits this sound". */
export function mostlyFlagged(lib: LibraryContext, clipId: string): boolean {
  const f = lib.footage?.(clipId);
  if (!f || f.duration <= 0) return false;
  const flagged = f.flagged.reduce((s, x) => s + (x.end - x.start), 0);
  return flagged > 0.5 * f.duration;
}

/** Closest and farthest clips for one embedded window, and their contact sheet. */
export async function matchWindow(
  lib: LibraryContext,
  query: Float32Array,
  at: number,
  sheetPath: string,
  signal?: AbortSignal,
  progress: ProgressFn = noProgress,
  opts: { keepFlagged?: boolean } = {},
): Promise<MatchResult> {
  if (lib.index.size === 0) throw new UserError('NO_LIBRARY', `the library at ${lib.root} has no clips yet`);
  progress('match', 0, 2);
  const pick = async (hits: Array<{ clipId: string; distance: number }>) => {
    await lib.prefetch?.(hits.map((h) => h.clipId));
    if (opts.keepFlagged || !lib.footage) return hits.slice(0, 3);
    await lib.ensureFootage?.([...new Set(hits.map((h) => lib.clip(h.clipId)?.videoId ?? ''))].filter(Boolean), progress, signal);
    const usable = hits.filter((h) => !mostlyFlagged(lib, h.clipId));
    return (usable.length >= 3 ? usable : hits).slice(0, 3);
  };
  const extra = opts.keepFlagged || !lib.footage ? 3 : 12;
  const closest = toHits(lib, await pick(lib.index.nearest(query, extra)));
  const farthest = toHits(lib, await pick(lib.index.farthest(query, extra)));
  progress('match', 1, 2);
  throwIfCancelled(signal);
  const rows = [...closest.map((h, i) => ({ h, i, kind: 'closest' as const })), ...farthest.map((h, i) => ({ h, i, kind: 'farthest' as const }))].map(({ h, i, kind }) => {
    const c = lib.clip(h.clipId);
    return {
      path: c ? join(lib.root, c.videoPath) : '',
      duration: c?.duration ?? WINDOW_SECONDS,
      kind,
      label: `${kind} ${i + 1} · distance ${h.distance.toFixed(3)} · ${h.source} · ${clock(h.start)}`,
    };
  });
  await renderContactSheet(rows, sheetPath, { signal });
  progress('match', 2, 2);
  return { closest, farthest, sheet: sheetPath, at };
}

export async function match(opts: MatchOptions, progress: ProgressFn = noProgress): Promise<MatchResult> {
  const { signal } = opts;
  progress('decode', 0, 1);
  const song = await loadSong(opts.audioPath, { maxSeconds: MAX_SONG_SECONDS, signal });
  progress('decode', 1, 1);
  if (opts.at !== undefined && !(opts.at >= 0 && opts.at < song.duration)) {
    throw new UserError('BAD_INPUT', `--at ${opts.at} is outside the song (0 to ${song.duration.toFixed(1)} s)`);
  }
  throwIfCancelled(signal);
  const lib = opts.library ?? (await openLibraryContext(opts.libraryDir, opts.modelDir, progress));
  try {
    progress('embed', 0, 1);
    const latest = Math.max(0, song.duration - WINDOW_SECONDS);
    const at = Math.min(opts.at ?? loudestWindow(song.pcm, song.sampleRate, WINDOW_SECONDS), latest);
    const feats = audioExtractor.extract(pcmWindow(song, at, WINDOW_SECONDS), song.sampleRate);
    const query = await embedSong(lib.embedder, feats, 1);
    progress('embed', 1, 1);
    throwIfCancelled(signal);
    return await matchWindow(lib, query, at, opts.sheetPath, signal, progress, { keepFlagged: opts.keepFlagged ?? false });
  } finally {
    if (!opts.library) await lib.close();
  }
}
