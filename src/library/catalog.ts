// The clip catalogue: videos, clips, skipped sources, ingest batches and a few library settings. Two
// backends behind one asynchronous interface: SQLite in the library folder (the embedded default,
// catalog-sqlite.ts) and PostgreSQL when DATABASE_URL is set (catalog-pg.ts), so that workers on many
// hosts share one catalogue. Feature matrices and clip files are never in it: they live under the library
// folder (layout.ts), which every host mounts. Both backends pass the same suite (tests/integration/catalog.test.ts).
import type { ClipRecord, ExtractorInfo, VideoRecord } from '../core/types.js';
import { env } from '../config.js';

export const extractorKey = (e: ExtractorInfo): string => `${e.name}@${e.version}`;

export interface CatalogVideo extends VideoRecord {
  clipSeconds: number;
  audioExtractor: string;
  visualExtractor: string;
}

export interface LibraryStats {
  videos: number;
  clips: number;
  seconds: number;
  videoSeconds: number;
  clipsWithAudio: number;
  extractors: { audio: Record<string, number>; visual: Record<string, number> };
  skipped: number;
}

/** One video of an ingest batch (`clipmatch ingest --queue`, `/library add`) as workers report it. */
export type BatchItemState = 'queued' | 'running' | 'added' | 'present' | 'skipped' | 'failed';
export const BATCH_ITEM_STATES = ['queued', 'running', 'added', 'present', 'skipped', 'failed'] as const satisfies readonly BatchItemState[];

export interface BatchItemUpdate {
  state: BatchItemState;
  /** why it was skipped or failed; the video id once known */
  detail?: string;
  clips?: number;
  seconds?: number;
}

export interface BatchSummary {
  batchId: string;
  createdAt: string;
  updatedAt: string;
  total: number;
  counts: Record<BatchItemState, number>;
  clips: number;
  seconds: number;
  /** skipped and failed items with their reasons */
  problems: Array<{ source: string; state: 'skipped' | 'failed'; reason: string }>;
}

export interface Catalog {
  readonly backend: 'sqlite' | 'postgres';
  /** the library folder: clip paths in the catalogue are relative to it */
  readonly root: string;
  close(): Promise<void>;
  hasVideo(videoId: string): Promise<boolean>;
  /**
   * Adds a finished video and all its clips in one transaction: all or nothing. 'present' when the video
   * is already there (another writer got it first): nothing is changed then.
   */
  addVideo(video: VideoRecord, clipSeconds: number, extractors: { audio: ExtractorInfo; visual: ExtractorInfo }, clips: ClipRecord[]): Promise<'added' | 'present'>;
  /** false when there was no such video */
  removeVideo(videoId: string): Promise<boolean>;
  recordSkip(source: string, reason: string): Promise<void>;
  skipped(): Promise<Array<{ source: string; reason: string }>>;
  videos(): Promise<CatalogVideo[]>;
  getVideo(videoId: string): Promise<CatalogVideo | undefined>;
  /** Every clip, ordered by video then index: the row order of every feature matrix built from it. */
  clips(): Promise<ClipRecord[]>;
  /** Every clip id in the order of clips(), without the rest of the records. */
  clipIds(): Promise<string[]>;
  clipsOf(videoId: string): Promise<ClipRecord[]>;
  getClip(clipId: string): Promise<ClipRecord | undefined>;
  /** The clips of those ids that exist, by id (one query). */
  getClips(clipIds: readonly string[]): Promise<Map<string, ClipRecord>>;
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  /** Sets the value unless one is there, and answers the value that holds now (first writer wins). */
  claimMeta(key: string, value: string): Promise<string>;
  /** Increases on every change of the clip set: indexes built at another generation are stale. */
  generation(): Promise<number>;
  stats(): Promise<LibraryStats>;
  /** Records a batch and its items as queued; an item already recorded keeps its state. */
  createBatch(batchId: string, items: Array<{ itemId: string; source: string }>): Promise<void>;
  updateBatchItem(batchId: string, itemId: string, update: BatchItemUpdate): Promise<void>;
  /** Batches, newest first. */
  batches(limit?: number): Promise<BatchSummary[]>;
}

export interface OpenCatalogOptions {
  /** create the library when it does not exist */
  create?: boolean;
  /** SQLite only: open read-only (no schema changes) */
  readonly?: boolean;
  /** a PostgreSQL URL; default: DATABASE_URL from the environment; empty: SQLite */
  databaseUrl?: string;
  /** PostgreSQL schema (default: CLIPMATCH_DB_SCHEMA or "clipmatch") */
  schema?: string;
}

/** The catalogue of the library at `root`: PostgreSQL when a database URL is given or set, else SQLite. */
export async function openCatalog(root: string, opts: OpenCatalogOptions = {}): Promise<Catalog> {
  const url = opts.databaseUrl ?? env().DATABASE_URL ?? '';
  if (url) {
    const { PgCatalog } = await import('./catalog-pg.js');
    return PgCatalog.open(root, url, { create: opts.create ?? false, schema: opts.schema ?? env().CLIPMATCH_DB_SCHEMA });
  }
  const { SqliteCatalog } = await import('./catalog-sqlite.js');
  return SqliteCatalog.open(root, { create: opts.create ?? false, readonly: opts.readonly ?? false });
}

/** Runs `fn` on the catalogue of `root` and closes it, whatever happens. */
export async function withCatalog<T>(root: string, opts: OpenCatalogOptions, fn: (c: Catalog) => Promise<T>): Promise<T> {
  const c = await openCatalog(root, opts);
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

/** Row shapes both backends read (SQLite has 0/1 where PostgreSQL has booleans), and their records. */
export interface VideoRow {
  video_id: string;
  source: string;
  title: string;
  duration: number;
  has_audio: number;
  width: number;
  height: number;
  fps: number;
  clip_seconds: number;
  audio_extractor: string;
  visual_extractor: string;
}
export interface ClipRow {
  clip_id: string;
  video_id: string;
  idx: number;
  start: number;
  duration: number;
  has_audio: number;
  video_path: string;
  audio_path: string;
}

export const toVideo = (r: VideoRow | (Omit<VideoRow, 'has_audio'> & { has_audio: boolean })): CatalogVideo => ({
  videoId: r.video_id,
  source: r.source,
  title: r.title,
  duration: Number(r.duration),
  hasAudio: r.has_audio === 1 || r.has_audio === true,
  width: Number(r.width),
  height: Number(r.height),
  fps: Number(r.fps),
  clipSeconds: Number(r.clip_seconds),
  audioExtractor: r.audio_extractor,
  visualExtractor: r.visual_extractor,
});
export const toClip = (r: ClipRow | (Omit<ClipRow, 'has_audio'> & { has_audio: boolean })): ClipRecord => ({
  clipId: r.clip_id,
  videoId: r.video_id,
  index: Number(r.idx),
  start: Number(r.start),
  duration: Number(r.duration),
  hasAudio: r.has_audio === 1 || r.has_audio === true,
  videoPath: r.video_path,
  audioPath: r.audio_path,
});

/** Shared by both backends: batch rows folded into summaries. */
export interface BatchRow {
  batch_id: string;
  created_at: string;
  item_id: string;
  source: string;
  state: BatchItemState;
  detail: string | null;
  clips: number;
  seconds: number;
  updated_at: string;
}

export function summariseBatches(rows: BatchRow[]): BatchSummary[] {
  const by = new Map<string, BatchSummary>();
  for (const r of rows) {
    let b = by.get(r.batch_id);
    if (!b) {
      b = {
        batchId: r.batch_id,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
        total: 0,
        counts: Object.fromEntries(BATCH_ITEM_STATES.map((s) => [s, 0])) as Record<BatchItemState, number>,
        clips: 0,
        seconds: 0,
        problems: [],
      };
      by.set(r.batch_id, b);
    }
    b.total++;
    b.counts[r.state]++;
    b.clips += Number(r.clips);
    b.seconds += Number(r.seconds);
    if (r.updated_at > b.updatedAt) b.updatedAt = r.updated_at;
    if (r.state === 'skipped' || r.state === 'failed') b.problems.push({ source: r.source, state: r.state, reason: r.detail ?? '' });
  }
  return [...by.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.batchId < b.batchId ? 1 : -1));
}
