// Retrieval metrics for paired data: query i's true match is gallery item i. Pure functions over
// distance matrices (row-major, queries x gallery), so they are tested on hand-made rankings.
import { createRng, sampleIndices } from './random.js';

export const RECALL_KS = [1, 5, 10, 25] as const;

/**
 * 1-based rank of each query's true match. Ties with the true match count half, so a constant
 * distance gives the random expectation rather than a perfect or a worst score.
 */
export function ranksFromDistances(dist: ArrayLike<number>, queries: number, gallery: number, target?: ArrayLike<number>): Float64Array {
  if (dist.length !== queries * gallery) throw new RangeError(`distance matrix has ${dist.length} values, expected ${queries}x${gallery}`);
  const ranks = new Float64Array(queries);
  for (let q = 0; q < queries; q++) {
    const t = target ? (target[q] as number) : q;
    const row = q * gallery;
    const d0 = dist[row + t] as number;
    let less = 0;
    let ties = 0;
    for (let g = 0; g < gallery; g++) {
      if (g === t) continue;
      const d = dist[row + g] as number;
      if (d < d0) less++;
      else if (d === d0) ties++;
    }
    ranks[q] = 1 + less + ties / 2;
  }
  return ranks;
}

/** Share of queries whose true match is within the top k, in [0, 1]. */
export function recallAtK(ranks: ArrayLike<number>, k: number): number {
  if (ranks.length === 0) return 0;
  let hit = 0;
  for (let i = 0; i < ranks.length; i++) if ((ranks[i] as number) <= k) hit++;
  return hit / ranks.length;
}

export function medianRank(ranks: ArrayLike<number>): number {
  if (ranks.length === 0) return Number.NaN;
  const s = Float64Array.from(ranks).sort();
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Recall@k of a ranker that orders the gallery at random. */
export const randomRecall = (k: number, gallery: number): number => (gallery <= 0 ? 0 : Math.min(1, k / gallery));
export const randomMedianRank = (gallery: number): number => (gallery + 1) / 2;

/** Indices of the k smallest values of row q (ascending distance; ties by index). */
export function topK(dist: ArrayLike<number>, gallery: number, q: number, k: number): number[] {
  const idx = Array.from({ length: gallery }, (_, g) => g);
  const row = q * gallery;
  idx.sort((a, b) => (dist[row + a] as number) - (dist[row + b] as number) || a - b);
  return idx.slice(0, Math.min(k, gallery));
}

/** Squared Euclidean distances between the rows of a (n x dim) and b (m x dim). */
export function squaredDistances(a: Float32Array, n: number, b: Float32Array, m: number, dim: number): Float64Array {
  const out = new Float64Array(n * m);
  const nb = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let k = 0; k < dim; k++) s += (b[j * dim + k] as number) ** 2;
    nb[j] = s;
  }
  for (let i = 0; i < n; i++) {
    let na = 0;
    const ai = i * dim;
    for (let k = 0; k < dim; k++) na += (a[ai + k] as number) ** 2;
    for (let j = 0; j < m; j++) {
      const bj = j * dim;
      let dot = 0;
      for (let k = 0; k < dim; k++) dot += (a[ai + k] as number) * (b[bj + k] as number);
      out[i * m + j] = Math.max(0, na + (nb[j] as number) - 2 * dot);
    }
  }
  return out;
}

export interface DirectionScores {
  r1: number;
  r5: number;
  r10: number;
  r25: number;
  medianRank: number;
  /** share of top-5 results that come from the query's own source video */
  ownVideoTop5: number;
}

export interface RandomScores {
  r1: number;
  r5: number;
  r10: number;
  r25: number;
  medianRank: number;
  /** own-video share of 5 results drawn at random from the same galleries */
  ownVideoTop5: number;
}

export interface RetrievalReport {
  /** gallery size used (100, or the whole set when it has fewer; the set size for 'all') */
  gallery: number;
  /** queries scored per direction, over all draws */
  queries: number;
  draws: number;
  audioToVideo: DirectionScores;
  videoToAudio: DirectionScores;
  random: RandomScores;
}

export interface RetrievalOptions {
  /** 'all' = the whole set as one gallery; a number = random galleries of that size */
  gallery: number | 'all';
  /** random galleries drawn when gallery is a number (50 by default) */
  draws?: number;
  seed?: number;
  /**
   * at most this many clips of one video in a gallery, so one long video cannot dominate: galleries
   * are then drawn (even for 'all', 20 draws by default) from the clips with each video capped
   */
  perVideo?: number;
}

/** Up to `g` indices of [0, n) with at most `cap` per video, in random order. */
export function cappedSample(videoIds: readonly string[], g: number, cap: number, rng: ReturnType<typeof createRng>): number[] {
  const order = sampleIndices(videoIds.length, videoIds.length, rng);
  const count = new Map<string, number>();
  const out: number[] = [];
  for (const i of order) {
    const v = videoIds[i] as string;
    const c = count.get(v) ?? 0;
    if (c >= cap) continue;
    count.set(v, c + 1);
    out.push(i);
    if (out.length === g) break;
  }
  return out;
}

/** Size of the galleries evaluateRetrieval draws for these options. */
export function gallerySize(videoIds: readonly string[], opts: Pick<RetrievalOptions, 'gallery' | 'perVideo'>): number {
  const n = videoIds.length;
  let avail = n;
  if (opts.perVideo !== undefined) {
    const per = new Map<string, number>();
    for (const v of videoIds) per.set(v, (per.get(v) ?? 0) + 1);
    avail = [...per.values()].reduce((a, c) => a + Math.min(c, opts.perVideo as number), 0);
  }
  return opts.gallery === 'all' ? avail : Math.min(opts.gallery, avail);
}

/**
 * Audio-to-video and video-to-audio retrieval over n paired clips. `distAV[i*n+j]` is the distance
 * from audio i to visual j. Random galleries always contain their queries' true matches: every clip of
 * a drawn gallery is a query against that gallery.
 */
export function evaluateRetrieval(distAV: ArrayLike<number>, n: number, videoIds: readonly string[], opts: RetrievalOptions): RetrievalReport {
  if (videoIds.length !== n) throw new RangeError(`videoIds has ${videoIds.length} entries for ${n} clips`);
  const capped = opts.perVideo !== undefined && gallerySize(videoIds, { gallery: 'all', perVideo: opts.perVideo }) < n;
  const g = capped ? gallerySize(videoIds, opts) : opts.gallery === 'all' ? n : Math.min(opts.gallery, n);
  const whole = !capped && g === n;
  const draws = whole ? 1 : (opts.draws ?? (opts.gallery === 'all' ? 20 : 50));
  const rng = createRng(opts.seed ?? 0);
  const a2v: number[] = [];
  const v2a: number[] = [];
  let ownA = 0;
  let ownV = 0;
  let ownRandom = 0;
  for (let d = 0; d < draws; d++) {
    const pick = whole ? Array.from({ length: n }, (_, i) => i) : capped ? cappedSample(videoIds, g, opts.perVideo as number, rng) : sampleIndices(n, g, rng);
    const sub = new Float64Array(g * g);
    const subT = new Float64Array(g * g);
    for (let i = 0; i < g; i++) {
      for (let j = 0; j < g; j++) {
        const v = distAV[(pick[i] as number) * n + (pick[j] as number)] as number;
        sub[i * g + j] = v;
        subT[j * g + i] = v;
      }
    }
    a2v.push(...ranksFromDistances(sub, g, g));
    v2a.push(...ranksFromDistances(subT, g, g));
    const vid = pick.map((i) => videoIds[i] as string);
    const counts = new Map<string, number>();
    for (const v of vid) counts.set(v, (counts.get(v) ?? 0) + 1);
    const k = Math.min(5, g);
    for (let q = 0; q < g; q++) {
      const own = vid[q] as string;
      ownA += topK(sub, g, q, k).filter((j) => vid[j] === own).length / k;
      ownV += topK(subT, g, q, k).filter((j) => vid[j] === own).length / k;
      ownRandom += (counts.get(own) ?? 0) / g;
    }
  }
  const total = draws * g;
  const direction = (ranks: number[], own: number): DirectionScores => ({
    r1: recallAtK(ranks, 1),
    r5: recallAtK(ranks, 5),
    r10: recallAtK(ranks, 10),
    r25: recallAtK(ranks, 25),
    medianRank: medianRank(ranks),
    ownVideoTop5: own / total,
  });
  return {
    gallery: g,
    queries: total,
    draws,
    audioToVideo: direction(a2v, ownA),
    videoToAudio: direction(v2a, ownV),
    random: {
      r1: randomRecall(1, g),
      r5: randomRecall(5, g),
      r10: randomRecall(10, g),
      r25: randomRecall(25, g),
      medianRank: randomMedianRank(g),
      ownVideoTop5: ownRandom / total,
    },
  };
}

/** Mean and two-sided 95% Student-t interval of per-seed scores (half-width 0 for a single value). */
export function meanInterval(values: readonly number[]): { mean: number; low: number; high: number; n: number } {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, low: Number.NaN, high: Number.NaN, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, low: mean, high: mean, n };
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const half = studentT975(n - 1) * (sd / Math.sqrt(n));
  return { mean, low: mean - half, high: mean + half, n };
}

/** 97.5% quantile of Student's t with `df` degrees of freedom (table to 30, then the normal). */
export function studentT975(df: number): number {
  const table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];
  return df >= 1 && df <= 30 ? (table[df - 1] as number) : 1.96;
}

/** P(X >= k) for X ~ Binomial(n, p): how likely a random ranking scores at least k hits. */
export function binomialTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  if (k > n) return 0;
  // terms in log space so a large n does not underflow (1 - p) ** n; the upper tail is summed directly
  // so tiny p-values keep their precision
  const step = (j: number) => Math.log((n - j) / (j + 1)) + Math.log(p / (1 - p));
  let logTerm = n * Math.log1p(-p);
  for (let j = 0; j < k; j++) logTerm += step(j);
  let tail = 0;
  for (let j = k; j <= n; j++) {
    tail += Math.exp(logTerm);
    if (j < n) logTerm += step(j);
  }
  return Math.min(1, tail);
}

/**
 * One-sided sign test of paired outcomes: P(at least `wins` of `wins + losses` discordant pairs go
 * one way if either way were equally likely). Ties carry no information and are left out.
 */
export const signTest = (wins: number, losses: number): number => binomialTail(wins, wins + losses, 0.5);
