// The clip catalogue: videos, clips and skipped sources in SQLite (better-sqlite3). Feature matrices are
// binary files beside the clips (see layout.ts); the catalogue only says what exists and where.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import type { ClipRecord, ExtractorInfo, VideoRecord } from '../core/types.js';
import { UserError } from '../core/errors.js';
import { libraryPaths } from './layout.js';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS videos (
  video_id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  title TEXT NOT NULL,
  duration REAL NOT NULL,
  has_audio INTEGER NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  fps REAL NOT NULL,
  clip_seconds REAL NOT NULL,
  audio_extractor TEXT NOT NULL,
  visual_extractor TEXT NOT NULL,
  added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS clips (
  clip_id TEXT PRIMARY KEY,
  video_id TEXT NOT NULL REFERENCES videos(video_id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  start REAL NOT NULL,
  duration REAL NOT NULL,
  has_audio INTEGER NOT NULL,
  video_path TEXT NOT NULL,
  audio_path TEXT NOT NULL,
  UNIQUE (video_id, idx)
);
CREATE INDEX IF NOT EXISTS clips_by_video ON clips(video_id, idx);
CREATE TABLE IF NOT EXISTS skipped (
  source TEXT PRIMARY KEY,
  reason TEXT NOT NULL,
  at TEXT NOT NULL
);
`;

interface VideoRow {
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
interface ClipRow {
  clip_id: string;
  video_id: string;
  idx: number;
  start: number;
  duration: number;
  has_audio: number;
  video_path: string;
  audio_path: string;
}

const toVideo = (r: VideoRow): VideoRecord & { clipSeconds: number; audioExtractor: string; visualExtractor: string } => ({
  videoId: r.video_id,
  source: r.source,
  title: r.title,
  duration: r.duration,
  hasAudio: r.has_audio === 1,
  width: r.width,
  height: r.height,
  fps: r.fps,
  clipSeconds: r.clip_seconds,
  audioExtractor: r.audio_extractor,
  visualExtractor: r.visual_extractor,
});
const toClip = (r: ClipRow): ClipRecord => ({
  clipId: r.clip_id,
  videoId: r.video_id,
  index: r.idx,
  start: r.start,
  duration: r.duration,
  hasAudio: r.has_audio === 1,
  videoPath: r.video_path,
  audioPath: r.audio_path,
});

export const extractorKey = (e: ExtractorInfo): string => `${e.name}@${e.version}`;

export type CatalogVideo = ReturnType<typeof toVideo>;

export interface LibraryStats {
  videos: number;
  clips: number;
  seconds: number;
  videoSeconds: number;
  clipsWithAudio: number;
  extractors: { audio: Record<string, number>; visual: Record<string, number> };
  skipped: number;
}

export class Catalog {
  private constructor(
    readonly root: string,
    private readonly db: Database.Database,
  ) {}

  /** Opens (creating with `create`) the catalogue of the library at `root`. */
  static open(root: string, { create = false, readonly = false } = {}): Catalog {
    const paths = libraryPaths(root);
    if (!existsSync(paths.catalog)) {
      if (!create) throw new UserError('NO_LIBRARY', `no clip library at ${root} (build one with: clipmatch ingest <videos> --library ${root})`);
      mkdirSync(root, { recursive: true });
    }
    const db = new Database(paths.catalog, { readonly });
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.exec(SCHEMA);
      db.prepare('INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
    }
    return new Catalog(root, db);
  }

  close(): void {
    this.db.close();
  }

  hasVideo(videoId: string): boolean {
    return this.db.prepare('SELECT 1 FROM videos WHERE video_id = ?').get(videoId) !== undefined;
  }

  /** Adds a finished video and all its clips in one transaction: all or nothing. */
  addVideo(video: VideoRecord, clipSeconds: number, extractors: { audio: ExtractorInfo; visual: ExtractorInfo }, clips: ClipRecord[]): void {
    const insertVideo = this.db.prepare(
      `INSERT INTO videos (video_id, source, title, duration, has_audio, width, height, fps, clip_seconds, audio_extractor, visual_extractor, added_at)
       VALUES (@videoId, @source, @title, @duration, @hasAudio, @width, @height, @fps, @clipSeconds, @audioExtractor, @visualExtractor, @addedAt)`,
    );
    const insertClip = this.db.prepare(
      `INSERT INTO clips (clip_id, video_id, idx, start, duration, has_audio, video_path, audio_path)
       VALUES (@clipId, @videoId, @index, @start, @duration, @hasAudio, @videoPath, @audioPath)`,
    );
    const clearSkip = this.db.prepare('DELETE FROM skipped WHERE source = ?');
    this.db.transaction(() => {
      insertVideo.run({
        ...video,
        hasAudio: video.hasAudio ? 1 : 0,
        clipSeconds,
        audioExtractor: extractorKey(extractors.audio),
        visualExtractor: extractorKey(extractors.visual),
        addedAt: new Date().toISOString(),
      });
      for (const c of clips) insertClip.run({ ...c, hasAudio: c.hasAudio ? 1 : 0 });
      clearSkip.run(video.source);
      this.bumpGeneration();
    })();
  }

  removeVideo(videoId: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM clips WHERE video_id = ?').run(videoId);
      this.db.prepare('DELETE FROM videos WHERE video_id = ?').run(videoId);
      this.bumpGeneration();
    })();
  }

  recordSkip(source: string, reason: string): void {
    this.db
      .prepare('INSERT INTO skipped(source, reason, at) VALUES (?, ?, ?) ON CONFLICT(source) DO UPDATE SET reason = excluded.reason, at = excluded.at')
      .run(source, reason, new Date().toISOString());
  }

  skipped(): Array<{ source: string; reason: string }> {
    return this.db.prepare('SELECT source, reason FROM skipped ORDER BY source').all() as Array<{ source: string; reason: string }>;
  }

  videos(): CatalogVideo[] {
    return (this.db.prepare('SELECT * FROM videos ORDER BY video_id').all() as VideoRow[]).map(toVideo);
  }

  getVideo(videoId: string): CatalogVideo | undefined {
    const r = this.db.prepare('SELECT * FROM videos WHERE video_id = ?').get(videoId) as VideoRow | undefined;
    return r && toVideo(r);
  }

  /** Every clip, ordered by video then index: the row order of every feature matrix built from it. */
  clips(): ClipRecord[] {
    return (this.db.prepare('SELECT * FROM clips ORDER BY video_id, idx').all() as ClipRow[]).map(toClip);
  }

  clipsOf(videoId: string): ClipRecord[] {
    return (this.db.prepare('SELECT * FROM clips WHERE video_id = ? ORDER BY idx').all(videoId) as ClipRow[]).map(toClip);
  }

  getClip(clipId: string): ClipRecord | undefined {
    const r = this.db.prepare('SELECT * FROM clips WHERE clip_id = ?').get(clipId) as ClipRow | undefined;
    return r && toClip(r);
  }

  getMeta(key: string): string | undefined {
    const r = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return r?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Increases on every change of the clip set: indexes built at another generation are stale. */
  generation(): number {
    return Number(this.getMeta('generation') ?? '0');
  }

  private bumpGeneration(): void {
    this.setMeta('generation', String(this.generation() + 1));
  }

  stats(): LibraryStats {
    const v = this.db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(duration), 0) AS s FROM videos').get() as { n: number; s: number };
    const c = this.db
      .prepare('SELECT COUNT(*) AS n, COALESCE(SUM(duration), 0) AS s, COALESCE(SUM(has_audio), 0) AS a FROM clips')
      .get() as { n: number; s: number; a: number };
    const count = (col: 'audio_extractor' | 'visual_extractor') =>
      Object.fromEntries(
        (this.db.prepare(`SELECT ${col} AS k, COUNT(*) AS n FROM clips JOIN videos USING (video_id) GROUP BY ${col}`).all() as Array<{ k: string; n: number }>).map(
          (r) => [r.k, r.n],
        ),
      );
    const skipped = (this.db.prepare('SELECT COUNT(*) AS n FROM skipped').get() as { n: number }).n;
    return {
      videos: v.n,
      clips: c.n,
      seconds: Math.round(c.s * 1000) / 1000,
      videoSeconds: Math.round(v.s * 1000) / 1000,
      clipsWithAudio: c.a,
      extractors: { audio: count('audio_extractor'), visual: count('visual_extractor') },
      skipped,
    };
  }
}

export const openCatalog = (root: string, opts?: { create?: boolean; readonly?: boolean }): Catalog => Catalog.open(root, opts);
