// Train-and-evaluate on a whole Dataset: the split, the validation carve-out, normalisation fitted on
// the training clips, the training loop, the test evaluation and the saved folder. The CLI, benches and
// tests call these rather than wiring the pieces themselves.
import { createHash } from 'node:crypto';
import { evaluateRetrieval, squaredDistances } from '../core/recall.js';
import type { RetrievalReport } from '../core/recall.js';
import { splitClips } from '../core/split.js';
import type { SplitMode } from '../core/split.js';
import type { ProgressFn } from '../core/types.js';
import type { Dataset } from '../library/dataset.types.js';
import { initBackend } from './backend.js';
import type { BackendName } from './backend.js';
import type { Normalisation } from './data.js';
import { chooseArch } from './auto.js';
import type { AutoChoice, Candidate } from './auto.js';
import { fitOnRows } from './fit.js';
import { embedderFromModel } from './embedder.js';
import type { Embedder } from './embedder.js';
import { saveModel } from './manifest.js';
import type { ModelManifest } from './manifest.js';
import { defaultHyper } from './models.js';
import type { Arch, Hyper } from './models.js';
import type { EpochReport, TrainResult } from './train.js';

export interface DatasetSplit {
  mode: SplitMode;
  seed: number;
  /** rows of the dataset with audio, by role */
  train: number[];
  val: number[];
  test: number[];
}

/**
 * The split every command agrees on: 80:20 by clip or by video for `seed`, then 10% of the training
 * side (same mode, seed + 1) held out for early stopping. Clips without audio cannot form pairs.
 */
export function datasetSplit(ds: Dataset, mode: SplitMode, seed: number): DatasetSplit {
  const outer = splitClips(ds.clips, { mode, seed });
  const trainClips = outer.train.map((i) => ds.clips[i] as Dataset['clips'][number]);
  const inner = trainClips.length >= 10 ? splitClips(trainClips, { mode, seed: seed + 1, testFraction: 0.1 }) : { train: trainClips.map((_, i) => i), test: [] };
  const withAudio = (rows: number[]) => rows.filter((r) => ds.clips[r]?.hasAudio);
  return {
    mode,
    seed,
    train: withAudio(inner.train.map((i) => outer.train[i] as number)),
    val: withAudio(inner.test.map((i) => outer.train[i] as number)),
    test: withAudio(outer.test),
  };
}

const rawOf = (ds: Dataset) => ({ audio: ds.audio, visual: ds.visual, dim: ds.dim, videoIds: ds.clips.map((c) => c.videoId) });

export interface EvalOptions {
  gallery: number | 'all';
  draws?: number;
  seed?: number;
  /** at most this many clips per video in a gallery (see evalOptionsFor) */
  perVideo?: number;
}

/**
 * Clips of one video allowed in a gallery on the video split. Held out by video, the test side is a
 * handful of whole videos; uncapped, one long video fills most of the gallery and its own clips, alike
 * in look and sound, decide the score.
 */
export const VIDEO_SPLIT_PER_VIDEO = 5;

/** The gallery rules of a split: capped per video on the video split, as they are on the clip split. */
export function evalOptionsFor(mode: SplitMode, gallery: number | 'all'): EvalOptions {
  return mode === 'video' ? { gallery, perVideo: VIDEO_SPLIT_PER_VIDEO } : { gallery };
}

/** Retrieval scores of an embedder over the dataset rows `rows` (raw features in, as in the product). */
export function evaluateEmbedder(embedder: Embedder, ds: Dataset, rows: readonly number[], opts: EvalOptions): RetrievalReport {
  const raw = rawOf(ds);
  const n = rows.length;
  const gather = (src: Float32Array) => {
    const out = new Float32Array(n * ds.dim);
    rows.forEach((r, i) => out.set(src.subarray(r * ds.dim, (r + 1) * ds.dim), i * ds.dim));
    return out;
  };
  const ea = embedder.embedAudio(gather(raw.audio), n);
  const ev = embedder.embedVisual(gather(raw.visual), n);
  const dist = squaredDistances(ea, n, ev, n, embedder.dim);
  return evaluateRetrieval(dist, n, rows.map((r) => raw.videoIds[r] as string), opts);
}

export interface TrainRunOptions {
  /** auto: chosen by cross-validation on the training side (auto.ts) */
  arch: Arch | 'auto';
  split: SplitMode;
  seed: number;
  epochs: number;
  patience?: number;
  /** overrides of the architecture's default hyperparameters (e.g. dropRate) */
  hyper?: Partial<Hyper>;
  onEpoch?: (e: EpochReport) => void;
  progress?: ProgressFn;
  /** candidates of --arch auto (default: autoCandidates()) */
  candidates?: Candidate[];
  log?: (line: string) => void;
}

export interface TrainRun {
  /** what --arch auto chose and why; absent for an explicit architecture */
  auto?: AutoChoice;
  split: DatasetSplit;
  norm: Normalisation;
  result: TrainResult;
  embedder: Embedder;
  backend: BackendName;
  /** test-split scores, gallery of 100 and the whole split */
  eval: { gallery100: RetrievalReport; galleryAll: RetrievalReport } | undefined;
}

export async function trainOnDataset(ds: Dataset, opts: TrainRunOptions): Promise<TrainRun> {
  const backend = await initBackend();
  const split = datasetSplit(ds, opts.split, opts.seed);
  let auto: AutoChoice | undefined;
  let hyper: Hyper;
  if (opts.arch === 'auto') {
    auto = await chooseArch(ds, [...split.train, ...split.val].sort((a, b) => a - b), {
      mode: opts.split,
      seed: opts.seed,
      epochs: opts.epochs,
      ...(opts.patience !== undefined ? { patience: opts.patience } : {}),
      ...(opts.candidates ? { candidates: opts.candidates } : {}),
      ...(opts.progress ? { progress: opts.progress } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    });
    hyper = { ...auto.hyper, ...opts.hyper };
  } else {
    hyper = { ...defaultHyper(opts.arch), ...opts.hyper, arch: opts.arch };
  }
  const { result, norm } = await fitOnRows(ds, split.train, split.val, {
    hyper,
    seed: opts.seed,
    epochs: opts.epochs,
    ...(opts.patience !== undefined ? { patience: opts.patience } : {}),
    ...(opts.onEpoch ? { onEpoch: opts.onEpoch } : {}),
    ...(opts.progress ? { progress: opts.progress } : {}),
  });
  const embedder = embedderFromModel(result.model, norm, ds.extractors, `${hyper.arch}-unsaved-${Date.now()}`);
  const evaluation =
    split.test.length >= 2
      ? {
          gallery100: evaluateEmbedder(embedder, ds, split.test, { ...evalOptionsFor(opts.split, 100), seed: opts.seed }),
          galleryAll: evaluateEmbedder(embedder, ds, split.test, { ...evalOptionsFor(opts.split, 'all'), seed: opts.seed }),
        }
      : undefined;
  return { split, norm, result, embedder, backend, eval: evaluation, ...(auto ? { auto } : {}) };
}

/** Short hash of a dataset's clip ids: tells whether a model was trained on this library. */
export const clipListHash = (ds: Pick<Dataset, 'clips'>): string => createHash('sha256').update(ds.clips.map((c) => c.clipId).join('\n')).digest('hex').slice(0, 16);

/** Writes a finished run to `dir` with its training summary and test scores. */
export async function saveRun(dir: string, ds: Dataset, run: TrainRun, libraryDir?: string): Promise<ModelManifest> {
  const { result, split } = run;
  const clipIds = clipListHash(ds);
  return saveModel(dir, result.model, {
    extractors: ds.extractors,
    norm: run.norm,
    training: {
      ...(libraryDir ? { library: libraryDir } : {}),
      clips: ds.clips.length,
      videos: new Set(ds.clips.map((c) => c.videoId)).size,
      clipListHash: clipIds,
      split: split.mode,
      seed: split.seed,
      trainClips: split.train.length,
      valClips: split.val.length,
      testClips: split.test.length,
      epochs: result.history.length,
      bestEpoch: result.bestEpoch,
      bestValR5: result.bestValR5,
      seconds: result.seconds,
      backend: run.backend,
      history: result.history,
      ...(run.auto ? { auto: run.auto } : {}),
    },
    ...(run.eval ? { eval: { split: split.mode, seed: split.seed, ...run.eval } as Record<string, unknown> } : {}),
    ...(ds.visualBasis ? { visualBasis: ds.visualBasis } : {}),
  });
}

