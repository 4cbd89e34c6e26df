// `--arch auto`: pick the configuration by cross-validation on the training side only. The training
// clips are cut into folds (by clip or by video, as the split); each candidate is fitted on the other
// folds and scored by audio-to-video R@5 on the held-out one. The test split is never read here.
import { createRng, shuffle } from '../core/random.js';
import { ranksFromDistances, signTest, squaredDistances } from '../core/recall.js';
import { splitClips } from '../core/split.js';
import type { SplitMode } from '../core/split.js';
import type { ProgressFn } from '../core/types.js';
import type { Dataset } from '../library/dataset.types.js';
import { embedderFromModel } from './embedder.js';
import { fitOnRows } from './fit.js';
import { defaultHyper } from './models.js';
import type { Hyper } from './models.js';

export interface Candidate {
  name: string;
  hyper: Hyper;
}

/**
 * What auto chooses from, the baseline first:
 *  - cca: the linear reference (pooled statistics, PCA 32, CCA ridge 0.1 to 16 dims, one row per clip);
 *  - cca-windows: the same fitted on every 1-s shift of a clip-long window;
 *  - two-tower-stats: small towers on pooled statistics, a new window phase every epoch, strong
 *    dropout and L2 for small data;
 *  - two-tower: the previous default, every second side by side (wins on large libraries).
 */
export function autoCandidates(): Candidate[] {
  return [
    { name: 'cca', hyper: defaultHyper('cca') },
    { name: 'cca-windows', hyper: { ...defaultHyper('cca'), windows: true } },
    { name: 'two-tower-stats', hyper: { ...defaultHyper('two-tower'), input: 'stats', windows: true, layers: [256, 64], dropRate: 0.3, l2: 1e-4, batchSize: 64, pcaWeight: 1 } },
    { name: 'two-tower', hyper: defaultHyper('two-tower') },
  ];
}

export interface CandidateScore {
  name: string;
  /** held-out audio-to-video R@5 per fold */
  folds: number[];
  /** R@5 over every held-out query of every fold */
  mean: number;
  /**
   * against the baseline (the first candidate): units (held-out clips; whole videos on the video
   * split) where this one has more top-5 hits, where the baseline has more, and the sign test's p
   */
  wins: number;
  losses: number;
  p: number;
  /** training epochs run per fold (1 for closed-form fits) */
  epochs: number[];
  seconds: number;
}

export interface AutoChoice {
  chosen: string;
  hyper: Hyper;
  folds: number;
  /** galleries: each fold cut into chunks of at most this many clips, every clip a query once */
  gallery: number;
  /** significance a candidate needs over the baseline (one-sided sign test on paired queries) */
  alpha: number;
  scores: CandidateScore[];
  reason: string;
}

/** Above this many training-side clips one held-out fold is used instead of three (the fits get slow). */
const ONE_FOLD_ABOVE = 4000;

/** Rows of `rows` in `k` folds; whole videos stay together in video mode. */
export function folds(ds: Dataset, rows: readonly number[], mode: SplitMode, k: number, seed: number): number[][] {
  const key = (r: number) => (mode === 'video' ? (ds.clips[r]?.videoId as string) : String(r));
  const groups = shuffle([...new Set(rows.map(key))].sort(), createRng(seed));
  const fold = new Map(groups.map((g, i) => [g, i % k]));
  const out: number[][] = Array.from({ length: k }, () => []);
  for (const r of rows) out[fold.get(key(r)) as number]!.push(r);
  return out.filter((f) => f.length >= 2);
}

export interface AutoOptions {
  mode: SplitMode;
  seed: number;
  epochs: number;
  patience?: number;
  candidates?: Candidate[];
  /** 0.05 by default */
  alpha?: number;
  progress?: ProgressFn;
  log?: (line: string) => void;
}

/** Top-5 hit (1/0) of each query of `rows`, galleries of at most `gallery` clips in a seeded random order. */
function foldHits(ea: Float32Array, ev: Float32Array, dim: number, m: number, gallery: number, seed: number): Uint8Array {
  const order = shuffle(Array.from({ length: m }, (_, i) => i), createRng(seed));
  const hits = new Uint8Array(m);
  for (let start = 0; start < m; start += gallery) {
    const idx = order.slice(start, start + gallery);
    const g = idx.length;
    const pick = (src: Float32Array) => {
      const out = new Float32Array(g * dim);
      idx.forEach((r, i) => out.set(src.subarray(r * dim, (r + 1) * dim), i * dim));
      return out;
    };
    const ranks = ranksFromDistances(squaredDistances(pick(ea), g, pick(ev), g, dim), g, g);
    idx.forEach((r, i) => (hits[r] = (ranks[i] as number) <= 5 ? 1 : 0));
  }
  return hits;
}

/**
 * Cross-validates the candidates on `rows` (the training side) and returns the choice with every
 * score. The baseline (first candidate) stays unless another beats it on the same held-out queries
 * by a margin a one-sided sign test supports at `alpha`; among those that do, the best mean wins. On
 * a library of a hundred clips fold scores swing by 0.1 between candidates of equal merit, and
 * picking the top mean alone chose worse models as often as better ones.
 */
export async function chooseArch(ds: Dataset, rows: readonly number[], opts: AutoOptions): Promise<AutoChoice> {
  const candidates = opts.candidates ?? autoCandidates();
  const alpha = opts.alpha ?? 0.05;
  const big = rows.length > ONE_FOLD_ABOVE;
  let parts = folds(ds, rows, opts.mode, big ? 5 : 3, opts.seed + 17);
  if (big) parts = parts.slice(0, 1);
  if (parts.length === 0) throw new RangeError('too few training clips to choose an architecture');
  const gallery = Math.min(100, Math.max(...parts.map((p) => p.length)));
  const scores: CandidateScore[] = [];
  const hitsOf: Uint8Array[] = [];
  // The sign test's unit: a clip, or on the video split a whole video (its clips look and sound alike,
  // so counting them one by one overstates the evidence: on the 107-clip real library, seed 1 of the
  // video split switched to a model that then lost on the test videos).
  const queryRows = parts.flat();
  const unitOf = opts.mode === 'video' ? queryRows.map((r) => ds.clips[r]!.videoId) : queryRows.map((r) => String(r));
  for (const c of candidates) {
    const t0 = performance.now();
    const s: CandidateScore = { name: c.name, folds: [], mean: 0, wins: 0, losses: 0, p: 1, epochs: [], seconds: 0 };
    const all: number[] = [];
    for (const [fi, test] of parts.entries()) {
      const held = new Set(test);
      const rest = rows.filter((r) => !held.has(r));
      const restClips = rest.map((r) => ds.clips[r] as Dataset['clips'][number]);
      const inner = restClips.length >= 10 ? splitClips(restClips, { mode: opts.mode, seed: opts.seed + 1 + fi, testFraction: 0.1 }) : { train: rest.map((_, i) => i), test: [] };
      const fitted = await fitOnRows(
        ds,
        inner.train.map((i) => rest[i] as number),
        inner.test.map((i) => rest[i] as number),
        { hyper: c.hyper, seed: opts.seed + fi, epochs: opts.epochs, ...(opts.patience !== undefined ? { patience: opts.patience } : {}), ...(opts.progress ? { progress: opts.progress } : {}) },
      );
      const e = embedderFromModel(fitted.result.model, fitted.norm, ds.extractors, 'auto-fold');
      const gather = (src: Float32Array) => {
        const out = new Float32Array(test.length * ds.dim);
        test.forEach((r, i) => out.set(src.subarray(r * ds.dim, (r + 1) * ds.dim), i * ds.dim));
        return out;
      };
      const hits = foldHits(e.embedAudio(gather(ds.audio), test.length), e.embedVisual(gather(ds.visual), test.length), e.dim, test.length, gallery, opts.seed + 100 + fi);
      s.folds.push(hits.reduce((a, b) => a + b, 0) / test.length);
      all.push(...hits);
      s.epochs.push(fitted.result.history.length);
      e.dispose?.();
    }
    const h = Uint8Array.from(all);
    hitsOf.push(h);
    s.mean = h.reduce((a, b) => a + b, 0) / Math.max(1, h.length);
    const base = hitsOf[0] as Uint8Array;
    if (hitsOf.length > 1) {
      const diff = new Map<string, number>();
      for (let i = 0; i < h.length; i++) diff.set(unitOf[i] as string, (diff.get(unitOf[i] as string) ?? 0) + (h[i] as number) - (base[i] as number));
      for (const d of diff.values()) {
        if (d > 0) s.wins++;
        else if (d < 0) s.losses++;
      }
      s.p = signTest(s.wins, s.losses);
    }
    s.seconds = (performance.now() - t0) / 1000;
    scores.push(s);
    opts.log?.(`auto: ${c.name} held-out R@5 ${s.mean.toFixed(3)} (folds ${s.folds.map((x) => x.toFixed(3)).join(' ')})${hitsOf.length > 1 ? ` vs baseline +${s.wins} -${s.losses} p=${s.p.toPrecision(2)}` : ''} ${s.seconds.toFixed(1)} s`);
  }
  let best = 0;
  scores.forEach((s, i) => {
    if (i > 0 && s.p < alpha && s.mean > (scores[best] as CandidateScore).mean) best = i;
  });
  const win = scores[best] as CandidateScore;
  const base = scores[0] as CandidateScore;
  const list = scores.map((s) => `${s.name} ${s.mean.toFixed(3)}${s === base ? '' : ` (p ${s.p.toPrecision(2)})`}`).join(', ');
  const queries = hitsOf[0]?.length ?? 0;
  const unitName = opts.mode === 'video' ? `${new Set(unitOf).size} videos` : 'clips';
  const reason =
    best === 0
      ? `no candidate beat the baseline ${base.name} on ${queries} held-out queries of the training side (${parts.length} ${opts.mode} fold(s), galleries of ${gallery}, sign test over ${unitName}) at p < ${alpha}: ${list}`
      : `${win.name} beat the baseline ${base.name} on ${queries} held-out queries of the training side (${parts.length} ${opts.mode} fold(s), galleries of ${gallery}), sign test over ${unitName} p = ${win.p.toPrecision(2)}, and scored best: ${list}`;
  return { chosen: win.name, hyper: (candidates[best] as Candidate).hyper, folds: parts.length, gallery, alpha, scores, reason };
}
