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
}

/**
 * Audio-to-video and video-to-audio retrieval over n paired clips. `distAV[i*n+j]` is the distance
 * from audio i to visual j. Random galleries always contain their queries' true matches: every clip of
 * a drawn gallery is a query against that gallery.
 */
export function evaluateRetrieval(distAV: ArrayLike<number>, n: number, videoIds: readonly string[], opts: RetrievalOptions): RetrievalReport {
  if (videoIds.length !== n) throw new RangeError(`videoIds has ${videoIds.length} entries for ${n} clips`);
  const whole = opts.gallery === 'all' || opts.gallery >= n;
  const g = whole ? n : (opts.gallery as number);
  const draws = whole ? 1 : (opts.draws ?? 50);
  const rng = createRng(opts.seed ?? 0);
  const a2v: number[] = [];
  const v2a: number[] = [];
  let ownA = 0;
  let ownV = 0;
  let ownRandom = 0;
  for (let d = 0; d < draws; d++) {
    const pick = whole ? Array.from({ length: n }, (_, i) => i) : sampleIndices(n, g, rng);
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
