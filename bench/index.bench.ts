// Vector index benchmark: build time, single-query latency (median, p95), recall@10 against the exact
// scan, and memory, for the engines clipmatch could use, on synthetic 128-d vectors.
//   node --import tsx bench/index.bench.ts [sizes=10000,100000] [distribution=clustered|uniform]
// hnswlib-node is measured only when it resolves (it is not a clipmatch dependency): install it
// anywhere and point NODE_PATH at that node_modules. docs/index-choice.md holds the results.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Index, MetricKind, ScalarKind, exactSearch, type BatchMatches, type Matches } from 'usearch';
import { bruteForce } from '../src/index/topk.js';
import { DEFAULT_HNSW } from '../src/index/vector-index.js';
import { mulberry32 as rng } from '../src/core/random.js';

export interface IndexBenchOptions {
  sizes?: number[];
  dim?: number;
  queries?: number;
  distribution?: 'clustered' | 'uniform';
  /** ef values swept on one built graph */
  efSearch?: number[];
  connectivity?: number;
  expansionAdd?: number;
  /** skip hnswlib-node above this size: its add is one JS call per vector on one thread */
  hnswlibMax?: number;
}

const K = 10;


/**
 * Clustered: 1,024 Gaussian blobs (a stand-in for embeddings, which group by scene type);
 * uniform: i.i.d. in [-1, 1]^dim, the hardest case for a graph index.
 */
export function synth(n: number, dim: number, distribution: 'clustered' | 'uniform', seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n * dim);
  if (distribution === 'uniform') {
    for (let i = 0; i < out.length; i++) out[i] = r() * 2 - 1;
    return out;
  }
  const cr = rng(12345);
  const centers = Float32Array.from({ length: 1024 * dim }, () => cr() * 2 - 1);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r() * 1024) * dim;
    for (let j = 0; j < dim; j++) out[i * dim + j] = centers[c + j]! + 0.35 * gauss();
  }
  return out;
}

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const rssMb = () => process.memoryUsage().rss / 2 ** 20;

/**
 * Times `search(q)` per query; returns latency stats and recall@K against `truth`. Each query owns its
 * buffer: usearch 2.25's exactSearch ignores a subarray's byteOffset.
 */
function measure(queries: Float32Array[], truth: Int32Array[], search: (q: Float32Array) => ArrayLike<number | bigint>, limit = Infinity) {
  const nq = Math.min(truth.length, limit);
  for (let i = 0; i < Math.min(5, nq); i++) search(queries[i]!); // warm-up
  const times: number[] = [];
  let hits = 0;
  for (let i = 0; i < nq; i++) {
    const t0 = performance.now();
    const got = search(queries[i]!);
    times.push(performance.now() - t0);
    const want = new Set(truth[i]);
    for (let j = 0; j < Math.min(K, got.length); j++) if (want.has(Number(got[j]))) hits++;
  }
  return { queryMsMedian: round(median(times)), queryMsP95: round(quantile(times, 0.95)), recallAt10: round(hits / (nq * K), 4), queries: nq };
}

interface HnswlibIndex {
  initIndex(maxElements: number, m?: number, efConstruction?: number, randomSeed?: number): void;
  addPoint(point: number[], label: number): void;
  setEf(ef: number): void;
  searchKnn(q: number[], k: number): { neighbors: number[] };
}
function loadHnswlib(): (new (space: string, dim: number) => HnswlibIndex) | undefined {
  try {
    return (createRequire(import.meta.url)('hnswlib-node') as { HierarchicalNSW: new (space: string, dim: number) => HnswlibIndex }).HierarchicalNSW;
  } catch {
    return undefined;
  }
}

async function benchSize(n: number, o: Required<IndexBenchOptions>): Promise<Record<string, unknown>> {
  const { dim } = o;
  const data = synth(n, dim, o.distribution, n);
  const queryRows = synth(o.queries, dim, o.distribution, 7 + n);
  const queries = Array.from({ length: o.queries }, (_, i) => queryRows.slice(i * dim, (i + 1) * dim));
  const result: Record<string, unknown> = { n, dim, distribution: o.distribution, vectorsMb: round((n * dim * 4) / 2 ** 20, 1) };

  // Ground truth with all threads, then the exact engines as a single query would meet them.
  let t0 = performance.now();
  const batch = exactSearch(data, queryRows, dim, K, MetricKind.L2sq, 0) as BatchMatches;
  const truth = Array.from({ length: o.queries }, (_, i) => Int32Array.from(batch.get(i).keys, (x) => Number(x)));
  result.groundTruthS = round((performance.now() - t0) / 1000, 2);
  const exactLimit = n >= 500_000 ? 30 : 100;
  result.exactUsearch = measure(queries, truth, (q) => (exactSearch(data, q, dim, K, MetricKind.L2sq, 1) as Matches).keys, exactLimit);
  result.exactJs = measure(queries, truth, (q) => bruteForce(data, n, dim, q, K).indices, n >= 500_000 ? 10 : 30);

  // usearch HNSW: built once, then reloaded with each ef (expansion_search is fixed per instance).
  const cfg = { dimensions: dim, metric: MetricKind.L2sq, quantization: ScalarKind.F32, connectivity: o.connectivity, expansion_add: o.expansionAdd, multi: false };
  let rss0 = rssMb();
  t0 = performance.now();
  const built = new Index({ ...cfg, expansion_search: 64 });
  const step = 65_536;
  for (let s = 0; s < n; s += step) {
    const e = Math.min(n, s + step);
    const keys = BigUint64Array.from({ length: e - s }, (_, i) => BigInt(s + i));
    built.add(keys, data.subarray(s * dim, e * dim), 0);
    if (n >= 500_000) process.stderr.write(`index bench: usearch build ${e}/${n} after ${Math.round((performance.now() - t0) / 1000)} s\n`);
    await new Promise((r) => setImmediate(r)); // lets a caller's progress output through
  }
  const buildS = (performance.now() - t0) / 1000;
  const rssGrowthMb = rssMb() - rss0;
  const dir = mkdtempSync(join(tmpdir(), 'clipmatch-bench-'));
  try {
    const file = join(dir, 'g.usearch');
    built.save(file);
    const usearchRes: Record<string, unknown> = {
      buildS: round(buildS, 2),
      rssGrowthMb: round(rssGrowthMb, 1),
      fileMb: round(statSync(file).size / 2 ** 20, 1),
      connectivity: o.connectivity,
      expansionAdd: o.expansionAdd,
    };
    for (const ef of o.efSearch) {
      const idx = new Index({ ...cfg, expansion_search: ef });
      idx.load(file);
      usearchRes[`ef${ef}`] = measure(queries, truth, (q) => idx.search(q, K, 1).keys);
    }
    result.usearchHnsw = usearchRes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const Hnswlib = loadHnswlib();
  if (!Hnswlib) result.hnswlibNode = 'not installed';
  else if (n > o.hnswlibMax) result.hnswlibNode = `skipped above ${o.hnswlibMax} rows`;
  else {
    rss0 = rssMb();
    t0 = performance.now();
    const h = new Hnswlib('l2', dim);
    h.initIndex(n, o.connectivity, o.expansionAdd, 100);
    for (let i = 0; i < n; i++) h.addPoint(Array.from(data.subarray(i * dim, (i + 1) * dim)), i);
    const res: Record<string, unknown> = { buildS: round((performance.now() - t0) / 1000, 2), rssGrowthMb: round(rssMb() - rss0, 1) };
    for (const ef of o.efSearch) {
      h.setEf(ef);
      res[`ef${ef}`] = measure(queries, truth, (q) => h.searchKnn(Array.from(q), K).neighbors);
    }
    result.hnswlibNode = res;
  }
  return result;
}

export async function run(opts: IndexBenchOptions = {}): Promise<Record<string, unknown>> {
  const o: Required<IndexBenchOptions> = {
    sizes: opts.sizes ?? [10_000, 100_000],
    dim: opts.dim ?? 128,
    queries: opts.queries ?? 200,
    distribution: opts.distribution ?? 'clustered',
    efSearch: opts.efSearch ?? [32, 64, 128, 256],
    connectivity: opts.connectivity ?? DEFAULT_HNSW.connectivity,
    expansionAdd: opts.expansionAdd ?? DEFAULT_HNSW.expansionAdd,
    hnswlibMax: opts.hnswlibMax ?? 200_000,
  };
  const results = [];
  for (const n of o.sizes) {
    const r = await benchSize(n, o);
    process.stderr.write(`index bench: ${n} rows done\n`);
    results.push(r);
  }
  return { bench: 'index', k: K, node: process.version, results };
}

// ---- cached library-sized indexes (built once, reused by later runs) ----

/** Where built benchmark indexes are kept between runs: outside the repo, keyed by what shapes them. */
export const BENCH_CACHE = process.env.CLIPMATCH_BENCH_CACHE ?? join(tmpdir(), 'clipmatch-index-bench');

export function cacheKey(n: number, dim: number, distribution: string): string {
  return `v1-n${n}-d${dim}-${distribution}-M${DEFAULT_HNSW.connectivity}-efc${DEFAULT_HNSW.expansionAdd}`;
}

/**
 * The vector index (VectorIndex.save layout) of `n` synthetic rows, from the cache when a previous run
 * built it, else built now and cached (temp folder then rename). Returns its folder and build facts.
 */
export async function cachedVectorIndex(n: number, dim = 128, distribution: 'clustered' | 'uniform' = 'clustered'): Promise<{ dir: string; cached: boolean; buildS: number; builtAt: string; loadAvgAtBuild: string }> {
  const dir = join(BENCH_CACHE, cacheKey(n, dim, distribution));
  const factsPath = join(dir, 'build.json');
  if (existsSync(factsPath)) {
    const f = JSON.parse(readFileSync(factsPath, 'utf8')) as { buildS: number; builtAt: string; loadAvgAtBuild: string };
    return { dir, cached: true, ...f };
  }
  const { createIndex } = await import('../src/index/vector-index.js');
  mkdirSync(BENCH_CACHE, { recursive: true });
  const data = synth(n, dim, distribution, n);
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const t0 = performance.now();
  const index = createIndex(dim, n, { threads: 0 });
  const step = 100_000;
  for (let s = 0; s < n; s += step) {
    const e = Math.min(n, s + step);
    index.add(data.subarray(s * dim, e * dim), e - s);
    process.stderr.write(`index bench: built ${e}/${n} rows after ${Math.round((performance.now() - t0) / 1000)} s\n`);
  }
  const buildS = (performance.now() - t0) / 1000;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  index.save(tmp);
  const loadAfter = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const facts = { buildS: round(buildS, 1), builtAt: new Date().toISOString(), loadAvgAtBuild: `${loadBefore} -> ${loadAfter}`, kind: index.kind };
  writeFileSync(join(tmp, 'build.json'), JSON.stringify(facts, null, 2));
  renameSync(tmp, dir);
  return { dir, cached: false, ...facts };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'build-cache') {
  for (const n of (process.argv[3] ?? '1000000').split(',').map(Number)) process.stdout.write(`${JSON.stringify(await cachedVectorIndex(n))}\n`);
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = process.argv[2]?.split(',').map(Number);
  const distribution = process.argv[3] === 'uniform' ? 'uniform' : 'clustered';
  process.stdout.write(`${JSON.stringify(await run({ sizes, distribution }), null, 2)}\n`);
}
