// The library-wide visual projection: a PCA of the per-second CNN embeddings plus standardisation stats of
// the cues, fitted on the library and stored in it. Its fingerprint is part of the visual extractor's
// version, so a model trained on one projection refuses features made with another.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { noProgress, type ExtractorInfo, type ProgressFn } from '../core/types.js';
import { createRng, shuffle } from '../core/random.js';
import { CNNS, type CnnName } from '../features/visual/cnn.js';
import { rawVisualInfo } from '../features/visual/extractors.js';
import { libraryCnn } from './visual-cnn.js';
import { CUE_DIM } from '../features/visual/cues.js';
import { deserializePca, fitPca, serializePca, type Pca } from '../features/visual/pca.js';
import { VISUAL_PCA_DIMS } from '../features/visual/layout.js';
import { composeVisual, fitCueStats, projectCnn, visualFingerprint, visualInfo, type CueStats } from '../features/visual/index.js';
import type { Catalog } from './catalog.js';
import { FEATURE_FILES, libraryPaths } from './layout.js';

/** What ingest stores per video before the library-wide projection exists. */
export const RAW_VISUAL_INFO: ExtractorInfo = rawVisualInfo('mobilenet-v2');

/** Seconds of footage sampled for the fit: plenty for 1280 dimensions, bounded in memory and time. */
const MAX_FIT_ROWS = 20_000;
/** A first fit on fewer seconds than this is refitted once the library has doubled. */
const SMALL_FIT_ROWS = 2_000;

export interface VisualProjection {
  pca: Pca;
  cueStats: CueStats;
  rows: number;
  fingerprint: string;
  /** the frame CNN whose raw embeddings the PCA reduces */
  cnn: CnnName;
  info: ExtractorInfo;
}

interface StoredProjection {
  /** the frame CNN the PCA was fitted on; absent in libraries made before InceptionV3 was offered */
  cnn?: CnnName;
  pca: string;
  cueStats: CueStats;
  rows: number;
  fingerprint: string;
}

const pcaPath = (root: string) => libraryPaths(root).pca;

export async function readF32(path: string): Promise<Float32Array> {
  const buf = await readFile(path);
  const out = new Float32Array(buf.length / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

export async function loadProjection(root: string): Promise<VisualProjection | undefined> {
  if (!existsSync(pcaPath(root))) return undefined;
  return parseProjection(await readFile(pcaPath(root), 'utf8'));
}

/** The stored form of a projection (the library's pca.json, or a model's own copy of its basis). */
export function serializeProjection(p: VisualProjection): string {
  const stored: StoredProjection = {
    ...(p.cnn !== 'mobilenet-v2' ? { cnn: p.cnn } : {}),
    pca: serializePca(p.pca),
    cueStats: p.cueStats,
    rows: p.rows,
    fingerprint: p.fingerprint,
  };
  return JSON.stringify(stored);
}

/** Reads serializeProjection's output; throws when the numbers do not match their fingerprint. */
export function parseProjection(text: string): VisualProjection {
  const s = JSON.parse(text) as StoredProjection;
  const pca = deserializePca(s.pca);
  const cueStats: CueStats = { mean: s.cueStats.mean, std: s.cueStats.std, ...(s.cueStats.scale !== undefined ? { scale: s.cueStats.scale } : {}) };
  if (visualFingerprint(pca, cueStats) !== s.fingerprint) throw new Error('visual projection is corrupt: its fingerprint does not match its numbers');
  const cnn = s.cnn ?? 'mobilenet-v2';
  return { pca, cueStats, rows: s.rows, fingerprint: s.fingerprint, cnn, info: visualInfo(s.fingerprint, cnn) };
}

/** Rows (seconds) of real footage per clip: the zero padding past a short clip's end is left out of the fit. */
async function sampleRows(catalog: Catalog, root: string, progress: ProgressFn, cnnDim: number): Promise<{ cnn: Float32Array; cues: Float32Array; n: number; total: number }> {
  const seconds = Math.ceil(Number((await catalog.getMeta('clip_seconds')) ?? '10'));
  const videos = await catalog.videos();
  const refs: Array<{ videoId: string; row: number }> = [];
  for (const v of videos) {
    for (const c of await catalog.clipsOf(v.videoId)) {
      const real = Math.min(seconds, Math.ceil(c.duration - 1e-6));
      for (let s = 0; s < real; s++) refs.push({ videoId: v.videoId, row: c.index * seconds + s });
    }
  }
  const total = refs.length;
  // Deterministic subsample so the same library always gives the same projection.
  shuffle(refs, createRng(1234));
  const chosen = refs.slice(0, MAX_FIT_ROWS);
  const byVideo = new Map<string, number[]>();
  for (const r of chosen) {
    const list = byVideo.get(r.videoId) ?? [];
    list.push(r.row);
    byVideo.set(r.videoId, list);
  }
  const cnn = new Float32Array(chosen.length * cnnDim);
  const cues = new Float32Array(chosen.length * CUE_DIM);
  let n = 0;
  let done = 0;
  for (const [videoId, rows] of byVideo) {
    const dir = libraryPaths(root).videoDir(videoId);
    const vc = await readF32(join(dir, FEATURE_FILES.cnn));
    const vq = await readF32(join(dir, FEATURE_FILES.cues));
    for (const row of rows) {
      cnn.set(vc.subarray(row * cnnDim, (row + 1) * cnnDim), n * cnnDim);
      cues.set(vq.subarray(row * CUE_DIM, (row + 1) * CUE_DIM), n * CUE_DIM);
      n++;
    }
    progress('pca (read)', ++done, byVideo.size);
  }
  return { cnn, cues, n, total };
}

/**
 * Fits the projection when the library has none, when asked, or when the first fit was on a small
 * library that has since doubled. Otherwise keeps it, so trained models stay valid as clips are added.
 */
export async function refitVisualPcaIfNeeded(
  catalog: Catalog,
  root: string,
  { force = false, progress = noProgress }: { force?: boolean; progress?: ProgressFn } = {},
): Promise<{ refitted: boolean; fingerprint: string | null; rows: number }> {
  const current = await loadProjection(root);
  const stats = await catalog.stats();
  if (stats.clips === 0) return { refitted: false, fingerprint: current?.fingerprint ?? null, rows: current?.rows ?? 0 };
  const availableRows = Math.round(stats.seconds);
  const needed = force || !current || (current.rows < SMALL_FIT_ROWS && availableRows >= 2 * current.rows);
  if (!needed) return { refitted: false, fingerprint: current.fingerprint, rows: current.rows };

  const network = await libraryCnn(catalog);
  const { cnn, cues, n } = await sampleRows(catalog, root, progress, CNNS[network].dim);
  progress('pca (fit)', 0, 1);
  const pca = fitPca(cnn, n, CNNS[network].dim, VISUAL_PCA_DIMS, { seed: 7 });
  progress('pca (fit)', 1, 1);
  const cueStats = fitCueStats(cues, n, pca);
  const fingerprint = visualFingerprint(pca, cueStats);
  // a private temporary name: two hosts refitting at once never write into one file
  const tmp = `${pcaPath(root)}.${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, serializeProjection({ pca, cueStats, rows: n, fingerprint, cnn: network, info: visualInfo(fingerprint, network) }));
  await rename(tmp, pcaPath(root));
  await catalog.setMeta('pca_fingerprint', fingerprint);
  return { refitted: true, fingerprint, rows: n };
}

/** Turns one video's raw visual rows into 128-per-second visual descriptors. */
export function projectVisual(proj: VisualProjection, cnn: Float32Array, cues: Float32Array, rows: number): Float32Array {
  return composeVisual(projectCnn(proj.pca, cnn, rows), cues, rows, proj.cueStats);
}
