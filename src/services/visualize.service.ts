// clipmatch visualize: song in, music video out. Stages (each reported): decode -> analyse (beats,
// onsets, segments) -> embed (one 10-s window centred on each segment) -> match (candidates per segment
// from the index, plus the closest/farthest contact sheet) -> plan (global K-best Viterbi, src/core/plan.ts)
// -> render (src/media/render.ts). Nothing appears at the output paths unless the whole run succeeds.
import { existsSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { chooseEncoding, encodingLadder, noUpscaleShortSide } from '../core/bitrate.js';
import type { Aspect } from '../core/visualize.types.js';
import { probe } from '../media/ffmpeg.js';
import { chooseByQuality } from '../media/quality.js';
import { UserError } from '../core/errors.js';
import { checkCorrection } from '../core/grid-correction.js';
import { planMontage, type Candidate, type PlanInput, type PlanOptions, type PlanOutput } from '../core/plan.js';
import { segmentByStructure, type Segment } from '../core/segments.js';
import { noProgress, type ProgressFn } from '../core/types.js';
import type { PlanSegment, VisualizeOptions, VisualizeResult } from '../core/visualize.types.js';
import { audioExtractor, loudestWindow } from '../features/audio/index.js';
import { analyzeSong } from '../features/audio/song-analysis.js';
import { renderMontage, type RenderOptions } from '../media/render.js';
import { explain, fitCandidates } from './pieces.js';
import { planFileOf, planFileOptions, writePlanFile, type PlanFile } from './plan-file.js';
import { embedWindows, matchWindow, openLibraryContext, throwIfCancelled, WINDOW_SECONDS, type LibraryContext } from './match.service.js';
import { loadSong, MAX_SONG_SECONDS, MIN_VISUALIZE_SECONDS, type Song } from './song.js';

export interface VisualizeServiceOptions extends VisualizeOptions {
  /** an already opened library (tests, benchmarks, a worker reusing one between jobs) */
  library?: LibraryContext;
  /** candidate clips per segment handed to the planner */
  candidates?: number;
  plan?: PlanOptions;
  render?: Pick<RenderOptions, 'preset' | 'chunkPieces' | 'concurrency'> & {
    maxHeight?: number;
    /** 'ssim' (default): frame size chosen by measured SSIM against the sources; 'rule': by bits per pixel */
    quality?: 'ssim' | 'rule';
  };
  /** an edited plan (from --plan): its segments and beats replace the analysis */
  planIn?: PlanFile;
  /** where to write the plan as JSON (--plan-out) */
  planOut?: string;
}

/** Where in a clip a piece starts when its footage is unknown: repeated uses show different parts of it. */
const OFFSET_CYCLE = [0, 0.5, 0.25, 0.75];

export interface SongPlan {
  segments: Segment[];
  plan: PlanSegment[];
  output: PlanOutput;
  input: PlanInput;
  /** the song's per-second audio features, reused for the contact-sheet query */
  perSecond: Float32Array;
  /** the beat grid the pieces were fitted to */
  beats: number[];
  tempo: number;
}

export interface PlanSongOptions {
  candidates?: number;
  plan?: PlanOptions;
  signal?: AbortSignal;
  seed?: number;
  keepFlagged?: boolean;
  /** segments and beats from a plan file: the song is not analysed again */
  given?: { segments: Segment[]; beats: number[]; tempo: number };
  /** per segment, a clip that must play there (pins, and the unchanged pieces of an edited plan) */
  fixed?: ReadonlyArray<{ clipId: string; offset?: number } | undefined>;
  /** clips, videos or source titles never to use */
  exclude?: ReadonlySet<string>;
  /** cut density (segmentByStructure); ignored with `given` */
  cuts?: VisualizeOptions['cuts'];
  /** the user's correction of the beat grid (grid-correction.ts); not with `given` */
  grid?: VisualizeOptions['grid'];
}

/** The analysed song and its nearest clips per segment, before footage is looked at. */
export interface SongSearch {
  segments: Segment[];
  beats: number[];
  tempo: number;
  perSecond: Float32Array;
  clipIds: string[];
  videoIds: string[];
  raw: Array<Array<{ clip: number; video: number; distance: number }>>;
}

/** Segments, their embeddings and the nearest clips of each (steps decode..search of the file comment). */
export async function searchSong(song: Song, lib: LibraryContext, opts: PlanSongOptions, progress: ProgressFn = noProgress): Promise<SongSearch> {
  let segments: Segment[];
  let beats: number[];
  let tempo: number;
  if (opts.given) {
    ({ segments, beats, tempo } = opts.given);
  } else {
    progress('analyse', 0, 1);
    const a = analyzeSong(song.pcm, song.sampleRate, opts.grid ? { grid: opts.grid } : {});
    segments = segmentByStructure({ ...a, duration: song.duration }, opts.cuts ?? 'auto');
    beats = [...a.beats];
    tempo = a.tempo;
    progress('analyse', 1, 1);
  }
  throwIfCancelled(opts.signal);

  progress('embed', 0, segments.length);
  const perSecond = audioExtractor.extract(song.pcm, song.sampleRate);
  const starts = segments.map((s) => (s.start + s.end) / 2 - WINDOW_SECONDS / 2);
  const queries = await embedWindows(song, starts, lib.embedder, perSecond);
  progress('embed', segments.length, segments.length);
  throwIfCancelled(opts.signal);

  progress('search', 0, segments.length);
  const exclude = opts.exclude ?? new Set<string>();
  const excluded = (clipId: string, videoId: string) => exclude.size > 0 && (exclude.has(clipId) || exclude.has(videoId) || exclude.has(lib.videoTitle(videoId)));
  // Ask for more when sources are left out, so each segment still gets its full list.
  const want = Math.min(opts.candidates ?? 32, lib.index.size);
  const k = Math.min(lib.index.size, exclude.size > 0 ? want * 2 + 16 : want);
  const dim = lib.embedder.dim;
  const clipIds: string[] = [];
  const rowOf = new Map<string, number>();
  const videoIds: string[] = [];
  const videoRow = new Map<string, number>();
  const rowFor = (clipId: string, distance: number) => {
    let clip = rowOf.get(clipId);
    if (clip === undefined) {
      clip = clipIds.length;
      clipIds.push(clipId);
      rowOf.set(clipId, clip);
    }
    const videoId = lib.clip(clipId)?.videoId ?? clipId;
    let video = videoRow.get(videoId);
    if (video === undefined) {
      video = videoIds.length;
      videoIds.push(videoId);
      videoRow.set(videoId, video);
    }
    return { clip, video, distance };
  };
  const found = segments.map((_, s) => lib.index.nearest(queries.subarray(s * dim, (s + 1) * dim), k));
  await lib.prefetch?.([...found.flat().map((h) => h.clipId), ...(opts.fixed ?? []).flatMap((f) => (f ? [f.clipId] : []))]);
  const raw = segments.map((_, s) => {
    const hits = found[s]!;
    const fixed = opts.fixed?.[s];
    if (fixed) {
      if (!lib.clip(fixed.clipId)) throw new UserError('BAD_INPUT', `the plan names clip ${fixed.clipId}, which is not in this library`);
      const hit = hits.find((h) => h.clipId === fixed.clipId);
      return [rowFor(fixed.clipId, hit?.distance ?? Math.max(...hits.map((h) => h.distance), 0))];
    }
    const kept = hits.filter((h) => !excluded(h.clipId, lib.clip(h.clipId)?.videoId ?? h.clipId)).slice(0, want);
    if (kept.length === 0) throw new UserError('BAD_INPUT', 'the plan leaves no clip of the library to choose from');
    return kept.map((h) => rowFor(h.clipId, h.distance));
  });
  progress('search', segments.length, segments.length);
  return { segments, beats, tempo, perSecond, clipIds, videoIds, raw };
}

/** Offsets fitted to the footage, candidates scored, and the global plan chosen (step plan). */
export function choosePlan(found: SongSearch, lib: LibraryContext, opts: PlanSongOptions, progress: ProgressFn = noProgress): SongPlan {
  const { segments, raw, clipIds, videoIds } = found;
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
  const footageOf = (clip: number) => lib.footage?.(clipIds[clip]!);
  const fitted = fitCandidates(
    segments,
    raw.map((list) => list.map((c) => ({ clip: c.clip, video: c.video, score: (hi - c.distance) / span }))),
    footageOf,
    { beats: found.beats, seed: opts.seed ?? 0, keepFlagged: opts.keepFlagged ?? false },
  );
  const candidates: Candidate[][] = fitted;
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
    const list = fitted[s]!;
    const chosen = list.find((x) => x.clip === c.clip)!;
    const given = opts.fixed?.[s]?.offset;
    // Without footage knowledge, repeated uses of a clip show different parts of it.
    const offset = given !== undefined && given >= 0 && given <= room + 1e-6 ? given : (chosen.fit?.offset ?? room * OFFSET_CYCLE[u % OFFSET_CYCLE.length]!);
    const rank = 1 + [...list].sort((a, b) => b.match - a.match).findIndex((x) => x.clip === c.clip);
    const why = opts.fixed?.[s] ? `set by the plan file (${explain(chosen, rank, list.length)})` : explain(chosen, rank, list.length);
    return {
      start: seg.start,
      end: seg.end,
      clipId,
      clipOffset: Math.round(offset * 1000) / 1000,
      score: Math.round(c.score * 1e4) / 1e4,
      videoId: videoIds[c.video],
      distance: raw[s]!.find((r) => r.clip === c.clip)!.distance,
      why,
      ...(chosen.fit ? { shotChanges: { onBeat: chosen.fit.onBeat, offBeat: chosen.fit.offBeat }, flaggedSeconds: chosen.fit.flaggedSeconds } : {}),
    };
  });
  return { segments, plan, output, input, perSecond: found.perSecond, beats: found.beats, tempo: found.tempo };
}

/** Segments, their embeddings, candidates and the chosen plan for a decoded song. */
export async function planSong(song: Song, lib: LibraryContext, opts: PlanSongOptions, progress: ProgressFn = noProgress): Promise<SongPlan> {
  return choosePlan(await searchSong(song, lib, opts, progress), lib, opts, progress);
}

/** The tallest short side the montage can have without upscaling its best source (one probe per file). */
async function tallestSource(paths: readonly string[], aspect: Aspect, signal?: AbortSignal): Promise<number> {
  let best = 0;
  // Clips of one video share a folder and a frame size: one probe per folder.
  const byFolder = new Map<string, string>();
  for (const p of paths) if (!byFolder.has(dirname(p))) byFolder.set(dirname(p), p);
  for (const path of byFolder.values()) {
    const v = (await probe(path, signal ? { signal } : {})).video;
    if (v && v.width > 0 && v.height > 0) best = Math.max(best, noUpscaleShortSide(aspect, v.width, v.height));
  }
  return best > 0 ? best : Infinity;
}

const sheetPathFor = (outPath: string) => `${outPath.replace(/\.[^./\\]+$/, '')}.sheet.png`;

export async function visualize(opts: VisualizeServiceOptions, progress: ProgressFn = noProgress): Promise<VisualizeResult> {
  const { signal } = opts;
  const outDir = dirname(opts.outPath);
  if (!existsSync(outDir) || !statSync(outDir).isDirectory()) throw new UserError('BAD_INPUT', `the output folder ${outDir} does not exist`);
  progress('decode', 0, 1);
  // a plan file holds its own beats; a correction of them belongs to the run that made it
  if (opts.planIn && opts.grid && (opts.grid.level || opts.grid.phase)) {
    throw new UserError('BAD_INPUT', 'a plan file holds its own beat grid: correct the beats with --beat-level or --beat-phase when the plan is made, or edit its beats, not with --plan');
  }
  if (opts.grid) checkCorrection(opts.grid);
  const song = await loadSong(opts.audioPath, { minSeconds: MIN_VISUALIZE_SECONDS, maxSeconds: opts.maxSeconds ?? MAX_SONG_SECONDS, signal });
  progress('decode', 1, 1);
  // Fail on an impossible size cap before any heavy work.
  const encoding = chooseEncoding(song.duration, opts.maxMb ?? 10, opts.aspect ?? '16:9', { maxHeight: opts.render?.maxHeight });
  throwIfCancelled(signal);
  const lib = opts.library ?? (await openLibraryContext(opts.libraryDir, opts.modelDir, progress, opts.indexMode ? { index: opts.indexMode } : {}));
  // read once: every search of this job uses this version
  const indexVersion = lib.indexVersion;
  const sheetPath = sheetPathFor(opts.outPath);
  let wroteSheet = false;
  try {
    const planIn = opts.planIn;
    if (planIn && Math.abs(planIn.song.duration - song.duration) > 0.05) {
      throw new UserError('BAD_INPUT', `the plan is for a song of ${planIn.song.duration.toFixed(2)} s, but this one lasts ${song.duration.toFixed(2)} s`);
    }
    const seed = opts.seed ?? planIn?.seed ?? 0;
    const keepFlagged = opts.keepFlagged ?? planIn?.keepFlagged ?? false;
    const planOpts: PlanSongOptions = { candidates: opts.candidates, plan: opts.plan, signal, seed, keepFlagged, cuts: opts.cuts, ...(opts.grid ? { grid: opts.grid } : {}), ...planFileOptions(planIn) };
    const found = await searchSong(song, lib, planOpts, progress);
    await lib.ensureFootage?.(found.videoIds, progress, signal);
    const planned = choosePlan(found, lib, planOpts, progress);
    throwIfCancelled(signal);

    const at = loudestWindow(song.pcm, song.sampleRate, WINDOW_SECONDS);
    const query = await embedWindows(song, [at], lib.embedder, planned.perSecond);
    wroteSheet = true;
    const matched = await matchWindow(lib, query, at, sheetPath, signal, progress, { keepFlagged });
    throwIfCancelled(signal);

    const pieces = planned.plan.map((p) => {
      const rec = lib.clip(p.clipId);
      if (!rec) throw new Error(`clip ${p.clipId} is in the index but not in the catalogue; run clipmatch index --force`);
      return { path: join(lib.root, rec.videoPath), offset: p.clipOffset, start: p.start, end: p.end };
    });
    const aspect = opts.aspect ?? '16:9';
    let chosen = encoding;
    let measured: Array<{ width: number; height: number; ssim: number }> = [];
    if ((opts.render?.quality ?? 'ssim') === 'ssim') {
      progress('encode-quality', 0, 1);
      const sourceHeight = await tallestSource(pieces.map((p) => p.path), aspect, signal);
      const limits = { maxHeight: opts.render?.maxHeight ?? 720, sourceHeight };
      const ladder = encodingLadder(encoding, aspect, { ...limits, maxRungs: 4 });
      const refine = encodingLadder(encoding, aspect, limits);
      const q = await chooseByQuality(pieces, ladder, { refine, ...(opts.render?.preset ? { preset: opts.render.preset } : {}), ...(signal ? { signal } : {}) });
      chosen = q.encoding;
      measured = q.measured;
      progress('encode-quality', 1, 1);
    }
    const { quality: _quality, maxHeight: _maxHeight, ...renderOpts } = opts.render ?? {};
    const rendered = await renderMontage({
      songPath: opts.audioPath,
      duration: song.duration,
      pieces,
      outPath: opts.outPath,
      encoding: chosen,
      signal,
      ...renderOpts,
      progress: (done, total) => progress('render', done, total),
    });
    if (opts.planOut) await writePlanFile(opts.planOut, planFileOf(planned, { songPath: opts.audioPath, duration: song.duration, seed, keepFlagged, previous: planIn }));
    const picture = { width: chosen.width, height: chosen.height, videoKbps: rendered.videoKbps, measured };
    return { ...matched, video: rendered.path, duration: song.duration, sizeBytes: rendered.sizeBytes, plan: planned.plan, tempo: planned.tempo, picture, ...(indexVersion !== undefined ? { indexVersion } : {}) };
  } catch (err) {
    if (wroteSheet) await rm(sheetPath, { force: true });
    if (signal?.aborted && !(err instanceof UserError)) throw new UserError('CANCELLED', 'cancelled');
    throw err;
  } finally {
    if (!opts.library) await lib.close();
  }
}
