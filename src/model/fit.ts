// Fits one model configuration on given rows of a Dataset: the model's inputs (seconds side by side or
// pooled statistics), normalisation fitted on the training rows, one row per clip or time-shifted
// windows, then gradient training or a closed-form linear fit. The pipeline and the automatic choice
// of architecture both call this.
import { createRng } from '../core/random.js';
import type { Rng } from '../core/random.js';
import { FEATURE_DIM } from '../core/types.js';
import type { ProgressFn } from '../core/types.js';
import type { Dataset } from '../library/dataset.types.js';
import { tf } from './backend.js';
import { applyStats, fitNormalisation, pairedFeatures } from './data.js';
import type { Normalisation, PairedFeatures } from './data.js';
import { fitLinear } from './linear.js';
import { buildModel, isClosedForm } from './models.js';
import type { Hyper, MatchModel } from './models.js';
import { clipRuns, epochWindows, modelInput, poolWindows, runWindows } from './pooled.js';
import type { Window } from './pooled.js';
import { trainModel } from './train.js';
import type { EpochReport, TrainResult } from './train.js';

/** Stride-1 windows beyond this many are subsampled (seeded) for a closed-form fit. */
const MAX_FIT_WINDOWS = 20_000;

export interface FitOptions {
  hyper: Hyper;
  seed: number;
  epochs: number;
  patience?: number;
  onEpoch?: (e: EpochReport) => void;
  progress?: ProgressFn;
}

export interface Fitted {
  result: TrainResult;
  norm: Normalisation;
}

/** Each clip's model input (n x inputDim), raw (not normalised). */
export function clipInputs(ds: Dataset, hyper: Pick<Hyper, 'input'>): { audio: Float32Array; visual: Float32Array; dim: number } {
  const n = ds.clips.length;
  const pooled = hyper.input === 'stats';
  return {
    audio: modelInput(hyper.input, ds.audio, n, ds.dim),
    visual: modelInput(hyper.input, ds.visual, n, ds.dim),
    dim: pooled ? 2 * FEATURE_DIM : ds.dim,
  };
}

function windowFeatures(ds: Dataset, windows: readonly Window[], norm: Normalisation): PairedFeatures {
  const n = windows.length;
  return {
    n,
    dim: 2 * FEATURE_DIM,
    audio: applyStats(norm.audio, poolWindows(ds.audio, ds.dim, windows), n),
    visual: applyStats(norm.visual, poolWindows(ds.visual, ds.dim, windows), n),
    videoIds: windows.map((w) => (ds.clips[w.parts[0]![0]] as Dataset['clips'][number]).videoId),
  };
}

/** Fits `hyper` on dataset rows `train`; `val` (when it has >= 2 rows) drives early stopping. */
export async function fitOnRows(ds: Dataset, train: readonly number[], val: readonly number[], opts: FitOptions): Promise<Fitted> {
  const { hyper } = opts;
  if (hyper.windows && hyper.input !== 'stats') throw new RangeError('time-shifted windows need pooled (stats) inputs');
  const inputs = clipInputs(ds, hyper);
  const raw = { ...inputs, videoIds: ds.clips.map((c) => c.videoId) };
  const norm = fitNormalisation(inputs.audio, inputs.visual, inputs.dim, train, hyper.pcaWeight);
  const runs = hyper.windows ? clipRuns(ds.clips, train) : [];
  if (isClosedForm(hyper.arch)) {
    const t0 = performance.now();
    let data: PairedFeatures;
    if (hyper.windows) {
      let windows = runWindows(runs, ds.seconds, 1, () => 0);
      if (windows.length > MAX_FIT_WINDOWS) {
        const rng = createRng(opts.seed);
        windows = windows.map((w) => ({ w, k: rng.next() })).sort((a, b) => a.k - b.k).slice(0, MAX_FIT_WINDOWS).map((x) => x.w);
      }
      data = windowFeatures(ds, windows, norm);
    } else {
      data = pairedFeatures(raw, train, norm);
    }
    const model = fitClosedForm(data, hyper, opts.seed);
    const seconds = (performance.now() - t0) / 1000;
    opts.progress?.('fit', 1, 1);
    const result: TrainResult = {
      model,
      history: [{ epoch: 1, loss: Number.NaN, penalty: 0, valR5: Number.NaN, seconds, pairsPerSecond: data.n / seconds, best: true }],
      bestEpoch: 1,
      bestValR5: -1,
      seconds,
    };
    return { result, norm };
  }
  const valData = val.length >= 2 ? pairedFeatures(raw, val, norm) : undefined;
  const data = hyper.windows ? (rng: Rng) => windowFeatures(ds, epochWindows(runs, ds.seconds, rng), norm) : pairedFeatures(raw, train, norm);
  const result = await trainModel(data, valData, {
    hyper,
    epochs: opts.epochs,
    seed: opts.seed,
    ...(opts.patience !== undefined ? { patience: opts.patience } : {}),
    ...(opts.onEpoch ? { onEpoch: opts.onEpoch } : {}),
    ...(opts.progress ? { progress: opts.progress } : {}),
  });
  return { result, norm };
}

/** A cca / pls model from normalised paired rows: one dense linear layer per modality, L2-normalised. */
export function fitClosedForm(data: PairedFeatures, hyper: Hyper, seed: number): MatchModel {
  const method = hyper.arch === 'pls' ? 'pls' : 'cca';
  const fit = fitLinear(data.audio, data.visual, data.n, data.dim, { method, pcaDims: hyper.pcaDims, ridge: hyper.ridge, dims: hyper.layers[0] ?? 16, weightPower: hyper.weightPower });
  // The fitted width can be below the asked one on tiny data (fewer rows than PCA dims).
  const model = buildModel({ ...hyper, layers: [fit.dims] }, data.dim, createRng(seed));
  const [ta, tv] = model.towers;
  const assign = (v: tf.Variable, values: Float32Array) => {
    const t = tf.tensor(values, v.shape);
    v.assign(t);
    t.dispose();
  };
  assign(ta!.layers[0]!.w, fit.audio.kernel);
  assign(ta!.layers[0]!.b, fit.audio.bias);
  assign(tv!.layers[0]!.w, fit.visual.kernel);
  assign(tv!.layers[0]!.b, fit.visual.bias);
  return model;
}
