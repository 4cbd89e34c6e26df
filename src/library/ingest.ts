// Ingest: videos in, a library of clips with features out. Incremental (a video already in the catalogue
// is skipped by content id) and crash-safe with many writers on many hosts sharing the library folder:
// each writer builds a video in its own folder under tmp/, writes the video's manifest (video.json) last,
// and moves the folder into videos/<id> by one rename, which fails when another writer got there first
// (then its folder, already whole, is used). The catalogue gets the video in one transaction; a writer
// killed between the rename and the commit leaves a whole folder that the next writer commits from its
// manifest. Leftovers of dead writers are swept. A video that fails is reported by name with the reason
// and skipped; the batch goes on.
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { basename, join, relative } from 'node:path';
import { AUDIO_SAMPLE_RATE, DEFAULT_CLIP_SECONDS, noProgress, type ClipRecord, type ExtractorInfo, type ProgressFn, type VideoRecord } from '../core/types.js';
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
import { FEATURE_FILES, VIDEO_MANIFEST, clipFileStem, clipIdFor, libraryPaths } from './layout.js';
import { WorkerPool } from './pool.js';
import { acquireLock, alive } from './lock.js';
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

const HOST = hostname().replace(/[^A-Za-z0-9-]/g, '_');
/** Build folders of another host older than this belong to a writer that is gone. */
const FOREIGN_STALE_MS = 6 * 3600 * 1000;

/** A name no other writer uses: host, pid and a random tag. */
export const writerTag = (): string => `${HOST}-${process.pid}-${randomBytes(3).toString('hex')}`;

/** What a finished video folder says of itself (video.json): enough to commit it to a catalogue. */
export interface VideoManifest {
  format: 1;
  video: VideoRecord;
  clipSeconds: number;
  extractors: { audio: ExtractorInfo; visual: ExtractorInfo };
  clips: ClipRecord[];
}

async function readVideoManifest(root: string, videoId: string): Promise<VideoManifest | undefined> {
  try {
    const m = JSON.parse(await readFile(libraryPaths(root).videoManifest(videoId), 'utf8')) as VideoManifest;
    return m.format === 1 && m.video?.videoId === videoId && Array.isArray(m.clips) ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes what dead writers left: their build folders in tmp/ (this host: the pid is gone; another host:
 * older than 6 h), and commits video folders that are whole (they carry a manifest) but never reached
 * the catalogue; a folder without one is from a version before manifests and is removed.
 */
export async function sweepLibrary(catalog: Catalog, root: string): Promise<{ removed: number; recovered: number }> {
  const paths = libraryPaths(root);
  await mkdir(paths.tmpDir, { recursive: true });
  await mkdir(paths.videosDir, { recursive: true });
  let removed = 0;
  let recovered = 0;
  for (const name of await readdir(paths.tmpDir)) {
    const m = /\.([A-Za-z0-9_-]+)-(\d+)-[0-9a-f]{6}$/.exec(name);
    let dead: boolean;
    if (!m) dead = true; // a single-writer build folder of an older version
    else if (m[1] === HOST) dead = !alive(Number(m[2]));
    else dead = Date.now() - (await stat(join(paths.tmpDir, name)).then((s) => s.mtimeMs, () => 0)) > FOREIGN_STALE_MS;
    if (dead) {
      await rm(join(paths.tmpDir, name), { recursive: true, force: true });
      removed++;
    }
  }
  for (const name of await readdir(paths.videosDir)) {
    if (await catalog.hasVideo(name)) continue;
    const manifest = await readVideoManifest(root, name);
    if (manifest) {
      if ((await commitVideo(catalog, manifest)) === 'added') {
        log.warn({ videoId: name }, 'committed a whole video an interrupted writer had not');
        recovered++;
      }
    } else {
      log.warn({ videoId: name }, 'removing an unfinished video left by an interrupted run');
      await rm(paths.videoDir(name), { recursive: true, force: true });
      removed++;
    }
  }
  return { removed, recovered };
}

const commitVideo = (catalog: Catalog, m: VideoManifest) => catalog.addVideo(m.video, m.clipSeconds, m.extractors, m.clips);

/**
 * Moves a finished build folder to videos/<id>. When another writer's folder is there already (the
 * rename fails: a folder is never replaced), that one is whole and is used; this one is dropped.
 */
async function placeVideo(root: string, work: string, videoId: string): Promise<VideoManifest | undefined> {
  const dest = libraryPaths(root).videoDir(videoId);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await rename(work, dest);
      return undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      const theirs = await readVideoManifest(root, videoId);
      if (theirs) {
        await rm(work, { recursive: true, force: true });
        return theirs;
      }
      // a folder from a version before manifests: not whole for sure; take its place
      await rm(dest, { recursive: true, force: true });
    }
  }
  throw new Error(`could not move video ${videoId} into the library`);
}

async function plan(src: Source, root: string, clipSeconds: number, opts: Pick<IngestOptions, 'fetchUrl'>, downloads: string): Promise<Planned | string> {
  let path: string;
  if (src.kind === 'url') {
    if (!opts.fetchUrl) return 'downloading links is not available';
    path = await opts.fetchUrl(src.url, downloads);
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

async function buildVideo(
  p: Planned,
  root: string,
  work: string,
  clipSeconds: number,
  pool: WorkerPool<ExtractTask, ExtractResult>,
  onClip: () => void,
  signal: AbortSignal | undefined,
  cnn: { name: CnnName; engine: Engine },
  extractors: { audio: ExtractorInfo; visual: ExtractorInfo },
): Promise<VideoManifest> {
  const { nativeSize: CNN_NATIVE_SIZE, dim: CNN_DIM } = CNNS[cnn.name];
  const paths = libraryPaths(root);
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
  const clips = p.windows.map((w, i) => ({
    clipId: clipIdFor(p.videoId, w.index),
    videoId: p.videoId,
    index: w.index,
    start: w.start,
    duration: w.duration,
    hasAudio: results[i]!.audio !== null,
    videoPath: relative(root, join(dest, `${clipFileStem(w.index)}.mp4`)),
    audioPath: p.video.hasAudio ? relative(root, join(dest, `${clipFileStem(w.index)}.wav`)) : '',
  }));
  const manifest: VideoManifest = { format: 1, video: p.video, clipSeconds, extractors, clips };
  // written last: a folder with a manifest is whole
  await writeFile(join(work, VIDEO_MANIFEST), JSON.stringify(manifest));
  return (await placeVideo(root, work, p.videoId)) ?? manifest;
}

/** One video's outcome, as the library queue reports it (src/library/ops.types.ts). */
export interface VideoOutcome {
  status: 'added' | 'present' | 'skipped';
  videoId?: string;
  source: string;
  title: string;
  clips: number;
  seconds: number;
  reason?: string;
}

/**
 * Ingests videos into one library, one at a time, with one pool of feature-extraction threads kept
 * between videos: the CLI's batch and a worker's stream of ingest jobs run the same code.
 */
export class Ingester {
  private pool?: WorkerPool<ExtractTask, ExtractResult>;
  private cnn?: { name: CnnName; engine: Engine };
  private readonly downloads: string;

  private constructor(
    readonly root: string,
    readonly catalog: Catalog,
    readonly clipSeconds: number,
    private readonly cnnName: CnnName,
    private readonly opts: Pick<IngestOptions, 'threads' | 'fetchUrl' | 'visual' | 'engine'>,
  ) {
    this.downloads = join(libraryPaths(root).tmpDir, `downloads.${writerTag()}`);
  }

  /** Checks the library's clip length (the first writer's holds), sweeps dead writers' leftovers. */
  static async open(root: string, catalog: Catalog, opts: Pick<IngestOptions, 'clipSeconds' | 'threads' | 'fetchUrl' | 'visual' | 'engine'> = {}): Promise<Ingester> {
    const clipSeconds = opts.clipSeconds ?? DEFAULT_CLIP_SECONDS;
    if (!(clipSeconds >= 1 && clipSeconds <= 60)) throw new UserError('BAD_INPUT', '--clip-seconds must be between 1 and 60');
    const held = await catalog.claimMeta('clip_seconds', String(clipSeconds));
    if (Number(held) !== clipSeconds) {
      throw new UserError('BAD_INPUT', `this library holds ${held}-s clips; use --clip-seconds ${held} or another library`);
    }
    // --visual against a library of another network is refused here, before any work
    const cnn = await chooseLibraryCnn(catalog, opts.visual);
    await sweepLibrary(catalog, root);
    return new Ingester(root, catalog, clipSeconds, cnn, opts);
  }

  /** Probes a source (downloading a link first): what would be built, or why it cannot be. */
  plan(src: Source): Promise<Planned | string> {
    return plan(src, this.root, this.clipSeconds, this.opts, this.downloads);
  }

  private async engine(): Promise<{ name: CnnName; engine: Engine }> {
    if (!this.cnn) {
      // The engine is decided (and logged) once; every thread uses the same.
      this.cnn = { name: this.cnnName, engine: this.opts.engine ?? (await resolveEngine()) };
    }
    return this.cnn;
  }

  /** Builds and commits one planned video; 'present' when another writer committed it first. */
  async build(p: Planned, onClip: () => void = () => undefined, signal?: AbortSignal): Promise<VideoOutcome> {
    const cnn = await this.engine();
    this.pool ??= new WorkerPool<ExtractTask, ExtractResult>(WORKER_ENTRY, this.opts.threads ?? 0);
    const extractors = { audio: audioExtractor.info, visual: rawVisualInfo(cnn.name) };
    const work = libraryPaths(this.root).workDir(p.videoId, writerTag());
    try {
      const m = await buildVideo(p, this.root, work, this.clipSeconds, this.pool, onClip, signal, cnn, extractors);
      const status = await commitVideo(this.catalog, m);
      const seconds = m.clips.reduce((s, c) => s + c.duration, 0);
      return { status, videoId: p.videoId, source: p.source, title: p.video.title, clips: m.clips.length, seconds };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** One source from start to end, as an ingest job does it. */
  async ingestOne(src: Source, progress: ProgressFn = noProgress, signal?: AbortSignal): Promise<VideoOutcome> {
    const name = sourceName(src);
    progress('probe', 0, 1);
    let p: Planned | string;
    try {
      p = await this.plan(src);
    } catch (err) {
      if (signal?.aborted) throw new UserError('CANCELLED', 'ingest cancelled');
      p = err instanceof Error ? err.message : String(err);
    }
    progress('probe', 1, 1);
    if (typeof p === 'string') {
      await this.catalog.recordSkip(name, p);
      return { status: 'skipped', source: name, title: basename(name), clips: 0, seconds: 0, reason: p };
    }
    if (await this.catalog.hasVideo(p.videoId)) return { status: 'present', videoId: p.videoId, source: name, title: p.video.title, clips: 0, seconds: 0 };
    let done = 0;
    progress('clips', 0, p.windows.length);
    return this.build(p, () => progress('clips', ++done, p.windows.length), signal);
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
    await rm(this.downloads, { recursive: true, force: true }).catch(() => undefined);
    // tmp/ itself goes when no other writer is building in it (rmdir refuses a folder that is not empty)
    await rmdir(libraryPaths(this.root).tmpDir).catch(() => undefined);
  }
}

export async function ingest(opts: IngestOptions): Promise<IngestSummary> {
  const started = performance.now();
  const root = opts.libraryDir;
  const progress = opts.progress ?? noProgress;
  const sources = await expandInputs(opts.inputs);
  if (sources.length === 0) throw new UserError('BAD_INPUT', 'no video files found in the given inputs');

  const catalog = await openCatalog(root, { create: true });
  let release: (() => void) | undefined;
  let ingester: Ingester | undefined;
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
  const skip = async (source: string, reason: string) => {
    log.warn({ source, reason }, 'skipped');
    summary.skipped.push({ source, reason });
    await catalog.recordSkip(source, reason);
  };
  try {
    await mkdir(root, { recursive: true }); // a PostgreSQL catalogue does not make the folder
    release = await acquireLock(root);
    ingester = await Ingester.open(root, catalog, opts);
    // Probe everything first so the clip bar has a real total and ETA.
    const todo: Planned[] = [];
    const planned = new Set<string>();
    for (const [i, src] of sources.entries()) {
      progress('probe', i, sources.length);
      try {
        const p = await ingester.plan(src);
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
    for (const [i, p] of todo.entries()) {
      if (opts.signal?.aborted) throw new UserError('CANCELLED', 'ingest cancelled');
      progress('videos', i, todo.length);
      const before = clipsDone;
      try {
        const r = await ingester.build(p, () => progress('clips', ++clipsDone, totalClips), opts.signal);
        if (r.status === 'present') summary.alreadyPresent.push({ videoId: p.videoId, source: p.source });
        else {
          summary.added.push({ videoId: p.videoId, source: p.source, clips: r.clips, seconds: r.seconds });
          summary.clipsAdded += r.clips;
          summary.secondsAdded += r.seconds;
        }
      } catch (err) {
        clipsDone = before + p.windows.length;
        progress('clips', clipsDone, totalClips);
        if (opts.signal?.aborted) throw new UserError('CANCELLED', 'ingest cancelled');
        await skip(p.source, err instanceof Error ? err.message : String(err));
      }
    }
    progress('videos', todo.length, todo.length);
    summary.pca = await refitVisualPcaIfNeeded(catalog, root, { force: opts.refitPca ?? false, progress });
  } finally {
    await ingester?.close();
    const totals = await catalog.stats();
    summary.library_totals = { videos: totals.videos, clips: totals.clips, seconds: totals.seconds };
    await catalog.close();
    release?.();
  }
  summary.wallSeconds = (performance.now() - started) / 1000;
  summary.realtimeX = summary.wallSeconds > 0 ? summary.secondsAdded / summary.wallSeconds : 0;
  return summary;
}
