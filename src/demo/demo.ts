// npm run demo: the whole product in one command, on this machine alone. Builds a small library from
// generated footage (and real Creative Commons footage from Debian where apt is present), trains a model,
// prints its Recall@K beside the random baseline, renders a music video for a song that is not in the
// library and the contact sheet of its closest and farthest clips. Re-running reuses what is built.
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { noProgress, type ProgressFn } from '../core/types.js';
import type { MatchResult, VisualizeResult } from '../core/visualize.types.js';
import { ingest, type IngestSummary } from '../library/ingest.js';
import { loadDataset } from '../library/dataset.js';
import { datasetSplit, evaluateEmbedder, saveRun, trainOnDataset } from '../model/pipeline.js';
import { coldStartEmbedder } from '../model/embedder.js';
import { MANIFEST_FILE, readManifest, type ModelManifest } from '../model/manifest.js';
import type { EpochReport } from '../model/train.js';
import type { RetrievalReport } from '../core/recall.js';
import { visualize } from '../services/visualize.service.js';
import { debianFootage, generatedFootage } from './footage.js';
import { makeSynthSong } from './synth.js';

export interface DemoOptions {
  dir: string;
  modelDir: string;
  /** seconds of each generated source video */
  sourceSeconds?: number;
  songSeconds?: number;
  realFootage?: boolean;
  progress?: ProgressFn;
  log?: (line: string) => void;
  onEpoch?: (e: EpochReport) => void;
}

export interface DemoResult {
  library: string;
  model: string;
  ingest: IngestSummary;
  trained: boolean;
  recall: { gallery: number; queries: number; model: Record<string, number>; random: Record<string, number>; coldStart?: Record<string, number> } | null;
  song: string;
  video: VisualizeResult;
  match: MatchResult;
  notes: string[];
  seconds: number;
}

const DEMO_SEED = 1;

const pick = (r: RetrievalReport['audioToVideo']) => ({ r1: r.r1, r5: r.r5, r10: r.r10, r25: r.r25, medianRank: r.medianRank });

/** The model is current when it was trained on exactly the library's clips with its extractors. */
async function modelIsCurrent(modelDir: string, clipCount: number, visualVersion: string): Promise<ModelManifest | undefined> {
  if (!existsSync(join(modelDir, MANIFEST_FILE))) return undefined;
  const m = await readManifest(modelDir);
  return m.training.clips === clipCount && m.extractors.visual.version === visualVersion ? m : undefined;
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const progress = opts.progress ?? noProgress;
  const say = opts.log ?? (() => undefined);
  const dir = resolve(opts.dir);
  const media = join(dir, 'media');
  const library = join(dir, 'library');
  const out = join(dir, 'out');
  await mkdir(out, { recursive: true });
  const notes: string[] = [];

  say('1/4  footage: generated sources with sound that follows the picture' + (opts.realFootage === false ? '' : ', plus real footage from Debian'));
  const generated = await generatedFootage(join(media, 'generated'), opts.sourceSeconds ?? 80, (i, n) => progress('footage', i, n));
  const inputs = [...generated];
  if (opts.realFootage !== false) {
    const real = await debianFootage(join(media, 'debian'));
    inputs.push(...real.files);
    notes.push(...real.notes);
  }

  say('2/4  library: splitting into 10-s clips and computing audio and visual features');
  const summary = await ingest({ libraryDir: library, inputs, progress });
  say(`     ${summary.library_totals.videos} videos, ${summary.library_totals.clips} clips` + (summary.added.length ? ` (${summary.realtimeX.toFixed(1)}x real time)` : ' (already built)'));

  say('3/4  model: training the two-tower embedding on the library');
  const ds = await loadDataset(library, { audioOnly: true });
  let manifest = await modelIsCurrent(opts.modelDir, ds.clips.length, ds.extractors.visual.version);
  let recall: DemoResult['recall'] = null;
  const trained = !manifest;
  if (!manifest) {
    const run = await trainOnDataset(ds, { arch: 'two-tower', split: 'clip', seed: DEMO_SEED, epochs: 60, patience: 8, progress, ...(opts.onEpoch ? { onEpoch: opts.onEpoch } : {}) });
    manifest = await saveRun(opts.modelDir, ds, run, library);
  }
  const ev = manifest.eval as { gallery100?: RetrievalReport } | undefined;
  if (ev?.gallery100) {
    const g = ev.gallery100;
    // The untrained default on the same held-out clips, as its own row.
    const test = datasetSplit(ds, 'clip', DEMO_SEED).test;
    const cold = evaluateEmbedder(coldStartEmbedder(ds.extractors, ds.seconds), ds, test, { gallery: 100, seed: DEMO_SEED });
    recall = { gallery: g.gallery, queries: g.queries, model: pick(g.audioToVideo), random: { ...g.random }, coldStart: pick(cold.audioToVideo) };
  }

  say('4/4  music video: a demo song that is not in the library');
  const song = join(media, 'demo-song.mp3');
  if (!existsSync(song)) {
    await makeSynthSong(`${song}.part.mp3`, opts.songSeconds ?? 45);
    await rename(`${song}.part.mp3`, song);
  }
  const video = await visualize({ audioPath: song, libraryDir: library, modelDir: opts.modelDir, outPath: join(out, 'demo-video.mp4'), aspect: '16:9', maxMb: 10 }, progress);

  return {
    library,
    model: resolve(opts.modelDir),
    ingest: summary,
    trained,
    recall,
    song,
    video,
    match: { closest: video.closest, farthest: video.farthest, sheet: video.sheet, at: video.at },
    notes,
    seconds: (performance.now() - started) / 1000,
  };
}
