// Ingest: videos in, a library of clips with features out. Incremental (a video already in the catalogue
// is skipped by content id) and crash-safe: each video is built in tmp/, moved into videos/ by one rename
// and committed to the catalogue in one transaction; leftovers of a killed run are swept at the next start.
// A video that fails is reported by name with the reason and skipped; the batch goes on.
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { AUDIO_SAMPLE_RATE, DEFAULT_CLIP_SECONDS, noProgress, type ClipRecord, type ProgressFn, type VideoRecord } from '../core/types.js';
import { clipWindows } from '../core/windows.js';
import { UserError } from '../core/errors.js';
import { probe } from '../media/ffmpeg.js';
import { decodeTrack, splitVideo, writeWav } from '../media/split.js';
import { audioExtractor } from '../features/audio/index.js';
import { CNNS, type CnnName } from '../features/visual/cnn-spec.js';
import { rawVisualInfo } from '../features/visual/extractors.js';
import { resolveEngine, type Engine } from '../onnx/runtime.js';
import { chooseLibraryCnn } from './visual-cnn.js';
import { VISUAL_FPS } from '../features/visual/extract.js';
import { decodeFrames, sliceFrames } from '../media/frames.js';
import { CUE_DIM } from '../features/visual/cues.js';
import { childLogger } from '../log.js';
import { openCatalog, type Catalog } from './catalog.js';
import { FEATURE_FILES, clipFileStem, clipIdFor, libraryPaths } from './layout.js';
import { WorkerPool } from './pool.js';
import { acquireLock } from './lock.js';
import { contentId, expandInputs, type Source } from './sources.js';
import { refitVisualPcaIfNeeded } from './pca-store.js';
import { scanClipFiles, writeFootage } from './footage-store.js';
import type { ExtractResult, ExtractTask } from './extract.worker.js';

const log = childLogger({ module: 'ingest' });
const WORKER_ENTRY = new URL('./extract.worker.ts', import.meta.url).href;

export interface IngestOptions {
  libraryDir: string;
  inputs: string[];
  clipSeconds?: number;
  /** worker threads for feature extraction; 0 = one per core */
  threads?: number;
  progress?: ProgressFn;
  signal?: AbortSignal;
  /** fetches a URL to a local file (src/media/fetch.ts in production; injectable for tests) */
  fetchUrl?: (url: string, dir: string) => Promise<string>;
  /** refit the visual PCA even if one exists */
  refitPca?: boolean;
  /** the frame CNN (--visual); the library's own, else mobilenet-v2 */
  visual?: CnnName;
  /** what runs the CNN; the process's choice (onnxruntime when it loads) by default */
  engine?: Engine;
}

export interface IngestSummary {
  library: string;
  added: Array<{ videoId: string; source: string; clips: number; seconds: number }>;
  alreadyPresent: Array<{ videoId: string; source: string }>;
  skipped: Array<{ source: string; reason: string }>;
  clipsAdded: number;
  secondsAdded: number;
  wallSeconds: number;
  /** seconds of video ingested per wall second */
  realtimeX: number;
  pca: { refitted: boolean; fingerprint: string | null; rows: number };
  library_totals: { videos: number; clips: number; seconds: number };
}

interface Planned {
  source: string;
  path: string;
  videoId: string;
  video: VideoRecord;
  windows: ReturnType<typeof clipWindows>;
}

const sourceName = (s: Source): string => (s.kind === 'file' ? s.path : s.url);

function writeF32(path: string, parts: Float32Array[]): Promise<void> {
  const total = parts.reduce((s, p) => s + p.length, 0);
  const all = new Float32Array(total);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return writeFile(path, new Uint8Array(all.buffer));
}

/** Removes what a killed run left: build folders in tmp/ and video folders the catalogue never got. */
async function sweep(catalog: Catalog, root: string): Promise<void> {
  const paths = libraryPaths(root);
  await rm(paths.tmpDir, { recursive: true, force: true });
  await mkdir(paths.tmpDir, { recursive: true });
  await mkdir(paths.videosDir, { recursive: true });
  for (const name of await readdir(paths.videosDir)) {
    if (!(await catalog.hasVideo(name))) {
      log.warn({ videoId: name }, 'removing an unfinished video left by an interrupted run');
      await rm(paths.videoDir(name), { recursive: true, force: true });
    }
  }
}

async function plan(src: Source, root: string, clipSeconds: number, opts: IngestOptions): Promise<Planned | string> {
  let path: string;
  if (src.kind === 'url') {
    if (!opts.fetchUrl) return 'downloading links is not available';
    path = await opts.fetchUrl(src.url, join(libraryPaths(root).tmpDir, 'downloads'));
  } else path = src.path;
  const info = await probe(path);
  if (!info.video) return 'no video stream (an audio-only file cannot be footage)';
  if (!(info.duration > 0)) return 'unknown or zero duration';
  const windows = clipWindows(info.duration, clipSeconds);
  if (windows.length === 0) return `shorter than half a clip (${info.duration.toFixed(1)} s < ${clipSeconds / 2} s)`;
  const videoId = await contentId(path);
  const video: VideoRecord = {
    videoId,
    source: sourceName(src),
    title: basename(src.kind === 'url' ? new URL(src.url).pathname : path) || videoId,
    duration: info.duration,
    hasAudio: info.audio !== undefined,
    width: info.video.width,
    height: info.video.height,
    fps: info.video.fps,
  };
  return { source: sourceName(src), path, videoId, video, windows };
}

/** Clips decoded together: one ffmpeg start per chunk, and a bounded frame buffer (~18 MB at 2 fps, 224 px). */
const CLIPS_PER_DECODE = 6;

async function buildVideo(p: Planned, root: string, clipSeconds: number, pool: WorkerPool<ExtractTask, ExtractResult>, onClip: () => void, signal: AbortSignal | undefined, cnn: { name: CnnName; engine: Engine }): Promise<ClipRecord[]> {
  const { nativeSize: CNN_NATIVE_SIZE, dim: CNN_DIM } = CNNS[cnn.name];
  const paths = libraryPaths(root);
  const work = paths.workDir(p.videoId);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  // The clip files are encoded while the features are computed from frames decoded straight from the
  // source: the encode and the CNN overlap, and no clip is decoded a second time.
  const split = splitVideo(p.path, work, { clipSeconds, windows: p.windows, hasAudio: p.video.hasAudio, stem: clipFileStem, signal });
  split.catch(() => undefined); // awaited below; only keeps an early failure from going unhandled
  // Shot changes and unusable spans from a small full-rate decode of the new clips, while the CNN works.
  const footage = split.then((files) => scanClipFiles(files, p.windows, signal));
  footage.catch(() => undefined); // awaited below
  const track = p.video.hasAudio ? await decodeTrack(p.path, AUDIO_SAMPLE_RATE, signal) : null;
  const secondsPerClip = Math.ceil(clipSeconds);
  const chunks: Array<typeof p.windows> = [];
  for (let c = 0; c < p.windows.length; c += CLIPS_PER_DECODE) chunks.push(p.windows.slice(c, c + CLIPS_PER_DECODE));
  const decodeChunk = (chunk: typeof p.windows) => {
    const from = chunk[0]!.start;
    const last = chunk[chunk.length - 1]!;
    const d = decodeFrames(p.path, { fps: VISUAL_FPS, width: CNN_NATIVE_SIZE, height: CNN_NATIVE_SIZE, start: from, duration: last.start + last.duration - from, threads: 1, skipNonRef: true, signal });
    d.catch(() => undefined); // awaited in order below
    return d;
  };
  // Decoding chunk k+1 overlaps the CNN on chunk k; at most two chunks of frames are held at once.
  const pending: Array<Promise<ExtractResult>> = [];
  let next = chunks.length > 0 ? decodeChunk(chunks[0]!) : undefined;
  for (const [k, chunk] of chunks.entries()) {
    const frames = await next!;
    next = k + 1 < chunks.length ? decodeChunk(chunks[k + 1]!) : undefined;
    const from = chunk[0]!.start;
    const inFlight = chunk.map(async (w) => {
      let pcm: Float32Array | null = null;
      if (track) {
        const a = Math.round(w.start * AUDIO_SAMPLE_RATE);
        pcm = track.slice(a, Math.min(track.length, a + Math.round(w.duration * AUDIO_SAMPLE_RATE)));
        await writeWav(join(work, `${clipFileStem(w.index)}.wav`), pcm, AUDIO_SAMPLE_RATE);
      }
      const view = sliceFrames(frames, w.start - from, w.duration);
      const own = { ...view, rgb: view.rgb.slice() };
      const transfer = [own.rgb.buffer as ArrayBuffer, ...(pcm ? [pcm.buffer as ArrayBuffer] : [])];
      const r = await pool.run({ frames: own, seconds: secondsPerClip, pcm, sampleRate: AUDIO_SAMPLE_RATE, cnn: cnn.name, engine: cnn.engine }, transfer);
      onClip();
      return r;
    });
    for (const f of inFlight) f.catch(() => undefined);
    pending.push(...inFlight);
    // Keep the pool fed but bounded: wait for the previous chunk before decoding further ahead.
    if (pending.length > 2 * CLIPS_PER_DECODE) await Promise.all(pending.slice(0, pending.length - CLIPS_PER_DECODE));
  }
  const results = await Promise.all(pending);
  await split;
  await writeFootage(work, await footage);
  const dim = secondsPerClip * 128;
  // Every clip gets exactly `seconds` rows, zero-padded, so matrices are read in bulk by offset.
  const fit = (v: Float32Array | null, n: number): Float32Array => {
    const out = new Float32Array(n);
    if (v) out.set(v.subarray(0, n));
    return out;
  };
  await writeF32(join(work, FEATURE_FILES.audio), results.map((r) => fit(r.audio, dim)));
  await writeF32(join(work, FEATURE_FILES.cnn), results.map((r) => fit(r.cnn, secondsPerClip * CNN_DIM)));
  await writeF32(join(work, FEATURE_FILES.cues), results.map((r) => fit(r.cues, secondsPerClip * CUE_DIM)));
  const dest = paths.videoDir(p.videoId);
  await rm(dest, { recursive: true, force: true });
  await rename(work, dest);
  return p.windows.map((w, i) => ({
    clipId: clipIdFor(p.videoId, w.index),
    videoId: p.videoId,
    index: w.index,
    start: w.start,
    duration: w.duration,
    hasAudio: results[i]!.audio !== null,
    videoPath: relative(root, join(dest, `${clipFileStem(w.index)}.mp4`)),
    audioPath: p.video.hasAudio ? relative(root, join(dest, `${clipFileStem(w.index)}.wav`)) : '',
  }));
}

export async function ingest(opts: IngestOptions): Promise<IngestSummary> {
  const started = performance.now();
  const root = opts.libraryDir;
  const clipSeconds = opts.clipSeconds ?? DEFAULT_CLIP_SECONDS;
  if (!(clipSeconds >= 1 && clipSeconds <= 60)) throw new UserError('BAD_INPUT', '--clip-seconds must be between 1 and 60');
  const progress = opts.progress ?? noProgress;
  const sources = await expandInputs(opts.inputs);
  if (sources.length === 0) throw new UserError('BAD_INPUT', 'no video files found in the given inputs');

  const catalog = await openCatalog(root, { create: true });
  const release = await acquireLock(root);
  const summary: IngestSummary = {
    library: root,
    added: [],
    alreadyPresent: [],
    skipped: [],
    clipsAdded: 0,
    secondsAdded: 0,
    wallSeconds: 0,
    realtimeX: 0,
    pca: { refitted: false, fingerprint: null, rows: 0 },
    library_totals: { videos: 0, clips: 0, seconds: 0 },
  };
  const existingSeconds = await catalog.getMeta('clip_seconds');
  if (existingSeconds && Number(existingSeconds) !== clipSeconds) {
    release();
    await catalog.close();
    throw new UserError('BAD_INPUT', `this library holds ${existingSeconds}-s clips; use --clip-seconds ${existingSeconds} or another library`);
  }
  await catalog.setMeta('clip_seconds', String(clipSeconds));
  const skip = async (source: string, reason: string) => {
    log.warn({ source, reason }, 'skipped');
    summary.skipped.push({ source, reason });
    await catalog.recordSkip(source, reason);
  };
  let pool: WorkerPool<ExtractTask, ExtractResult> | undefined;
  try {
    await sweep(catalog, root);
    // Probe everything first so the clip bar has a real total and ETA.
    const todo: Planned[] = [];
    const planned = new Set<string>();
    for (const [i, src] of sources.entries()) {
      progress('probe', i, sources.length);
      try {
        const p = await plan(src, root, clipSeconds, opts);
        if (typeof p === 'string') await skip(sourceName(src), p);
        else if (planned.has(p.videoId) || (await catalog.hasVideo(p.videoId))) summary.alreadyPresent.push({ videoId: p.videoId, source: p.source });
        else {
          todo.push(p);
          planned.add(p.videoId);
        }
      } catch (err) {
        await skip(sourceName(src), err instanceof Error ? err.message : String(err));
      }
    }
    progress('probe', sources.length, sources.length);
    const totalClips = todo.reduce((s, p) => s + p.windows.length, 0);
    let clipsDone = 0;
    if (todo.length > 0) pool = new WorkerPool<ExtractTask, ExtractResult>(WORKER_ENTRY, opts.threads ?? 0);
    // The engine is decided (and logged) once here; every worker uses the same.
    const cnn = { name: await chooseLibraryCnn(catalog, opts.visual), engine: todo.length > 0 ? (opts.engine ?? (await resolveEngine())) : ('tfjs' as const) };
    const extractors = { audio: audioExtractor.info, visual: rawVisualInfo(cnn.name) };
    for (const [i, p] of todo.entries()) {
      if (opts.signal?.aborted) throw new UserError('CANCELLED', 'ingest cancelled');
      progress('videos', i, todo.length);
      const before = clipsDone;
      try {
        const clips = await buildVideo(p, root, clipSeconds, pool!, () => progress('clips', ++clipsDone, totalClips), opts.signal, cnn);
        await catalog.addVideo(p.video, clipSeconds, extractors, clips);
        const seconds = clips.reduce((s, c) => s + c.duration, 0);
        summary.added.push({ videoId: p.videoId, source: p.source, clips: clips.length, seconds });
        summary.clipsAdded += clips.length;
        summary.secondsAdded += seconds;
      } catch (err) {
        clipsDone = before + p.windows.length;
        progress('clips', clipsDone, totalClips);
        await rm(libraryPaths(root).workDir(p.videoId), { recursive: true, force: true });
        if (opts.signal?.aborted) throw new UserError('CANCELLED', 'ingest cancelled');
        await skip(p.source, err instanceof Error ? err.message : String(err));
      }
    }
    progress('videos', todo.length, todo.length);
    summary.pca = await refitVisualPcaIfNeeded(catalog, root, { force: opts.refitPca ?? false, progress });
  } finally {
    await pool?.close();
    await rm(libraryPaths(root).tmpDir, { recursive: true, force: true }).catch(() => undefined);
    const totals = await catalog.stats();
    summary.library_totals = { videos: totals.videos, clips: totals.clips, seconds: totals.seconds };
    await catalog.close();
    release();
  }
  summary.wallSeconds = (performance.now() - started) / 1000;
  summary.realtimeX = summary.wallSeconds > 0 ? summary.secondsAdded / summary.wallSeconds : 0;
  return summary;
}
