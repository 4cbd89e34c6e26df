// Side-by-side evaluation over several seeds: for each seed (its own split, initialisation and
// sampling) every method is trained on the training side and scored on the held-out clips. Each row
// reports the mean and a 95% interval over seeds, the pooled hits against a random ranking (binomial
// test) and the training time. Used by `clipmatch eval --seeds` and bench/model.bench.ts.
import { binomialTail, meanInterval } from '../core/recall.js';
import type { RetrievalReport } from '../core/recall.js';
import type { SplitMode } from '../core/split.js';
import type { Dataset } from '../library/dataset.types.js';
import type { Candidate } from './auto.js';
import { coldStartEmbedder } from './embedder.js';
import { datasetSplit, evaluateEmbedder, evalOptionsFor, trainOnDataset } from './pipeline.js';
import type { Arch, Hyper } from './models.js';

export interface Method {
  name: string;
  /** cold-start: the untrained default; random: the expected scores of a random ranking */
  arch: Arch | 'auto' | 'cold-start' | 'random';
  hyper?: Partial<Hyper>;
  epochs?: number;
  patience?: number;
  candidates?: Candidate[];
}

export interface SeedScore {
  seed: number;
  r1: number;
  r5: number;
  r10: number;
  medianRank: number;
  v2aR5: number;
  randomR5: number;
  gallery: number;
  queries: number;
  trainSeconds: number;
  /** what auto chose on this seed */
  chosen?: string;
}

export interface MethodSummary {
  name: string;
  seeds: SeedScore[];
  r5: { mean: number; low: number; high: number; n: number };
  r1: number;
  r10: number;
  medianRank: number;
  v2aR5: number;
  randomR5: number;
  /** one-sided binomial p of the pooled audio-to-video top-5 hits against a random ranking */
  pVsRandom: number;
  trainSeconds: number;
}

export interface CompareOptions {
  split: SplitMode;
  seeds: number[];
  epochs: number;
  patience?: number;
  /** 'all' (the default): the whole test split, capped per video on the video split */
  gallery?: number | 'all';
  log?: (line: string) => void;
}

const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / Math.max(1, x.length);

function score(seed: number, r: RetrievalReport, trainSeconds: number): SeedScore {
  return {
    seed,
    r1: r.audioToVideo.r1,
    r5: r.audioToVideo.r5,
    r10: r.audioToVideo.r10,
    medianRank: r.audioToVideo.medianRank,
    v2aR5: r.videoToAudio.r5,
    randomR5: r.random.r5,
    gallery: r.gallery,
    queries: r.queries,
    trainSeconds,
  };
}

export function summarise(name: string, seeds: SeedScore[]): MethodSummary {
  // Hits pooled over seeds, each against its own chance level; queries of drawn galleries repeat
  // clips, so the test counts each seed's distinct clips (queries / draws) at its R@5.
  let hits = 0;
  let n = 0;
  let chance = 0;
  for (const s of seeds) {
    const q = s.gallery;
    hits += Math.round(s.r5 * q);
    n += q;
    chance += s.randomR5 * q;
  }
  return {
    name,
    seeds,
    r5: meanInterval(seeds.map((s) => s.r5)),
    r1: mean(seeds.map((s) => s.r1)),
    r10: mean(seeds.map((s) => s.r10)),
    medianRank: mean(seeds.map((s) => s.medianRank)),
    v2aR5: mean(seeds.map((s) => s.v2aR5)),
    randomR5: mean(seeds.map((s) => s.randomR5)),
    pVsRandom: n > 0 ? binomialTail(hits, n, chance / n) : 1,
    trainSeconds: mean(seeds.map((s) => s.trainSeconds)),
  };
}

export async function compareMethods(ds: Dataset, methods: readonly Method[], opts: CompareOptions): Promise<MethodSummary[]> {
  const per = new Map<string, SeedScore[]>(methods.map((m) => [m.name, []]));
  for (const seed of opts.seeds) {
    const split = datasetSplit(ds, opts.split, seed);
    const evalOpts = { ...evalOptionsFor(opts.split, opts.gallery ?? 'all'), seed };
    for (const m of methods) {
      let s: SeedScore;
      if (m.arch === 'cold-start' || m.arch === 'random') {
        const r = evaluateEmbedder(coldStartEmbedder(ds.extractors, ds.seconds), ds, split.test, evalOpts);
        s = score(seed, r, 0);
        if (m.arch === 'random') s = { ...s, r1: r.random.r1, r5: r.random.r5, r10: r.random.r10, medianRank: r.random.medianRank, v2aR5: r.random.r5 };
      } else {
        const run = await trainOnDataset(ds, {
          arch: m.arch,
          split: opts.split,
          seed,
          epochs: m.epochs ?? opts.epochs,
          ...(m.patience ?? opts.patience ? { patience: m.patience ?? opts.patience } : {}),
          hyper: m.hyper ?? {},
          ...(m.candidates ? { candidates: m.candidates } : {}),
        });
        const r = evaluateEmbedder(run.embedder, ds, split.test, evalOpts);
        const total = run.result.seconds + (run.auto ? run.auto.scores.reduce((a, c) => a + c.seconds, 0) : 0);
        s = { ...score(seed, r, total), ...(run.auto ? { chosen: run.auto.chosen } : {}) };
        run.result.model.dispose();
      }
      per.get(m.name)!.push(s);
      opts.log?.(`seed ${seed} ${m.name}: R@5 ${s.r5.toFixed(3)} (gallery ${s.gallery}, random ${s.randomR5.toFixed(3)}${s.chosen ? `, chose ${s.chosen}` : ''}) ${s.trainSeconds.toFixed(1)} s`);
    }
  }
  return methods.map((m) => summarise(m.name, per.get(m.name)!));
}

/** "1-10", "1,3,5" or "4" -> seeds. */
export function parseSeeds(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part);
    if (!m) throw new RangeError(`bad seed list "${text}" (use e.g. 1-10 or 1,2,5)`);
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (b < a || b - a > 1000) throw new RangeError(`bad seed range "${part.trim()}"`);
    for (let s = a; s <= b; s++) out.push(s);
  }
  return out;
}

/** Fixed-width text table of summaries. */
export function formatSummaries(rows: readonly MethodSummary[]): string {
  const f = (x: number) => (Number.isNaN(x) ? '  n/a' : x.toFixed(3));
  const lines = ['method               R@5 mean [95% interval]   R@1    R@10   median  v->a R@5  random R@5  p vs random  train s'];
  for (const r of rows) {
    lines.push(
      `${r.name.padEnd(20)} ${f(r.r5.mean)} [${f(r.r5.low)}, ${f(r.r5.high)}]     ${f(r.r1)}  ${f(r.r10)}  ${r.medianRank.toFixed(1).padStart(6)}  ${f(r.v2aR5)}     ${f(r.randomR5)}       ${r.pVsRandom.toExponential(1).padStart(8)}  ${r.trainSeconds.toFixed(1)}`,
    );
  }
  return lines.join('\n');
}
