// The training loop: epochs of batches, a validation Recall@5 after each, early stopping when it stops
// improving, and the best checkpoint restored at the end.
import { tf } from './backend.js';
import { createRng } from '../core/random.js';
import type { Rng } from '../core/random.js';
import { evaluateRetrieval, squaredDistances } from '../core/recall.js';
import type { ProgressFn } from '../core/types.js';
import { noProgress } from '../core/types.js';
import { clipBatches, gatherRows, pairBatches } from './data.js';
import type { PairedFeatures } from './data.js';
import { contrastiveLoss, hardTripletLoss, infoNceLoss, mseLoss } from './losses.js';
import { buildModel, embedRows } from './models.js';
import type { Hyper, MatchModel } from './models.js';
import { FusedAdam } from './optimizer.js';

export interface EpochReport {
  epoch: number;
  /** data loss averaged over the epoch's batches */
  loss: number;
  /** L1/L2 penalty of the weights at the end of the epoch */
  penalty: number;
  /** audio-to-video Recall@5 on the validation clips (gallery of up to 100); NaN without validation */
  valR5: number;
  seconds: number;
  /** training pairs per second: labelled pairs for the siamese, matching (clip) pairs otherwise */
  pairsPerSecond: number;
  best: boolean;
}

export interface TrainOptions {
  hyper: Hyper;
  epochs: number;
  seed: number;
  /** epochs without a better validation R@5 before stopping (5 by default) */
  patience?: number;
  onEpoch?: (e: EpochReport) => void;
  progress?: ProgressFn;
}

export interface TrainResult {
  model: MatchModel;
  history: EpochReport[];
  bestEpoch: number;
  bestValR5: number;
  seconds: number;
}

/** Audio-to-video R@5 over galleries of up to 100 clips; the early-stopping signal. */
export function validationR5(model: MatchModel, val: PairedFeatures, seed: number): number {
  const ea = embedRows(model, 'audio', val.audio, val.n);
  const ev = embedRows(model, 'visual', val.visual, val.n);
  const dist = squaredDistances(ea, val.n, ev, val.n, model.dim);
  return evaluateRetrieval(dist, val.n, val.videoIds, { gallery: 100, draws: 10, seed }).audioToVideo.r5;
}

export interface Step {
  pairs: number;
  loss: () => tf.Scalar;
}

/** One epoch's batches for the model's loss, in order; each builds its loss when run. */
export function epochSteps(model: MatchModel, data: PairedFeatures, rng: Rng): Step[] {
  const { hyper } = model;
  const rows = (src: Float32Array, idx: number[]) => tf.tensor2d(gatherRows(src, data.dim, idx), [idx.length, data.dim]);
  const seed = () => rng.int(2 ** 30);
  if (hyper.loss === 'contrastive') {
    return pairBatches(data.n, hyper.batchSize, rng).map((b) => {
      const s = seed();
      return {
        pairs: b.labels.length,
        loss: () => {
          const [ea, ev] = model.embedPair(rows(data.audio, b.audioRows), rows(data.visual, b.visualRows), s);
          return contrastiveLoss(ea, ev, tf.tensor1d(b.labels), hyper.margin);
        },
      };
    });
  }
  return clipBatches(data.n, hyper.batchSize, rng).map((idx) => {
    const s = seed();
    return {
      pairs: idx.length,
      loss: () => {
        const [ea, ev] = model.embedPair(rows(data.audio, idx), rows(data.visual, idx), s);
        switch (hyper.loss) {
          case 'infonce':
            return infoNceLoss(ea, ev, hyper.temperature);
          case 'triplet':
            return hardTripletLoss(ea, ev, hyper.margin);
          case 'mse':
            return mseLoss(ea, ev);
          case 'contrastive':
          case 'closed-form':
            throw new Error(`no gradient steps for the ${hyper.loss} loss`);
        }
      },
    };
  });
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The optimiser of the reference setup: Adam with L1/L2 on kernels only. */
export function createOptimizer(model: MatchModel): FusedAdam {
  const { hyper } = model;
  const params = model.towers.flatMap((t) =>
    t.layers.flatMap((l) => [
      { variable: l.w, l1: hyper.l1, l2: hyper.l2 },
      { variable: l.b, l1: 0, l2: 0 },
    ]),
  );
  return new FusedAdam(params, { learningRate: hyper.learningRate });
}

/** Runs one optimisation step and returns its data loss. */
export function runStep(model: MatchModel, opt: FusedAdam, step: Step): number {
  const { value, grads } = tf.variableGrads(step.loss, model.variables());
  const loss = value.dataSync()[0] as number;
  opt.apply(grads);
  value.dispose();
  tf.dispose(grads);
  return loss;
}

/** The training rows of one epoch: the same every epoch, or drawn anew (time-shifted windows). */
export type EpochData = PairedFeatures | ((rng: Rng) => PairedFeatures);

/**
 * Trains a fresh model on normalised paired features; `val` drives early stopping when given. With a
 * function for `data`, each epoch trains on the rows it returns.
 */
export async function trainModel(data: EpochData, val: PairedFeatures | undefined, opts: TrainOptions): Promise<TrainResult> {
  const { hyper } = opts;
  const rng = createRng(opts.seed);
  const first = typeof data === 'function' ? data(rng) : data;
  if (first.n < 2) throw new RangeError('training needs at least 2 clips');
  const model = buildModel(hyper, first.dim, rng);
  const opt = createOptimizer(model);
  const progress = opts.progress ?? noProgress;
  const patience = opts.patience ?? 5;
  const history: EpochReport[] = [];
  let best = { epoch: 0, r5: -1, snap: opt.snapshot() };
  const t0 = performance.now();
  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    const e0 = performance.now();
    const train = epoch === 1 || typeof data !== 'function' ? first : data(rng);
    const steps = epochSteps(model, train, rng);
    let lossSum = 0;
    let pairs = 0;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i] as Step;
      lossSum += runStep(model, opt, step);
      pairs += step.pairs;
      if (i % 10 === 9 || i === steps.length - 1) {
        progress(`epoch ${epoch}/${opts.epochs}`, i + 1, steps.length);
        await yieldToLoop();
      }
    }
    const seconds = (performance.now() - e0) / 1000;
    const valR5 = val && val.n >= 2 ? validationR5(model, val, opts.seed) : Number.NaN;
    // Without validation clips the last epoch counts as the best. A tie goes to the later epoch: on a
    // small validation split R@5 saturates at 1 within a few epochs, and stopping at the first such
    // epoch kept undertrained models (hidden-cause footage, patience 5: test R@5 0.51 -> 0.62).
    const improved = Number.isNaN(valR5) || valR5 >= best.r5;
    if (improved) best = { epoch, r5: Number.isNaN(valR5) ? -1 : valR5, snap: opt.snapshot() };
    const report: EpochReport = { epoch, loss: lossSum / steps.length, penalty: opt.penalty(), valR5, seconds, pairsPerSecond: pairs / seconds, best: improved };
    history.push(report);
    opts.onEpoch?.(report);
    if (!Number.isNaN(valR5) && epoch - best.epoch >= patience) break;
  }
  opt.restore(best.snap);
  return { model, history, bestEpoch: best.epoch, bestValR5: best.r5, seconds: (performance.now() - t0) / 1000 };
}
