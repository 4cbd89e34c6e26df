// Where things live inside a library folder. A video's clips and feature matrices share one folder that
// appears by an atomic rename only when the whole video is done, so a crash never leaves half a video.
import { join } from 'node:path';

export const libraryPaths = (root: string) => ({
  root,
  catalog: join(root, 'catalog.sqlite'),
  videosDir: join(root, 'videos'),
  tmpDir: join(root, 'tmp'),
  pca: join(root, 'visual-pca.json'),
  videoDir: (videoId: string) => join(root, 'videos', videoId),
  /** a writer's own build folder for a video: host, pid and a random tag, so writers never share one */
  workDir: (videoId: string, owner: string) => join(root, 'tmp', `${videoId}.${owner}`),
  /** the manifest a finished video folder carries: its catalogue records, written before the rename */
  videoManifest: (videoId: string) => join(root, 'videos', videoId, VIDEO_MANIFEST),
});

export const VIDEO_MANIFEST = 'video.json';

/** Per-video feature matrices, float32 little-endian, clip-major then second-major. */
export const FEATURE_FILES = {
  audio: 'audio.f32',
  cnn: 'cnn.f32',
  cues: 'cues.f32',
} as const;

export const clipFileStem = (index: number): string => `clip-${String(index).padStart(4, '0')}`;
export const clipIdFor = (videoId: string, index: number): string => `${videoId}-${String(index).padStart(4, '0')}`;
