// The footage files of an open library, read once per video and kept, and scanned on demand for videos
// ingested before shot detection existed (footage-store.ts). Scanning writes beside the video's features,
// so the cost is paid once per video; a library on a read-only disk still works, from memory.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClipFootage } from '../core/footage.js';
import { noProgress, type ClipRecord, type ProgressFn } from '../core/types.js';
import { childLogger } from '../log.js';
import type { Catalog } from './catalog.js';
import { FOOTAGE_FILE, clipFootage, parseFootage, scanLibraryVideo, type FootageFile } from './footage-store.js';
import { libraryPaths } from './layout.js';

const log = childLogger({ module: 'footage' });

export interface FootageAccess {
  footage(clip: Pick<ClipRecord, 'videoId' | 'index'>): ClipFootage | undefined;
  ensureFootage(videoIds: readonly string[], progress?: ProgressFn, signal?: AbortSignal): Promise<void>;
}

export function libraryFootage(root: string, catalog: Pick<Catalog, 'clipsOf'>): FootageAccess {
  const byVideo = new Map<string, Map<number, ClipFootage> | null>();
  const remember = (videoId: string, f: FootageFile | undefined) => {
    byVideo.set(videoId, f ? new Map(f.clips.map((c) => [c.index, clipFootage(c)])) : null);
  };
  const load = (videoId: string): Map<number, ClipFootage> | null => {
    if (!byVideo.has(videoId)) {
      const path = join(libraryPaths(root).videoDir(videoId), FOOTAGE_FILE);
      let f: FootageFile | undefined;
      if (existsSync(path)) {
        try {
          f = parseFootage(readFileSync(path, 'utf8'));
        } catch {
          f = undefined;
        }
      }
      remember(videoId, f);
    }
    return byVideo.get(videoId) ?? null;
  };
  return {
    footage(clip) {
      return load(clip.videoId)?.get(clip.index);
    },
    async ensureFootage(videoIds, progress = noProgress, signal) {
      const missing = [...new Set(videoIds)].filter((v) => load(v) === null);
      for (const [i, videoId] of missing.entries()) {
        progress('scan', i, missing.length);
        const clips = await catalog.clipsOf(videoId);
        if (clips.length === 0) continue;
        try {
          remember(videoId, await scanLibraryVideo(root, clips, signal));
        } catch (err) {
          if (signal?.aborted) throw err;
          // A video that cannot be scanned is used as before, without shot knowledge.
          log.warn({ videoId, err: err instanceof Error ? err.message : String(err) }, 'footage scan failed');
          remember(videoId, undefined);
        }
      }
      if (missing.length) progress('scan', missing.length, missing.length);
    },
  };
}
