// What a library-queue worker does for one job (the port is ops.types.ts): add one video (a file on the
// shared library mount, or a link fetched with the same address checks as songs and remuxed through the
// untrusted-media guard; uploads the bot stored arrive as files the processor made the same way),
// answer stats, remove videos. Removal takes a video out of the catalogue first (new indexes leave it
// out), then moves its folder to trash/, emptied an hour later, so a render already using the old index
// still finds its clip files.
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../core/errors.js';
import type { ProgressFn } from '../core/types.js';
import { childLogger } from '../log.js';
import type { Catalog } from './catalog.js';
import { footageStats } from './footage-store.js';
import { Ingester, writerTag, type VideoOutcome } from './ingest.js';
import type { IngestOptions } from './ingest.js';
import { libraryPaths } from './layout.js';
import { remuxUntrustedVideo } from '../media/untrusted-video.js';
import type { AddVideoResult, LibraryOps, LibraryStatsView, RemoveResult, VideoSource } from './ops.types.js';

const log = childLogger({ module: 'library-ops' });
const TRASH_KEEP_MS = 3600 * 1000;

export interface LibraryOpsDeps {
  root: string;
  catalog: Catalog;
  /** feature threads, CNN engine, clip length of a new library */
  ingest?: Pick<IngestOptions, 'threads' | 'engine' | 'clipSeconds' | 'visual'>;
  /** downloads a link or attachment to a file in `dir` with the address checks (src/media/fetch.ts) */
  fetchVideo: (url: string, dir: string, signal?: AbortSignal) => Promise<string>;
  /** the index version workers load now */
  indexVersion?: () => Promise<number | undefined>;
  /** called after the clip set changed (an index job is due) */
  onChanged?: () => Promise<void>;
}

const toResult = (o: VideoOutcome): AddVideoResult => ({
  status: o.status,
  ...(o.videoId ? { videoId: o.videoId } : {}),
  title: o.title,
  clips: o.clips,
  seconds: Math.round(o.seconds * 1000) / 1000,
  ...(o.reason ? { reason: o.reason } : {}),
});

export interface OpenLibraryOps extends LibraryOps {
  close(): Promise<void>;
}

export function makeLibraryOps(deps: LibraryOpsDeps): OpenLibraryOps {
  let ingester: Promise<Ingester> | undefined;
  const getIngester = () => {
    // links and chat uploads are untrusted: read once through the song path's guard into a file of our own
    ingester ??= Ingester.open(deps.root, deps.catalog, {
      ...deps.ingest,
      fetchUrl: async (url, dir) => {
        const raw = await deps.fetchVideo(url, dir);
        const safe = await remuxUntrustedVideo(raw, `${raw}.safe.mkv`);
        await rm(raw, { force: true });
        return safe;
      },
    });
    ingester.catch(() => (ingester = undefined));
    return ingester;
  };
  const changed = async () => {
    await deps.onChanged?.().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not schedule the index job'));
  };
  return {
    async addVideo(source: VideoSource, opts: { progress?: ProgressFn; signal?: AbortSignal; batchId?: string }): Promise<AddVideoResult> {
      const ing = await getIngester();
      const progress = opts.progress ?? (() => undefined);
      let outcome: VideoOutcome;
      if (source.kind === 'file') outcome = await ing.ingestOne({ kind: 'file', path: source.path }, progress, opts.signal);
      else if (source.kind === 'blob') {
        // the library processor turns bytes the bot stored into a (remuxed) file before it calls the ops
        throw new Error('a stored upload reached the library ops; the processor hands it over as a file');
      } else {
        progress('download', 0, 1);
        outcome = await ing.ingestOne({ kind: 'url', url: source.url }, progress, opts.signal);
        if (source.kind === 'attachment' && outcome.status === 'skipped') outcome = { ...outcome, title: source.name };
      }
      if (outcome.status === 'added') await changed();
      return toResult(outcome);
    },

    async stats(): Promise<LibraryStatsView> {
      const s = await deps.catalog.stats();
      const f = await footageStats(deps.root, (await deps.catalog.videos()).map((v) => v.videoId));
      const indexVersion = await deps.indexVersion?.();
      return { videos: s.videos, clips: s.clips, seconds: s.seconds, flaggedSeconds: f.flaggedSeconds, skipped: s.skipped, ...(indexVersion !== undefined ? { indexVersion } : {}) };
    },

    async remove(ref: string): Promise<RemoveResult> {
      const want = ref.trim();
      if (!want) throw new UserError('BAD_INPUT', 'name the video to remove (its id or its title)');
      const videos = await deps.catalog.videos();
      const lower = want.toLowerCase();
      let hits = videos.filter((v) => v.videoId === want);
      if (hits.length === 0 && want.length >= 8) hits = videos.filter((v) => v.videoId.startsWith(want));
      if (hits.length === 0) hits = videos.filter((v) => v.title.toLowerCase() === lower);
      if (hits.length === 0) throw new UserError('BAD_INPUT', `no video "${want}" in the library (library stats lists them)`);
      const removed: RemoveResult['removed'] = [];
      const paths = libraryPaths(deps.root);
      const trash = join(deps.root, 'trash');
      await mkdir(trash, { recursive: true });
      for (const v of hits) {
        const clips = await deps.catalog.clipsOf(v.videoId);
        if (!(await deps.catalog.removeVideo(v.videoId))) continue;
        await rename(paths.videoDir(v.videoId), join(trash, `${Date.now()}-${v.videoId}.${writerTag()}`)).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
        removed.push({ videoId: v.videoId, title: v.title, clips: clips.length, seconds: Math.round(clips.reduce((s, c) => s + c.duration, 0) * 1000) / 1000 });
      }
      await emptyTrash(trash);
      if (removed.length) await changed();
      return { removed };
    },

    async close(): Promise<void> {
      if (ingester) await (await ingester.catch(() => undefined))?.close();
    },
  };
}

/** Removes folders that went to the trash (the time leads their name) more than an hour ago. */
async function emptyTrash(trash: string): Promise<void> {
  for (const name of await readdir(trash).catch(() => [] as string[])) {
    const at = Number(/^(\d+)-/.exec(name)?.[1] ?? '0');
    if (Date.now() - at > TRASH_KEEP_MS) await rm(join(trash, name), { recursive: true, force: true });
  }
}
