// clipmatch visualize: song in, music video out. Stages (each reported): decode -> analyse (beats,
// onsets, segments) -> embed (one 10-s window centred on each segment) -> match (candidates per segment
// from the index, plus the closest/farthest contact sheet) -> plan (global K-best Viterbi, src/core/plan.ts)
// -> render (src/media/render.ts). Nothing appears at the output paths unless the whole run succeeds.
import { existsSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { chooseEncoding } from '../core/bitrate.js';
import { UserError } from '../core/errors.js';
import { planMontage, type Candidate, type PlanInput, type PlanOptions, type PlanOutput } from '../core/plan.js';
import { segmentSong, type Segment } from '../core/segments.js';
import { noProgress, type ProgressFn } from '../core/types.js';
import type { PlanSegment, VisualizeOptions, VisualizeResult } from '../core/visualize.types.js';
import { analyzeRhythm, audioExtractor, loudestWindow } from '../features/audio/index.js';
import { renderMontage, type RenderOptions } from '../media/render.js';
import { embedWindows, matchWindow, openLibraryContext, throwIfCancelled, WINDOW_SECONDS, type LibraryContext } from './match.service.js';
import { loadSong, MAX_SONG_SECONDS, MIN_VISUALIZE_SECONDS, type Song } from './song.js';

export interface VisualizeServiceOptions extends VisualizeOptions {
  /** an already opened library (tests, benchmarks, a worker reusing one between jobs) */
  library?: LibraryContext;
  /** candidate clips per segment handed to the planner */
  candidates?: number;
  plan?: PlanOptions;
  render?: Pick<RenderOptions, 'preset' | 'chunkPieces' | 'concurrency'> & { maxHeight?: number };
}

export interface SongPlan {
  segments: Segment[];
  plan: PlanSegment[];
  output: PlanOutput;
  input: PlanInput;
  /** the song's per-second audio features, reused for the contact-sheet query */
  perSecond: Float32Array;
}

/** Where in a clip a piece starts: repeated uses of a clip show different parts of it when they can. */
const OFFSET_CYCLE = [0, 0.5, 0.25, 0.75];

/** Segments, their embeddings, candidates and the chosen plan for a decoded song. */
export function planSong(song: Song, lib: LibraryContext, opts: { candidates?: number; plan?: PlanOptions; signal?: AbortSignal }, progress: ProgressFn = noProgress): SongPlan {
  progress('analyse', 0, 1);
  const rhythm = analyzeRhythm(song.pcm, song.sampleRate);
  const segments = segmentSong({
    duration: song.duration,
    beats: rhythm.beats,
    onsets: rhythm.onsets,
    tempo: rhythm.tempo,
    onsetEnvelope: rhythm.onsetEnvelope,
    hopSeconds: rhythm.hopSeconds,
  });
  progress('analyse', 1, 1);
  throwIfCancelled(opts.signal);

  progress('embed', 0, segments.length);
  const perSecond = audioExtractor.extract(song.pcm, song.sampleRate);
  const starts = segments.map((s) => (s.start + s.end) / 2 - WINDOW_SECONDS / 2);
  const queries = embedWindows(song, starts, lib.embedder, perSecond);
  progress('embed', segments.length, segments.length);
  throwIfCancelled(opts.signal);

  progress('search', 0, segments.length);
  const k = Math.min(opts.candidates ?? 32, lib.index.size);
  const dim = lib.embedder.dim;
  const clipIds: string[] = [];
  const rowOf = new Map<string, number>();
  const videoIds: string[] = [];
  const videoRow = new Map<string, number>();
  const raw = segments.map((_, s) =>
    lib.index.nearest(queries.subarray(s * dim, (s + 1) * dim), k).map((h) => {
      let clip = rowOf.get(h.clipId);
      if (clip === undefined) {
        clip = clipIds.length;
        clipIds.push(h.clipId);
        rowOf.set(h.clipId, clip);
      }
      const videoId = lib.clip(h.clipId)?.videoId ?? h.clipId;
      let video = videoRow.get(videoId);
      if (video === undefined) {
        video = videoIds.length;
        videoIds.push(videoId);
        videoRow.set(videoId, video);
      }
      return { clip, video, distance: h.distance };
    }),
  );
  progress('search', segments.length, segments.length);
  // Distances are only comparable within one song and model: rescale them to [0, 1] (1 = best seen).
  let lo = Infinity;
  let hi = -Infinity;
  for (const list of raw) {
    for (const c of list) {
      lo = Math.min(lo, c.distance);
      hi = Math.max(hi, c.distance);
    }
  }
  const span = hi > lo ? hi - lo : 1;
  const candidates: Candidate[][] = raw.map((list) => list.map((c) => ({ clip: c.clip, video: c.video, score: (hi - c.distance) / span })));
  const unit = new Map<number, Float32Array | null>();
  const unitOf = (clip: number): Float32Array | null => {
    let u = unit.get(clip);
    if (u === undefined) {
      const v = lib.index.embeddingOf(clipIds[clip]!);
      let n = 0;
      if (v) for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
      u = v && n > 0 ? v.map((x) => x / Math.sqrt(n)) : null;
      unit.set(clip, u);
    }
    return u;
  };
  const continuity = (a: number, b: number): number => {
    const ua = unitOf(a);
    const ub = unitOf(b);
    if (!ua || !ub) return 0;
    let dot = 0;
    for (let i = 0; i < ua.length; i++) dot += ua[i]! * ub[i]!;
    return dot;
  };
  const input: PlanInput = { candidates, continuity };
  progress('plan', 0, 1);
  const output = planMontage(input, opts.plan);
  progress('plan', 1, 1);

  const uses = new Map<number, number>();
  const plan = output.choices.map((c, s): PlanSegment => {
    const seg = segments[s]!;
    const clipId = clipIds[c.clip]!;
    const rec = lib.clip(clipId);
    const len = seg.end - seg.start;
    const room = Math.max(0, (rec?.duration ?? WINDOW_SECONDS) - len);
    const u = uses.get(c.clip) ?? 0;
    uses.set(c.clip, u + 1);
    const distance = raw[s]!.find((r) => r.clip === c.clip)!.distance;
    return {
      start: seg.start,
      end: seg.end,
      clipId,
      clipOffset: Math.round(room * OFFSET_CYCLE[u % OFFSET_CYCLE.length]! * 1000) / 1000,
      score: Math.round(c.score * 1e4) / 1e4,
      videoId: videoIds[c.video],
      distance,
    };
  });
  return { segments, plan, output, input, perSecond };
}

const sheetPathFor = (outPath: string) => `${outPath.replace(/\.[^./\\]+$/, '')}.sheet.png`;

export async function visualize(opts: VisualizeServiceOptions, progress: ProgressFn = noProgress): Promise<VisualizeResult> {
  const { signal } = opts;
  const outDir = dirname(opts.outPath);
  if (!existsSync(outDir) || !statSync(outDir).isDirectory()) throw new UserError('BAD_INPUT', `the output folder ${outDir} does not exist`);
  progress('decode', 0, 1);
  const song = await loadSong(opts.audioPath, { minSeconds: MIN_VISUALIZE_SECONDS, maxSeconds: opts.maxSeconds ?? MAX_SONG_SECONDS, signal });
  progress('decode', 1, 1);
  // Fail on an impossible size cap before any heavy work.
  const encoding = chooseEncoding(song.duration, opts.maxMb ?? 10, opts.aspect ?? '16:9', { maxHeight: opts.render?.maxHeight });
  throwIfCancelled(signal);
  const lib = opts.library ?? (await openLibraryContext(opts.libraryDir, opts.modelDir, progress));
  const sheetPath = sheetPathFor(opts.outPath);
  let wroteSheet = false;
  try {
    const planned = planSong(song, lib, { candidates: opts.candidates, plan: opts.plan, signal }, progress);
    throwIfCancelled(signal);

    const at = loudestWindow(song.pcm, song.sampleRate, WINDOW_SECONDS);
    const query = embedWindows(song, [at], lib.embedder, planned.perSecond);
    wroteSheet = true;
    const matched = await matchWindow(lib, query, at, sheetPath, signal, progress);
    throwIfCancelled(signal);

    const pieces = planned.plan.map((p) => {
      const rec = lib.clip(p.clipId);
      if (!rec) throw new Error(`clip ${p.clipId} is in the index but not in the catalogue; run clipmatch index --force`);
      return { path: join(lib.root, rec.videoPath), offset: p.clipOffset, start: p.start, end: p.end };
    });
    const rendered = await renderMontage({
      songPath: opts.audioPath,
      duration: song.duration,
      pieces,
      outPath: opts.outPath,
      encoding,
      signal,
      ...opts.render,
      progress: (done, total) => progress('render', done, total),
    });
    return { ...matched, video: rendered.path, duration: song.duration, sizeBytes: rendered.sizeBytes, plan: planned.plan };
  } catch (err) {
    if (wroteSheet) await rm(sheetPath, { force: true });
    if (signal?.aborted && !(err instanceof UserError)) throw new UserError('CANCELLED', 'cancelled');
    throw err;
  } finally {
    if (!opts.library) lib.close();
  }
}
