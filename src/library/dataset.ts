// Reads a whole library's features in bulk for training, evaluation and indexing: per video one read of
// each binary matrix, then the library's visual projection applied.
import { join } from 'node:path';
import { FEATURE_DIM, type ClipRecord } from '../core/types.js';
import { UserError } from '../core/errors.js';
import { CUE_DIM } from '../features/visual/cues.js';
import { extractorKey, openCatalog } from './catalog.js';
import type { Dataset } from './dataset.types.js';
import { FEATURE_FILES, libraryPaths } from './layout.js';
import { loadProjection, projectVisual, readF32 } from './pca-store.js';
import { rawVisualInfo } from '../features/visual/extractors.js';
import type { VisualProjection } from './pca-store.js';

export interface LoadDatasetOptions {
  /** keep only clips that have an audio track (training pairs) */
  audioOnly?: boolean;
  /**
   * project the stored raw CNN features with this basis (a model's own) instead of the library's; the
   * library then needs no projection of its own, only raw features from the same CNN and cues
   */
  basis?: VisualProjection;
}

export async function loadDataset(libraryDir: string, opts: LoadDatasetOptions = {}): Promise<Dataset> {
  const catalog = await openCatalog(libraryDir, { readonly: true });
  try {
    const videos = await catalog.videos();
    if (videos.length === 0) throw new UserError('NO_LIBRARY', `the library at ${libraryDir} has no clips yet (run clipmatch ingest)`);
    const proj = opts.basis ?? (await loadProjection(libraryDir));
    if (!proj) throw new UserError('NO_LIBRARY', `the library at ${libraryDir} has no visual projection yet (run clipmatch ingest --refit-pca)`);
    const rawKey = extractorKey(rawVisualInfo(proj.cnn));
    const foreign = videos.find((v) => v.visualExtractor !== rawKey);
    if (foreign) {
      throw new UserError('INCOMPATIBLE', `video ${foreign.title || foreign.videoId} of ${libraryDir} has visual features from ${foreign.visualExtractor}, not ${rawKey}; re-ingest it`);
    }
    const seconds = Math.ceil(Number((await catalog.getMeta('clip_seconds')) ?? '10'));
    const audioKeys = new Set(videos.map((v) => v.audioExtractor));
    if (audioKeys.size > 1) {
      throw new UserError('INCOMPATIBLE', `the library mixes audio extractors (${[...audioKeys].join(', ')}); re-ingest it with one`);
    }
    const [audioName = '', audioVersion = ''] = [...audioKeys][0]!.split('@');
    const dim = seconds * FEATURE_DIM;
    const all = await catalog.clips();
    const clips: ClipRecord[] = opts.audioOnly ? all.filter((c) => c.hasAudio) : all;
    const audio = new Float32Array(clips.length * dim);
    const visual = new Float32Array(clips.length * dim);
    const byVideo = new Map<string, ClipRecord[]>();
    for (const c of clips) byVideo.set(c.videoId, [...(byVideo.get(c.videoId) ?? []), c]);
    const ordered: ClipRecord[] = [];
    let row = 0;
    for (const v of videos) {
      const own = byVideo.get(v.videoId);
      if (!own) continue;
      const dir = libraryPaths(libraryDir).videoDir(v.videoId);
      const a = await readF32(join(dir, FEATURE_FILES.audio));
      const cnn = await readF32(join(dir, FEATURE_FILES.cnn));
      const cues = await readF32(join(dir, FEATURE_FILES.cues));
      const rows = cues.length / CUE_DIM;
      if (cnn.length !== rows * proj.pca.dim || a.length !== rows * FEATURE_DIM) {
        throw new Error(`feature files of video ${v.videoId} have inconsistent sizes; re-ingest it`);
      }
      const vis = projectVisual(proj, cnn, cues, rows);
      for (const c of own) {
        audio.set(a.subarray(c.index * dim, (c.index + 1) * dim), row * dim);
        visual.set(vis.subarray(c.index * dim, (c.index + 1) * dim), row * dim);
        ordered.push(c);
        row++;
      }
    }
    return { clips: ordered, seconds, dim, audio, visual, extractors: { audio: { name: audioName, version: audioVersion }, visual: proj.info }, visualBasis: proj };
  } finally {
    await catalog.close();
  }
}
