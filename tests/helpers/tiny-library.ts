// An in-memory library of 12 ten-second lavfi clips from 4 "videos": real clip files, a real vector index
// and the real cold-start embedder (each clip's index vector is the embedding of its own soundtrack).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ClipRecord } from '../../src/core/types.js';
import { audioExtractor } from '../../src/features/audio/index.js';
import { createIndex } from '../../src/index/vector-index.js';
import { decodePcm } from '../../src/media/ffmpeg.js';
import { coldStartEmbedder, type Embedder } from '../../src/model/embedder.js';
import type { LibraryContext } from '../../src/services/match.service.js';
import { makeVideo } from './media.js';

const SOURCES = ['testsrc2', 'mandelbrot', 'rgbtestsrc', 'smptebars'];

export async function buildTinyLibrary(root: string): Promise<LibraryContext> {
  const embedder = coldStartEmbedder();
  const clips: ClipRecord[] = [];
  mkdirSync(join(root, 'clips'), { recursive: true });
  SOURCES.forEach((source, v) => {
    for (let i = 0; i < 3; i++) {
      const rel = join('clips', `${source}-${i}.mp4`);
      makeVideo(join(root, rel), { seconds: 10, source, vf: `hue=h=${i * 90}`, audio: `sine=frequency=${200 + 150 * v + 40 * i}:sample_rate=44100:duration=10` });
      clips.push({ clipId: `${source}-${i}`, videoId: `video-${source}`, index: i, start: i * 10, duration: 10, hasAudio: true, videoPath: rel, audioPath: rel });
    }
  });
  return libraryOver(root, clips, embedder);
}

/**
 * A LibraryContext over real clip files: each clip's index vector is the cold-start embedding of its own
 * soundtrack; `extra` adds or overrides members (e.g. footage knowledge).
 */
export async function libraryOver(
  root: string,
  clips: ClipRecord[],
  embedder: Embedder = coldStartEmbedder(),
  extra: Partial<LibraryContext> = {},
): Promise<LibraryContext> {
  const index = createIndex(embedder.dim, clips.length);
  for (const c of clips) {
    const pcm = await decodePcm(join(root, c.videoPath), 16000);
    index.add(embedder.embedAudio(audioExtractor.extract(pcm.subarray(0, 160_000), 16000), 1), 1);
  }
  const byId = new Map(clips.map((c, r) => [c.clipId, { c, r }]));
  const hits = (res: { indices: Int32Array; distances: Float32Array }) => Array.from(res.indices, (r, i) => ({ clipId: clips[r]!.clipId, distance: res.distances[i]! }));
  return {
    root,
    embedder,
    index: {
      size: clips.length,
      nearest: (q, k) => hits(index.search(q, k)),
      farthest: (q, k) => hits(index.farthest(q, k)),
      embeddingOf: (id) => {
        const e = byId.get(id);
        return e && index.vector(e.r);
      },
    },
    clip: (id) => byId.get(id)?.c,
    videoTitle: (videoId) => `Title of ${videoId}`,
    close: () => undefined,
    ...extra,
  };
}
