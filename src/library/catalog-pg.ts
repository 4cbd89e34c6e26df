// The shared catalogue: PostgreSQL (node-postgres), for workers on many hosts. Same interface and the
// same tests as the SQLite one (catalog-sqlite.ts). A video and its clips are added in one transaction,
// and a video another writer added first is answered 'present' (ON CONFLICT DO NOTHING), so every video
// appears whole, once. Migrations run under an advisory lock, so workers starting together migrate once.
import pg from 'pg';
import type { ClipRecord, ExtractorInfo, VideoRecord } from '../core/types.js';
import { UserError } from '../core/errors.js';
import { extractorKey, summariseBatches, toClip, toVideo, type BatchItemUpdate, type BatchRow, type BatchSummary, type Catalog, type CatalogVideo, type LibraryStats } from './catalog.js';

const MIGRATIONS = [
  `CREATE TABLE IF NOT EXISTS videos (
     video_id TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT NOT NULL, duration DOUBLE PRECISION NOT NULL,
     has_audio BOOLEAN NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL, fps DOUBLE PRECISION NOT NULL,
     clip_seconds DOUBLE PRECISION NOT NULL, audio_extractor TEXT NOT NULL, visual_extractor TEXT NOT NULL,
     added_at TIMESTAMPTZ NOT NULL DEFAULT now());
   CREATE TABLE IF NOT EXISTS clips (
     clip_id TEXT PRIMARY KEY, video_id TEXT NOT NULL REFERENCES videos(video_id) ON DELETE CASCADE,
     idx INTEGER NOT NULL, start DOUBLE PRECISION NOT NULL, duration DOUBLE PRECISION NOT NULL,
     has_audio BOOLEAN NOT NULL, video_path TEXT NOT NULL, audio_path TEXT NOT NULL, UNIQUE (video_id, idx));
   CREATE TABLE IF NOT EXISTS skipped (source TEXT PRIMARY KEY, reason TEXT NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT now());`,
  `CREATE TABLE IF NOT EXISTS batch_items (
     batch_id TEXT NOT NULL, item_id TEXT NOT NULL, source TEXT NOT NULL, state TEXT NOT NULL,
     detail TEXT, clips INTEGER NOT NULL DEFAULT 0, seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
     created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (batch_id, item_id));
   CREATE INDEX IF NOT EXISTS batch_items_by_time ON batch_items(created_at);`,
];

/** Any 64-bit number: only clipmatch takes this advisory lock. */
const MIGRATION_LOCK = 7_316_420_991;

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

export class PgCatalog implements Catalog {
  readonly backend = 'postgres' as const;
  private constructor(
    readonly root: string,
    private readonly pool: pg.Pool,
  ) {}

  static async open(root: string, url: string, { create = false, schema = 'clipmatch' } = {}): Promise<PgCatalog> {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) throw new UserError('BAD_INPUT', `CLIPMATCH_DB_SCHEMA must be a plain identifier, not "${schema}"`);
    const pool = new pg.Pool({ connectionString: url, max: 4, options: `-c search_path=${schema}` });
    // an idle client's error (the server restarted) must not take the process down; the next query reconnects
    pool.on('error', () => undefined);
    try {
      const exists = (await pool.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [`${schema}.meta`])).rows[0]?.t;
      if (!exists && !create) throw new UserError('NO_LIBRARY', `no clip library in the database's schema ${schema} yet (build one with: clipmatch ingest <videos>)`);
      await migrate(pool, schema);
    } catch (err) {
      await pool.end();
      if (err instanceof UserError) throw err;
      throw new UserError('UNREACHABLE', `the catalogue database (DATABASE_URL) cannot be used: ${(err as Error).message}`);
    }
    return new PgCatalog(root, pool);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  async hasVideo(videoId: string): Promise<boolean> {
    return (await this.pool.query('SELECT 1 FROM videos WHERE video_id = $1', [videoId])).rowCount! > 0;
  }

  async addVideo(video: VideoRecord, clipSeconds: number, extractors: { audio: ExtractorInfo; visual: ExtractorInfo }, clips: ClipRecord[]): Promise<'added' | 'present'> {
    return this.tx(async (c) => {
      const r = await c.query(
        `INSERT INTO videos (video_id, source, title, duration, has_audio, width, height, fps, clip_seconds, audio_extractor, visual_extractor)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (video_id) DO NOTHING`,
        [video.videoId, video.source, video.title, video.duration, video.hasAudio, video.width, video.height, video.fps, clipSeconds, extractorKey(extractors.audio), extractorKey(extractors.visual)],
      );
      if (r.rowCount === 0) return 'present';
      await c.query(
        `INSERT INTO clips (clip_id, video_id, idx, start, duration, has_audio, video_path, audio_path)
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::float8[], $5::float8[], $6::bool[], $7::text[], $8::text[])`,
        [
          clips.map((x) => x.clipId),
          clips.map((x) => x.videoId),
          clips.map((x) => x.index),
          clips.map((x) => x.start),
          clips.map((x) => x.duration),
          clips.map((x) => x.hasAudio),
          clips.map((x) => x.videoPath),
          clips.map((x) => x.audioPath),
        ],
      );
      await c.query('DELETE FROM skipped WHERE source = $1', [video.source]);
      await bumpGeneration(c);
      return 'added';
    });
  }

  async removeVideo(videoId: string): Promise<boolean> {
    return this.tx(async (c) => {
      await c.query('DELETE FROM clips WHERE video_id = $1', [videoId]);
      const gone = (await c.query('DELETE FROM videos WHERE video_id = $1', [videoId])).rowCount! > 0;
      if (gone) await bumpGeneration(c);
      return gone;
    });
  }

  async recordSkip(source: string, reason: string): Promise<void> {
    await this.pool.query('INSERT INTO skipped(source, reason) VALUES ($1, $2) ON CONFLICT (source) DO UPDATE SET reason = excluded.reason, at = now()', [source, reason]);
  }

  async skipped(): Promise<Array<{ source: string; reason: string }>> {
    return (await this.pool.query<{ source: string; reason: string }>('SELECT source, reason FROM skipped ORDER BY source COLLATE "C"')).rows;
  }

  async videos(): Promise<CatalogVideo[]> {
    return (await this.pool.query('SELECT * FROM videos ORDER BY video_id COLLATE "C"')).rows.map(toVideo);
  }

  async getVideo(videoId: string): Promise<CatalogVideo | undefined> {
    const r = (await this.pool.query('SELECT * FROM videos WHERE video_id = $1', [videoId])).rows[0];
    return r && toVideo(r);
  }

  async clips(): Promise<ClipRecord[]> {
    return (await this.pool.query('SELECT * FROM clips ORDER BY video_id COLLATE "C", idx')).rows.map(toClip);
  }

  async clipIds(): Promise<string[]> {
    return (await this.pool.query({ text: 'SELECT clip_id FROM clips ORDER BY video_id COLLATE "C", idx', rowMode: 'array' })).rows.map((r: string[]) => r[0]!);
  }

  async clipsOf(videoId: string): Promise<ClipRecord[]> {
    return (await this.pool.query('SELECT * FROM clips WHERE video_id = $1 ORDER BY idx', [videoId])).rows.map(toClip);
  }

  async getClip(clipId: string): Promise<ClipRecord | undefined> {
    const r = (await this.pool.query('SELECT * FROM clips WHERE clip_id = $1', [clipId])).rows[0];
    return r && toClip(r);
  }

  async getClips(clipIds: readonly string[]): Promise<Map<string, ClipRecord>> {
    const out = new Map<string, ClipRecord>();
    if (clipIds.length === 0) return out;
    for (const r of (await this.pool.query('SELECT * FROM clips WHERE clip_id = ANY($1::text[])', [clipIds])).rows) out.set(r.clip_id, toClip(r));
    return out;
  }

  async getMeta(key: string): Promise<string | undefined> {
    return (await this.pool.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key])).rows[0]?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.pool.query('INSERT INTO meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  async claimMeta(key: string, value: string): Promise<string> {
    await this.pool.query('INSERT INTO meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value]);
    return (await this.getMeta(key))!;
  }

  async generation(): Promise<number> {
    return Number((await this.getMeta('generation')) ?? '0');
  }

  async stats(): Promise<LibraryStats> {
    const v = (await this.pool.query('SELECT COUNT(*) AS n, COALESCE(SUM(duration), 0) AS s FROM videos')).rows[0];
    const c = (await this.pool.query('SELECT COUNT(*) AS n, COALESCE(SUM(duration), 0) AS s, COUNT(*) FILTER (WHERE has_audio) AS a FROM clips')).rows[0];
    const count = async (col: 'audio_extractor' | 'visual_extractor') =>
      Object.fromEntries(
        (await this.pool.query(`SELECT ${col} AS k, COUNT(*) AS n FROM clips JOIN videos USING (video_id) GROUP BY ${col}`)).rows.map((r: { k: string; n: string }) => [r.k, Number(r.n)]),
      );
    const skipped = Number((await this.pool.query('SELECT COUNT(*) AS n FROM skipped')).rows[0].n);
    return {
      videos: Number(v.n),
      clips: Number(c.n),
      seconds: Math.round(Number(c.s) * 1000) / 1000,
      videoSeconds: Math.round(Number(v.s) * 1000) / 1000,
      clipsWithAudio: Number(c.a),
      extractors: { audio: await count('audio_extractor'), visual: await count('visual_extractor') },
      skipped,
    };
  }

  async createBatch(batchId: string, items: Array<{ itemId: string; source: string }>): Promise<void> {
    if (items.length === 0) return;
    const now = new Date().toISOString();
    await this.pool.query(
      `INSERT INTO batch_items (batch_id, item_id, source, state, created_at, updated_at)
       SELECT $1, i, s, 'queued', $4, $4 FROM unnest($2::text[], $3::text[]) AS t(i, s) ON CONFLICT (batch_id, item_id) DO NOTHING`,
      [batchId, items.map((i) => i.itemId), items.map((i) => i.source), now],
    );
  }

  async updateBatchItem(batchId: string, itemId: string, u: BatchItemUpdate): Promise<void> {
    await this.pool.query('UPDATE batch_items SET state = $1, detail = $2, clips = $3, seconds = $4, updated_at = $5 WHERE batch_id = $6 AND item_id = $7', [
      u.state,
      u.detail ?? null,
      u.clips ?? 0,
      u.seconds ?? 0,
      new Date().toISOString(),
      batchId,
      itemId,
    ]);
  }

  async batches(limit = 20): Promise<BatchSummary[]> {
    const rows = (
      await this.pool.query<BatchRow>(
        `SELECT b.* FROM batch_items b JOIN (SELECT batch_id, MIN(created_at) AS c FROM batch_items GROUP BY batch_id ORDER BY c DESC LIMIT $1) k
         USING (batch_id) ORDER BY b.created_at, b.item_id COLLATE "C"`,
        [limit],
      )
    ).rows;
    return summariseBatches(rows);
  }
}

async function bumpGeneration(c: pg.PoolClient): Promise<void> {
  await c.query("INSERT INTO meta(key, value) VALUES ('generation', '1') ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text");
}

async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await c.query('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const have = Number((await c.query<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'")).rows[0]?.value ?? '0');
    if (have > MIGRATIONS.length) {
      throw new UserError('INCOMPATIBLE', `the catalogue's schema is version ${have}, newer than this clipmatch (${MIGRATIONS.length}); upgrade clipmatch`);
    }
    for (let v = have; v < MIGRATIONS.length; v++) await c.query(MIGRATIONS[v]!);
    await c.query("INSERT INTO meta(key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [String(MIGRATIONS.length)]);
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}
