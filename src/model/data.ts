// What the training loop eats: per-dimension normalisation fitted on the training split, row
// gathering, and the batch samplers (labelled pairs for the siamese, clip batches for in-batch losses).
import type { Rng } from '../core/random.js';
import { shuffle } from '../core/random.js';
import { FEATURE_DIM } from '../core/types.js';
import { VISUAL_LAYOUT } from '../features/visual/layout.js';

export interface DimStats {
  mean: Float32Array;
  std: Float32Array;
}

export interface Normalisation {
  audio: DimStats;
  visual: DimStats;
}

/** Paired, already normalised features of a set of clips. */
export interface PairedFeatures {
  n: number;
  dim: number;
  audio: Float32Array;
  visual: Float32Array;
  videoIds: string[];
}

// Dimensions that never vary (zero padding of short clips, dead descriptors) keep unit scale so they
// stay 0 rather than blowing up.
const MIN_STD = 1e-6;

/** Mean and standard deviation of each column over the rows `rows` of a (n x dim) matrix. */
export function fitStats(data: Float32Array, dim: number, rows: readonly number[]): DimStats {
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (const r of rows) {
    const off = r * dim;
    for (let k = 0; k < dim; k++) {
      const x = data[off + k] as number;
      mean[k] = (mean[k] as number) + x;
      sq[k] = (sq[k] as number) + x * x;
    }
  }
  const n = Math.max(rows.length, 1);
  const outMean = new Float32Array(dim);
  const outStd = new Float32Array(dim);
  for (let k = 0; k < dim; k++) {
    const m = (mean[k] as number) / n;
    const s = Math.sqrt(Math.max(0, (sq[k] as number) / n - m * m));
    outMean[k] = m;
    outStd[k] = s > MIN_STD ? s : 1;
  }
  return { mean: outMean, std: outStd };
}

/** (x - mean) / std per column of an (n x dim) matrix; returns a new array. */
export function applyStats(stats: DimStats, data: Float32Array, n: number): Float32Array {
  const dim = stats.mean.length;
  if (data.length !== n * dim) throw new RangeError(`expected ${n}x${dim} values, got ${data.length}`);
  const out = new Float32Array(data.length);
  for (let i = 0; i < n; i++) {
    const off = i * dim;
    for (let k = 0; k < dim; k++) out[off + k] = ((data[off + k] as number) - (stats.mean[k] as number)) / (stats.std[k] as number);
  }
  return out;
}

/** Rows `rows` of an (n x dim) matrix, in that order. */
export function gatherRows(data: Float32Array, dim: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => out.set(data.subarray(r * dim, (r + 1) * dim), i * dim));
  return out;
}

/**
 * Scales the z-scored values of each second by `weights` (one per descriptor, FEATURE_DIM long). The
 * weight is folded into the standard deviation, so a saved normalisation needs nothing new.
 */
export function weightStats(stats: DimStats, weights: Float32Array): DimStats {
  const std = stats.std.map((s, k) => s / (weights[k % FEATURE_DIM] as number));
  return { mean: stats.mean, std };
}

/**
 * The PCA weight at which the 120 PCA values together carry as much variance as the 8 cues (~0.26).
 * Measured on generated hidden-cause footage (docs/model.md): two-tower R@5 0.43 -> 0.63 against 0.16
 * chance; neutral on synthetic feature vectors, which have no such blocks.
 */
export const EQUAL_BLOCKS_PCA_WEIGHT = Math.sqrt(VISUAL_LAYOUT.cues.count / VISUAL_LAYOUT.pca.count);

/**
 * Per-descriptor weights of a visual second: `pcaWeight` on each of the CNN's PCA values, 1 on the
 * cues. Plain z-scoring gives the 120 PCA values 15 times the say of the 8 cues in any distance or
 * initial projection, though much of the PCA is which source a clip comes from, not what it shows.
 */
export function visualWeights(pcaWeight: number): Float32Array {
  const w = new Float32Array(FEATURE_DIM).fill(1);
  w.fill(pcaWeight, VISUAL_LAYOUT.pca.start, VISUAL_LAYOUT.pca.start + VISUAL_LAYOUT.pca.count);
  return w;
}

export function fitNormalisation(audio: Float32Array, visual: Float32Array, dim: number, trainRows: readonly number[], pcaWeight = 1): Normalisation {
  const v = fitStats(visual, dim, trainRows);
  return { audio: fitStats(audio, dim, trainRows), visual: pcaWeight === 1 ? v : weightStats(v, visualWeights(pcaWeight)) };
}

/** Selects `rows` of a raw dataset and normalises them. */
export function pairedFeatures(
  raw: { audio: Float32Array; visual: Float32Array; dim: number; videoIds: readonly string[] },
  rows: readonly number[],
  norm: Normalisation,
): PairedFeatures {
  const n = rows.length;
  return {
    n,
    dim: raw.dim,
    audio: applyStats(norm.audio, gatherRows(raw.audio, raw.dim, rows), n),
    visual: applyStats(norm.visual, gatherRows(raw.visual, raw.dim, rows), n),
    videoIds: rows.map((r) => raw.videoIds[r] as string),
  };
}

export interface PairBatch {
  audioRows: number[];
  visualRows: number[];
  /** 1 = the audio and the footage come from the same clip */
  labels: number[];
}

/**
 * One epoch of labelled pairs as in the reference: every clip once as a matching pair and once against
 * a random other clip's footage, batches alternating matching and non-matching pairs.
 */
export function pairBatches(n: number, batchSize: number, rng: Rng): PairBatch[] {
  const pos = shuffle(Array.from({ length: n }, (_, i) => i), rng);
  const neg = shuffle(Array.from({ length: n }, (_, i) => i), rng);
  const batches: PairBatch[] = [];
  let cur: PairBatch = { audioRows: [], visualRows: [], labels: [] };
  for (let i = 0; i < n; i++) {
    for (const matching of [true, false]) {
      const a = (matching ? pos[i] : neg[i]) as number;
      let v = a;
      if (!matching) {
        // any other clip; n >= 2 is checked by the trainer
        v = rng.int(n - 1);
        if (v >= a) v++;
      }
      cur.audioRows.push(a);
      cur.visualRows.push(v);
      cur.labels.push(matching ? 1 : 0);
      if (cur.labels.length === batchSize) {
        batches.push(cur);
        cur = { audioRows: [], visualRows: [], labels: [] };
      }
    }
  }
  if (cur.labels.length > 0) batches.push(cur);
  return batches;
}

/** One epoch of shuffled clip batches for in-batch losses; a last batch too small to hold negatives is folded into the previous one. */
export function clipBatches(n: number, batchSize: number, rng: Rng): number[][] {
  const order = shuffle(Array.from({ length: n }, (_, i) => i), rng);
  const batches: number[][] = [];
  for (let i = 0; i < n; i += batchSize) batches.push(order.slice(i, i + batchSize));
  const last = batches[batches.length - 1];
  if (batches.length > 1 && last && last.length < Math.max(2, batchSize / 4)) {
    batches.pop();
    batches[batches.length - 1]?.push(...last);
  }
  return batches;
}
