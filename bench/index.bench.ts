// Vector index benchmarks on synthetic clustered 128-d vectors.
// `npm run bench -- index` (run()): a library index version at 100k and 1M clips as workers meet it:
// build time (the built index is cached outside the repo, in BENCH_CACHE, and reused by later runs; the
// JSON says whether it was), load time (median of several loads, each in a fresh process) and RSS, with
// the HNSW graph read into memory ('load') and memory-mapped ('view'), first-query latency after load,
// and the clip id list as one JSON array against the compact table (clip-ids.ts). docs/index-versions.md.
// The engine comparison (usearch vs hnswlib-node: build, latency, recall@10, memory; docs/index-choice.md):
//   node --import tsx bench/index.bench.ts compare [sizes=10000,100000] [distribution=clustered|uniform]
// hnswlib-node is measured only when it resolves (it is not a clipmatch dependency): install it
// anywhere and point NODE_PATH at that node_modules.
// Build one cached index ahead of time (a 1M HNSW build takes 15-40 min on 2 cores):
//   node --import tsx bench/index.bench.ts build-cache 1000000
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

export async function runEngines(opts: IndexBenchOptions = {}): Promise<Record<string, unknown>> {
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

/** Clip ids as a library has them: 25 clips per video (a 250-s video), video ids of 16 hex digits. */
export function syntheticClipIds(n: number): string[] {
  return Array.from({ length: n }, (_, r) => `${(Math.floor(r / 25) * 2654435761).toString(16).padStart(16, '0')}-${String(r % 25).padStart(4, '0')}`);
}

const MODEL = 'bench-model';

/**
 * A library folder whose index is version 1 of `MODEL`, made of the cached vector index (hard links:
 * no copy) plus a clip id table and a manifest. Cached beside the index.
 */
async function libraryWithVersion(n: number, vectorDir: string): Promise<{ libraryDir: string; versionDir: string }> {
  const { indexDirFor } = await import('../src/index/library-index.js');
  const { ClipIdTable } = await import('../src/index/clip-ids.js');
  const { CLIP_IDS_FILE } = await import('../src/index/index-load.js');
  const libraryDir = `${vectorDir}-library`;
  const versionDir = join(indexDirFor(libraryDir, MODEL), 'v1');
  if (existsSync(join(versionDir, 'manifest.json'))) return { libraryDir, versionDir };
  const tmp = `${versionDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const f of ['index.json', 'vectors.f32', 'hnsw.usearch']) if (existsSync(join(vectorDir, f))) linkSync(join(vectorDir, f), join(tmp, f));
  const meta = JSON.parse(readFileSync(join(vectorDir, 'index.json'), 'utf8')) as { dim: number; kind: string };
  ClipIdTable.fromIds(syntheticClipIds(n)).write(join(tmp, CLIP_IDS_FILE));
  const manifest = {
    format: 2, version: 1, modelFingerprint: MODEL, embedderKind: 'synthetic', dim: meta.dim, kind: meta.kind, clips: n, clipIdsFile: CLIP_IDS_FILE,
    libraryFingerprint: 'synthetic', generation: 1, extractorKeys: [], pcaHash: '', builtAt: new Date().toISOString(), builtBy: 'bench', mode: 'full',
  };
  writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest));
  renameSync(tmp, versionDir);
  return { libraryDir, versionDir };
}

interface LoadSample {
  loadMs: number;
  rssBeforeMb: number;
  rssAfterLoadMb: number;
  rssAfterQueriesMb: number;
  /** after the queries: see residentSplit */
  anonymousMb: number;
  fileBackedMb: number;
  firstQueryMs: number;
  queryMsMedian: number;
  kind: string;
}

/** Resident memory split (Linux smaps_rollup): anonymous (this process's own) and file-backed (mapped files: page cache any process on the host shares). */
function residentSplit(): { anonymousMb: number; fileBackedMb: number } {
  const text = existsSync('/proc/self/smaps_rollup') ? readFileSync('/proc/self/smaps_rollup', 'utf8') : '';
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { anonymousMb: round(kb('Anonymous') / 1024, 1), fileBackedMb: round((kb('Rss') - kb('Anonymous')) / 1024, 1) };
}

/** One load of a version in this (fresh) process: what a worker or a render child pays to start. */
async function loadChild(versionDir: string, graph: 'load' | 'view'): Promise<LoadSample> {
  const { loadVersion } = await import('../src/index/index-load.js');
  const dim = 128;
  const queries = synth(101, dim, 'clustered', 99);
  const rssBeforeMb = rssMb();
  const t0 = performance.now();
  const idx = loadVersion(versionDir, 1, { graph });
  const loadMs = performance.now() - t0;
  const rssAfterLoadMb = rssMb();
  const times: number[] = [];
  for (let i = 0; i < 101; i++) {
    const q = queries.slice(i * dim, (i + 1) * dim);
    const t = performance.now();
    idx.nearest(q, 10);
    times.push(performance.now() - t);
  }
  return { loadMs: round(loadMs, 1), rssBeforeMb: round(rssBeforeMb, 1), rssAfterLoadMb: round(rssAfterLoadMb, 1), rssAfterQueriesMb: round(rssMb(), 1), ...residentSplit(), firstQueryMs: round(times[0]!), queryMsMedian: round(median(times.slice(1))), kind: idx.index.kind };
}

function spawnLoad(versionDir: string, graph: 'load' | 'view'): LoadSample {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'load-child', versionDir, graph], { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn' }, maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`load child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as LoadSample;
}

/** The clip id list: one JSON array (the old manifest) against the compact table, parse time and heap. */
function clipIdForms(n: number, dir: string): Record<string, unknown> {
  const measure = (form: 'json' | 'table') => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', fileURLToPath(import.meta.url), 'ids-child', dir, form], { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn' } });
    if (r.status !== 0) throw new Error(`ids child failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { fileMb: number; parseMs: number; heapMb: number };
  };
  const jsonPath = join(dir, 'clip-ids.json');
  if (!existsSync(jsonPath)) writeFileSync(jsonPath, JSON.stringify(syntheticClipIds(n)));
  const runs = (f: 'json' | 'table') => {
    const xs = [measure(f), measure(f), measure(f)];
    return { fileMb: xs[0]!.fileMb, parseMsMedian: round(median(xs.map((x) => x.parseMs)), 1), heapMb: round(median(xs.map((x) => x.heapMb)), 1) };
  };
  return { jsonArrayPlusMap: runs('json'), compactTable: runs('table') };
}

async function idsChild(dir: string, form: 'json' | 'table'): Promise<{ fileMb: number; parseMs: number; heapMb: number }> {
  const { ClipIdTable } = await import('../src/index/clip-ids.js');
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  const path = form === 'json' ? join(dir, 'clip-ids.json') : join(dir, 'clip-ids.txt');
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  let keep: unknown;
  if (form === 'json') {
    // what the format-1 reader did: the array, then a Map from id to row for embeddingOf
    const ids = JSON.parse(readFileSync(path, 'utf8')) as string[];
    keep = [ids, new Map(ids.map((id, r) => [id, r]))];
  } else keep = ClipIdTable.read(path);
  const parseMs = performance.now() - t0;
  gc();
  const heapMb = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
  if (!keep) throw new Error('unreachable');
  return { fileMb: round(statSync(path).size / 2 ** 20, 2), parseMs: round(parseMs, 1), heapMb: round(heapMb, 1) };
}

export interface VersionBenchOptions {
  sizes?: number[];
  /** loads per graph mode, each in a fresh process */
  loads?: number;
}

/** `npm run bench -- index`: build (cached) and load of a library index version at each size. */
export async function run(opts: VersionBenchOptions = {}): Promise<Record<string, unknown>> {
  const sizes = opts.sizes ?? (process.env.CLIPMATCH_BENCH_INDEX_SIZES ?? '100000,1000000').split(',').map(Number);
  const loads = opts.loads ?? 5;
  const results = [];
  for (const n of sizes) {
    const loadAvgStart = loadavg();
    const built = await cachedVectorIndex(n);
    const { versionDir } = await libraryWithVersion(n, built.dir);
    const files = Object.fromEntries(['vectors.f32', 'hnsw.usearch', 'clip-ids.txt'].filter((f) => existsSync(join(versionDir, f))).map((f) => [f, round(statSync(join(versionDir, f)).size / 2 ** 20, 1)]));
    const res: Record<string, unknown> = { n, dim: 128, distribution: 'clustered', build: { ...built, dir: undefined, buildS: built.buildS, cached: built.cached }, filesMb: files };
    for (const graph of ['load', 'view'] as const) {
      const samples = Array.from({ length: loads }, () => spawnLoad(versionDir, graph));
      process.stderr.write(`index bench: ${n} rows, ${graph}: ${samples.map((x) => x.loadMs).join(', ')} ms\n`);
      res[graph] = {
        kind: samples[0]!.kind,
        loads: samples.length,
        loadMsMedian: round(median(samples.map((x) => x.loadMs)), 1),
        loadMsMin: round(Math.min(...samples.map((x) => x.loadMs)), 1),
        loadMsMax: round(Math.max(...samples.map((x) => x.loadMs)), 1),
        rssAfterLoadMbMedian: round(median(samples.map((x) => x.rssAfterLoadMb)), 1),
        rssGrowthMbMedian: round(median(samples.map((x) => x.rssAfterLoadMb - x.rssBeforeMb)), 1),
        rssAfterQueriesMbMedian: round(median(samples.map((x) => x.rssAfterQueriesMb)), 1),
        anonymousMbMedian: round(median(samples.map((x) => x.anonymousMb)), 1),
        fileBackedMbMedian: round(median(samples.map((x) => x.fileBackedMb)), 1),
        firstQueryMsMedian: round(median(samples.map((x) => x.firstQueryMs))),
        queryMsMedian: round(median(samples.map((x) => x.queryMsMedian))),
      };
      if (samples[0]!.kind !== 'hnsw') break; // no graph: 'view' is the same as 'load'
    }
    res.clipIds = clipIdForms(n, versionDir);
    res.loadAvg = `${loadAvgStart} -> ${loadavg()}`;
    results.push(res);
  }
  return { bench: 'index-versions', cache: BENCH_CACHE, node: process.version, results };
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mode, a, b] = process.argv.slice(2);
  if (mode === 'build-cache') {
    for (const n of (a ?? '1000000').split(',').map(Number)) process.stdout.write(`${JSON.stringify(await cachedVectorIndex(n))}\n`);
  } else if (mode === 'load-child') {
    process.stdout.write(`${JSON.stringify(await loadChild(a!, b === 'view' ? 'view' : 'load'))}\n`);
  } else if (mode === 'ids-child') {
    process.stdout.write(`${JSON.stringify(await idsChild(a!, b === 'json' ? 'json' : 'table'))}\n`);
  } else if (mode === 'compare') {
    const sizes = a?.split(',').map(Number);
    process.stdout.write(`${JSON.stringify(await runEngines({ sizes, distribution: b === 'uniform' ? 'uniform' : 'clustered' }), null, 2)}\n`);
  } else {
    process.stdout.write(`${JSON.stringify(await run(mode ? { sizes: mode.split(',').map(Number) } : {}), null, 2)}\n`);
  }
}
