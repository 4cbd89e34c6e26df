// The embedded catalogue: SQLite (better-sqlite3, WAL) in the library folder. Writers on one host take
// turns through SQLite's own lock (busy timeout 15 s), so two worker processes can share it; for workers
// on several hosts use PostgreSQL (catalog-pg.ts): SQLite's locks are not safe over network file systems.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import type { ClipRecord, ExtractorInfo, VideoRecord } from '../core/types.js';
import { UserError } from '../core/errors.js';
import { libraryPaths } from './layout.js';
import { extractorKey, summariseBatches, toClip, toVideo, type BatchItemUpdate, type BatchRow, type BatchSummary, type Catalog, type CatalogVideo, type ClipRow, type LibraryStats, type VideoRow } from './catalog.js';

/** Migrations in order; the library's `schema_version` says how many ran. 1 is the original schema. */
const MIGRATIONS = [
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE IF NOT EXISTS videos (
     video_id TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT NOT NULL, duration REAL NOT NULL,
     has_audio INTEGER NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL, fps REAL NOT NULL,
     clip_seconds REAL NOT NULL, audio_extractor TEXT NOT NULL, visual_extractor TEXT NOT NULL, added_at TEXT NOT NULL);
   CREATE TABLE IF NOT EXISTS clips (
     clip_id TEXT PRIMARY KEY, video_id TEXT NOT NULL REFERENCES videos(video_id) ON DELETE CASCADE,
     idx INTEGER NOT NULL, start REAL NOT NULL, duration REAL NOT NULL, has_audio INTEGER NOT NULL,
     video_path TEXT NOT NULL, audio_path TEXT NOT NULL, UNIQUE (video_id, idx));
   CREATE INDEX IF NOT EXISTS clips_by_video ON clips(video_id, idx);
   CREATE TABLE IF NOT EXISTS skipped (source TEXT PRIMARY KEY, reason TEXT NOT NULL, at TEXT NOT NULL);`,
  `CREATE TABLE IF NOT EXISTS batch_items (
     batch_id TEXT NOT NULL, item_id TEXT NOT NULL, source TEXT NOT NULL, state TEXT NOT NULL,
     detail TEXT, clips INTEGER NOT NULL DEFAULT 0, seconds REAL NOT NULL DEFAULT 0,
     created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (batch_id, item_id));
   CREATE INDEX IF NOT EXISTS batch_items_by_time ON batch_items(created_at);`,
];

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export class SqliteCatalog implements Catalog {
  readonly backend = 'sqlite' as const;
  private constructor(
    readonly root: string,
    private readonly db: Database.Database,
  ) {}

  static open(root: string, { create = false, readonly = false } = {}): SqliteCatalog {
    const paths = libraryPaths(root);
    if (!existsSync(paths.catalog)) {
      if (!create) throw new UserError('NO_LIBRARY', `no clip library at ${root} (build one with: clipmatch ingest <videos> --library ${root})`);
      mkdirSync(root, { recursive: true });
    }
    const db = new Database(paths.catalog, { readonly, timeout: 15_000 });
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db);
    }
    return new SqliteCatalog(root, db);
  }

  async close(): Promise<void> {
    this.db.close();
  }

  async hasVideo(videoId: string): Promise<boolean> {
    return this.db.prepare('SELECT 1 FROM videos WHERE video_id = ?').get(videoId) !== undefined;
  }

  async addVideo(video: VideoRecord, clipSeconds: number, extractors: { audio: ExtractorInfo; visual: ExtractorInfo }, clips: ClipRecord[]): Promise<'added' | 'present'> {
    const insertVideo = this.db.prepare(
      `INSERT INTO videos (video_id, source, title, duration, has_audio, width, height, fps, clip_seconds, audio_extractor, visual_extractor, added_at)
       VALUES (@videoId, @source, @title, @duration, @hasAudio, @width, @height, @fps, @clipSeconds, @audioExtractor, @visualExtractor, @addedAt)
       ON CONFLICT (video_id) DO NOTHING`,
    );
    const insertClip = this.db.prepare(
      `INSERT INTO clips (clip_id, video_id, idx, start, duration, has_audio, video_path, audio_path)
       VALUES (@clipId, @videoId, @index, @start, @duration, @hasAudio, @videoPath, @audioPath)`,
    );
    const clearSkip = this.db.prepare('DELETE FROM skipped WHERE source = ?');
    return this.db.transaction((): 'added' | 'present' => {
      const r = insertVideo.run({
        ...video,
        hasAudio: video.hasAudio ? 1 : 0,
        clipSeconds,
        audioExtractor: extractorKey(extractors.audio),
        visualExtractor: extractorKey(extractors.visual),
        addedAt: new Date().toISOString(),
      });
      if (r.changes === 0) return 'present';
      for (const c of clips) insertClip.run({ ...c, hasAudio: c.hasAudio ? 1 : 0 });
      clearSkip.run(video.source);
      this.bumpGeneration();
      return 'added';
    }).immediate();
  }

  async removeVideo(videoId: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM clips WHERE video_id = ?').run(videoId);
      const gone = this.db.prepare('DELETE FROM videos WHERE video_id = ?').run(videoId).changes > 0;
      if (gone) this.bumpGeneration();
      return gone;
    }).immediate();
  }

  async recordSkip(source: string, reason: string): Promise<void> {
    this.db
      .prepare('INSERT INTO skipped(source, reason, at) VALUES (?, ?, ?) ON CONFLICT(source) DO UPDATE SET reason = excluded.reason, at = excluded.at')
      .run(source, reason, new Date().toISOString());
  }

  async skipped(): Promise<Array<{ source: string; reason: string }>> {
    return this.db.prepare('SELECT source, reason FROM skipped ORDER BY source').all() as Array<{ source: string; reason: string }>;
  }

  async videos(): Promise<CatalogVideo[]> {
    return (this.db.prepare('SELECT * FROM videos ORDER BY video_id').all() as VideoRow[]).map(toVideo);
  }

  async getVideo(videoId: string): Promise<CatalogVideo | undefined> {
    const r = this.db.prepare('SELECT * FROM videos WHERE video_id = ?').get(videoId) as VideoRow | undefined;
    return r && toVideo(r);
  }

  async clips(): Promise<ClipRecord[]> {
    return (this.db.prepare('SELECT * FROM clips ORDER BY video_id, idx').all() as ClipRow[]).map(toClip);
  }

  async clipIds(): Promise<string[]> {
    return this.db.prepare('SELECT clip_id FROM clips ORDER BY video_id, idx').pluck().all() as string[];
  }

  async clipsOf(videoId: string): Promise<ClipRecord[]> {
    return (this.db.prepare('SELECT * FROM clips WHERE video_id = ? ORDER BY idx').all(videoId) as ClipRow[]).map(toClip);
  }

  async getClip(clipId: string): Promise<ClipRecord | undefined> {
    const r = this.db.prepare('SELECT * FROM clips WHERE clip_id = ?').get(clipId) as ClipRow | undefined;
    return r && toClip(r);
  }

  async getClips(clipIds: readonly string[]): Promise<Map<string, ClipRecord>> {
    const out = new Map<string, ClipRecord>();
    const q = this.db.prepare('SELECT * FROM clips WHERE clip_id IN (SELECT value FROM json_each(?))');
    for (let i = 0; i < clipIds.length; i += 500) {
      for (const r of q.all(JSON.stringify(clipIds.slice(i, i + 500))) as ClipRow[]) out.set(r.clip_id, toClip(r));
    }
    return out;
  }

  async getMeta(key: string): Promise<string | undefined> {
    return this.meta(key);
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  async claimMeta(key: string, value: string): Promise<string> {
    return this.db.transaction(() => {
      this.db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING').run(key, value);
      return this.meta(key)!;
    }).immediate();
  }

  async generation(): Promise<number> {
    return Number(this.meta('generation') ?? '0');
  }

  private meta(key: string): string | undefined {
    const r = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return r?.value;
  }

  private bumpGeneration(): void {
    this.db
      .prepare("INSERT INTO meta(key, value) VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)")
      .run();
  }

  async stats(): Promise<LibraryStats> {
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
      seconds: round3(c.s),
      videoSeconds: round3(v.s),
      clipsWithAudio: c.a,
      extractors: { audio: count('audio_extractor'), visual: count('visual_extractor') },
      skipped,
    };
  }

  async createBatch(batchId: string, items: Array<{ itemId: string; source: string }>): Promise<void> {
    const now = new Date().toISOString();
    const ins = this.db.prepare(
      `INSERT INTO batch_items (batch_id, item_id, source, state, created_at, updated_at) VALUES (?, ?, ?, 'queued', ?, ?)
       ON CONFLICT (batch_id, item_id) DO NOTHING`,
    );
    this.db.transaction(() => {
      for (const it of items) ins.run(batchId, it.itemId, it.source, now, now);
    }).immediate();
  }

  async updateBatchItem(batchId: string, itemId: string, u: BatchItemUpdate): Promise<void> {
    this.db
      .prepare('UPDATE batch_items SET state = ?, detail = ?, clips = ?, seconds = ?, updated_at = ? WHERE batch_id = ? AND item_id = ?')
      .run(u.state, u.detail ?? null, u.clips ?? 0, u.seconds ?? 0, new Date().toISOString(), batchId, itemId);
  }

  async batches(limit = 20): Promise<BatchSummary[]> {
    const rows = this.db
      .prepare(
        `SELECT b.* FROM batch_items b JOIN (SELECT batch_id, MIN(created_at) AS c FROM batch_items GROUP BY batch_id ORDER BY c DESC LIMIT ?) k
         USING (batch_id) ORDER BY b.created_at, b.item_id`,
      )
      .all(limit) as BatchRow[];
    return summariseBatches(rows);
  }
}

function migrate(db: Database.Database): void {
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
    const have = Number(row?.value ?? '0');
    if (have > MIGRATIONS.length) {
      throw new UserError('INCOMPATIBLE', `the catalogue's schema is version ${have}, newer than this clipmatch (${MIGRATIONS.length}); upgrade clipmatch`);
    }
    for (let v = have; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.prepare("INSERT INTO meta(key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(MIGRATIONS.length));
  }).immediate();
}
