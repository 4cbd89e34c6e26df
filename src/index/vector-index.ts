// The one small interface the rest of clipmatch sees for vector search. Rows are numbered 0..size-1 in
// the order they were added; callers map rows to clip ids. Below `exactBelow` rows every query is an
// exact scan (usearch's SIMD brute force); above it a usearch HNSW graph answers nearest queries, and
// its recall against the exact scan is measured in bench/index.bench.ts. The raw vectors are always
// kept too: `farthest` and continuity scoring need them, and HNSW cannot answer "farthest".
// Why usearch and not faiss or hnswlib-node: docs/index-choice.md.
import { existsSync, mkdirSync, openSync, readFileSync, readSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Index as UsearchIndex, MetricKind, ScalarKind, exactSearch, type Matches } from 'usearch';
import { bruteForce, type SearchResult } from './topk.js';

export type { SearchResult } from './topk.js';
export type IndexKind = 'exact' | 'hnsw';
/**
 * How a saved HNSW graph is opened: 'load' reads it into memory (the index can grow), 'view'
 * memory-maps the file read-only (near-instant, pages shared by every process on the host, but the
 * file must outlive the reader: see docs/index-versions.md).
 */
export type GraphMode = 'load' | 'view';

export interface HnswParams {
  /** graph degree (M); 16 keeps memory modest at 1M rows with recall >= 0.95 at 128-d */
  connectivity: number;
  /** candidate list while inserting (efConstruction) */
  expansionAdd: number;
  /** candidate list while searching (ef); the recall/latency knob */
  expansionSearch: number;
}

/** Chosen from the measurements in docs/index-choice.md (1M x 128-d, 2 cores). */
export const DEFAULT_HNSW: HnswParams = { connectivity: 16, expansionAdd: 128, expansionSearch: 128 };
/**
 * Exact scan up to this many rows: usearch's SIMD scan measured 2.2 ms median per query at 100k x 128-d
 * on the 2-core machine (docs/index-choice.md), leaving headroom under the 5 ms goal.
 */
export const DEFAULT_EXACT_BELOW = 100_000;

export interface VectorIndex {
  readonly size: number;
  readonly dim: number;
  readonly kind: IndexKind;
  /** Appends `n` rows (row-major, n * dim values); their row numbers continue from `size`. */
  add(vectors: Float32Array, n: number): void;
  /** The k nearest rows by squared L2, nearest first (exact or HNSW, whichever this index is). */
  search(query: Float32Array, k: number): SearchResult;
  /** The k nearest rows by an exact scan, whatever the kind: the reference for recall. */
  searchExact(query: Float32Array, k: number): SearchResult;
  /** The k farthest rows by squared L2, farthest first (always exact). */
  farthest(query: Float32Array, k: number): SearchResult;
  /** Row `row`'s stored vector (a view; do not modify). */
  vector(row: number): Float32Array;
  /** Writes the index into directory `dir` (created if missing). */
  save(dir: string): void;
}

export interface CreateIndexOptions {
  /** exact scan while size <= exactBelow; HNSW above (default DEFAULT_EXACT_BELOW) */
  exactBelow?: number;
  hnsw?: Partial<HnswParams>;
  /** native threads for bulk adds; 0 = all cores */
  threads?: number;
}

interface IndexMeta {
  format: 1;
  dim: number;
  size: number;
  kind: IndexKind;
  exactBelow: number;
  hnsw: HnswParams;
}

const META = 'index.json';
const VECTORS = 'vectors.f32';
const GRAPH = 'hnsw.usearch';

class FlatPlusHnsw implements VectorIndex {
  private data: Float32Array;
  private n = 0;
  private graph: UsearchIndex | undefined;
  /** a memory-mapped graph is read-only */
  private viewed = false;

  constructor(
    readonly dim: number,
    expectedSize: number,
    private readonly exactBelow: number,
    private readonly params: HnswParams,
    private readonly threads: number,
  ) {
    if (!Number.isInteger(dim) || dim <= 0) throw new Error(`index dimension must be a positive integer, got ${dim}`);
    this.data = new Float32Array(Math.max(1, expectedSize) * dim);
  }

  get size(): number {
    return this.n;
  }

  get kind(): IndexKind {
    return this.graph ? 'hnsw' : 'exact';
  }

  add(vectors: Float32Array, n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new Error(`row count must be a non-negative integer, got ${n}`);
    if (vectors.length < n * this.dim) {
      throw new Error(`expected ${n} x ${this.dim} values, got ${vectors.length}`);
    }
    if (n === 0) return;
    if (this.viewed) throw new Error('a memory-mapped index is read-only: load it to add rows');
    const rows = vectors.subarray(0, n * this.dim);
    // A NaN row would silently poison both the scan and the graph; refuse it where it enters.
    for (let i = 0; i < rows.length; i++) {
      if (!Number.isFinite(rows[i]!)) throw new Error(`vector ${Math.floor(i / this.dim)} has a non-finite value`);
    }
    this.reserve(this.n + n);
    this.data.set(rows, this.n * this.dim);
    const first = this.n;
    this.n += n;
    if (this.graph) this.addToGraph(first, this.n);
    else if (this.n > this.exactBelow) this.buildGraph();
  }

  search(query: Float32Array, k: number): SearchResult {
    this.checkQuery(query);
    if (!this.graph) return this.searchExact(query, k);
    const m = Math.min(k, this.n);
    if (m <= 0) return { indices: new Int32Array(0), distances: new Float32Array(0) };
    // One thread per query: the pool's hand-off costs more than a 128-d HNSW walk.
    const res = this.graph.search(query, m, 1);
    return { indices: Int32Array.from(res.keys, (key) => Number(key)), distances: Float32Array.from(res.distances) };
  }

  searchExact(query: Float32Array, k: number): SearchResult {
    this.checkQuery(query);
    const m = Math.min(k, this.n);
    if (m <= 0) return { indices: new Int32Array(0), distances: new Float32Array(0) };
    // usearch 2.25's exactSearch reads a view from the start of its buffer, ignoring byteOffset
    // (Index.search does not): hand it a copy when the query is a subarray, e.g. from vector().
    const q = query.byteOffset === 0 ? query : query.slice();
    const res = exactSearch(this.rows(), q, this.dim, m, MetricKind.L2sq, 1) as Matches;
    return { indices: Int32Array.from(res.keys, (key) => Number(key)), distances: Float32Array.from(res.distances) };
  }

  farthest(query: Float32Array, k: number): SearchResult {
    this.checkQuery(query);
    return bruteForce(this.data, this.n, this.dim, query, k, true);
  }

  vector(row: number): Float32Array {
    if (!Number.isInteger(row) || row < 0 || row >= this.n) throw new RangeError(`row ${row} is outside 0..${this.n - 1}`);
    return this.data.subarray(row * this.dim, (row + 1) * this.dim);
  }

  save(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const rows = this.rows();
    writeFileSync(join(dir, VECTORS), new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
    if (this.graph) this.graph.save(join(dir, GRAPH));
    const meta: IndexMeta = { format: 1, dim: this.dim, size: this.n, kind: this.kind, exactBelow: this.exactBelow, hnsw: this.params };
    writeFileSync(join(dir, META), JSON.stringify(meta, null, 2));
  }

  /** Used by loadIndex: takes rows read from disk and, when saved with one, the graph file. */
  restore(rows: Float32Array, n: number, graphPath: string | undefined, mode: GraphMode): void {
    this.data = rows;
    this.n = n;
    if (graphPath) {
      const graph = this.newGraph();
      if (mode === 'view') graph.view(graphPath);
      else graph.load(graphPath);
      this.viewed = mode === 'view';
      if (graph.size() !== n) throw new Error(`index graph holds ${graph.size()} rows, vectors hold ${n}: rebuild the index`);
      this.graph = graph;
    }
  }

  private rows(): Float32Array {
    return this.data.subarray(0, this.n * this.dim);
  }

  private checkQuery(query: Float32Array): void {
    if (query.length !== this.dim) throw new Error(`query has ${query.length} values, index dimension is ${this.dim}`);
  }

  private reserve(rows: number): void {
    if (rows * this.dim <= this.data.length) return;
    const grown = new Float32Array(Math.max(rows, Math.ceil((this.data.length / this.dim) * 1.5)) * this.dim);
    grown.set(this.rows());
    this.data = grown;
  }

  private newGraph(): UsearchIndex {
    return new UsearchIndex({
      dimensions: this.dim,
      metric: MetricKind.L2sq,
      quantization: ScalarKind.F32,
      connectivity: this.params.connectivity,
      expansion_add: this.params.expansionAdd,
      expansion_search: this.params.expansionSearch,
      multi: false,
    });
  }

  private buildGraph(): void {
    this.graph = this.newGraph();
    this.addToGraph(0, this.n);
  }

  private addToGraph(from: number, to: number): void {
    const graph = this.graph!;
    // Batches bound the temporary key array; usearch spreads each batch over `threads`.
    const batch = 65_536;
    for (let start = from; start < to; start += batch) {
      const end = Math.min(to, start + batch);
      const keys = new BigUint64Array(end - start);
      for (let i = 0; i < keys.length; i++) keys[i] = BigInt(start + i);
      graph.add(keys, this.data.subarray(start * this.dim, end * this.dim), this.threads);
    }
  }
}

/** A new, empty index. `expectedSize` only pre-sizes the vector store. */
export function createIndex(dim: number, expectedSize = 0, opts: CreateIndexOptions = {}): VectorIndex {
  const params = { ...DEFAULT_HNSW, ...opts.hnsw };
  return new FlatPlusHnsw(dim, expectedSize, opts.exactBelow ?? DEFAULT_EXACT_BELOW, params, opts.threads ?? 0);
}

/** Reads an index written by `save(dir)`. Throws when files are missing or disagree with each other. */
export function loadIndex(dir: string, opts: { threads?: number; graph?: GraphMode } = {}): VectorIndex {
  const metaPath = join(dir, META);
  if (!existsSync(metaPath)) throw new Error(`no vector index in ${dir}`);
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as IndexMeta;
  if (meta.format !== 1 || !(meta.dim > 0) || !(meta.size >= 0)) throw new Error(`unreadable vector index metadata in ${metaPath}`);
  const rows = new Float32Array(Math.max(1, meta.size) * meta.dim);
  const bytes = new Uint8Array(rows.buffer, 0, meta.size * meta.dim * 4);
  const fd = openSync(join(dir, VECTORS), 'r');
  try {
    let got = 0;
    while (got < bytes.length) {
      const r = readSync(fd, bytes, got, bytes.length - got, null);
      if (r === 0) break;
      got += r;
    }
    if (got !== bytes.length || readSync(fd, new Uint8Array(1), 0, 1, null) !== 0) {
      throw new Error(`vector file in ${dir} does not hold ${meta.size} x ${meta.dim} floats: rebuild the index`);
    }
  } finally {
    closeSync(fd);
  }
  const index = new FlatPlusHnsw(meta.dim, 0, meta.exactBelow, { ...DEFAULT_HNSW, ...meta.hnsw }, opts.threads ?? 0);
  index.restore(rows, meta.size, meta.kind === 'hnsw' ? join(dir, GRAPH) : undefined, opts.graph ?? 'load');
  return index;
}
