// The vector index of a library's clip embeddings, persisted inside the library at
// <library>/index/<model fingerprint>/ beside a manifest saying which model, which clips (in row order)
// and which library state it was built from. Opening checks that state against the library as it is
// now: a stale index is rebuilt (with a log line) or refused, never silently used. Adding clips only
// embeds the new ones; removing clips, new extractors or a refit PCA rebuild it whole.
import type { VisualProjection } from '../library/pca-store.js';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors.js';
import type { ExtractorInfo, ProgressFn } from '../core/types.js';
import { noProgress } from '../core/types.js';
import type { Dataset } from '../library/dataset.types.js';
import { childLogger } from '../log.js';
import { describeLibrary, type LibraryState } from './library-state.js';
import { createIndex, loadIndex, type CreateIndexOptions, type IndexKind, type VectorIndex } from './vector-index.js';

const log = childLogger({ module: 'index' });

/** What the index needs of an embedder (src/model/embedder.ts's Embedder satisfies it). */
export interface IndexEmbedder {
  readonly kind: string;
  readonly dim: number;
  readonly fingerprint: string;
  readonly extractors?: { audio: ExtractorInfo; visual: ExtractorInfo };
  /** a model's own visual basis: the library's raw features are projected with it (model/embedder.ts) */
  readonly visualBasis?: VisualProjection;
  embedVisual(feats: Float32Array, n: number): Float32Array | Promise<Float32Array>;
  /** the bulk path (onnxruntime) when the embedder has one */
  embedVisualAsync?(feats: Float32Array, n: number): Promise<Float32Array>;
}

export interface IndexManifest {
  format: 1;
  modelFingerprint: string;
  embedderKind: string;
  dim: number;
  kind: IndexKind;
  /** clip id of each index row, in row order */
  clipIds: string[];
  libraryFingerprint: string;
  extractorKeys: string[];
  pcaHash: string;
  builtAt: string;
}

export interface LibraryIndexDeps {
  loadDataset?: (libraryDir: string) => Dataset | Promise<Dataset>;
  describeLibrary?: (libraryDir: string) => LibraryState | Promise<LibraryState>;
  indexOptions?: CreateIndexOptions;
}

export interface ClipHit {
  clipId: string;
  /** squared L2 distance in embedding space */
  distance: number;
}

export interface LibraryIndex {
  readonly manifest: IndexManifest;
  readonly index: VectorIndex;
  readonly size: number;
  nearest(query: Float32Array, k: number): ClipHit[];
  farthest(query: Float32Array, k: number): ClipHit[];
  /** The stored embedding of a clip, or undefined when the clip is not indexed. */
  embeddingOf(clipId: string): Float32Array | undefined;
}

export type IndexStatus =
  | { status: 'fresh'; dir: string }
  | { status: 'missing'; dir: string; reason: string }
  | { status: 'stale'; dir: string; reason: string; manifest: IndexManifest };

const EMBED_BATCH = 512;

/** Fingerprint of a library state: sorted clip ids plus the extractor versions and PCA they used. */
export function libraryFingerprint(state: Pick<LibraryState, 'clipIds' | 'extractorKeys' | 'pcaHash'>): string {
  const h = createHash('sha256');
  for (const id of [...state.clipIds].sort()) h.update(id).update('\n');
  h.update(`extractors:${[...state.extractorKeys].sort().join(',')}\npca:${state.pcaHash}\n`);
  return h.digest('hex');
}

/** <library>/index/<model fingerprint> with the fingerprint made safe as one path segment. */
export function indexDirFor(libraryDir: string, modelFingerprint: string): string {
  const safe = modelFingerprint.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  const name = safe === modelFingerprint && !safe.startsWith('.') ? safe : `${safe.replace(/^\.+/, '')}-${createHash('sha256').update(modelFingerprint).digest('hex').slice(0, 12)}`;
  return join(libraryDir, 'index', name);
}

function readManifest(dir: string): IndexManifest | undefined {
  const p = join(dir, 'manifest.json');
  if (!existsSync(p)) return undefined;
  try {
    const m = JSON.parse(readFileSync(p, 'utf8')) as IndexManifest;
    return m.format === 1 && Array.isArray(m.clipIds) ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Compares the persisted index for this embedder with the library as it is now. */
export async function checkLibraryIndex(libraryDir: string, embedder: IndexEmbedder, deps: LibraryIndexDeps = {}): Promise<IndexStatus> {
  const dir = indexDirFor(libraryDir, embedder.fingerprint);
  const manifest = readManifest(dir);
  if (!manifest) {
    const others = existsSync(join(libraryDir, 'index')) ? readdirSync(join(libraryDir, 'index')).filter((d) => !d.startsWith('.')) : [];
    const reason = others.length > 0 ? `the library is indexed for another model (${others.join(', ')}), not ${embedder.fingerprint}` : 'the library has no index yet';
    return { status: 'missing', dir, reason };
  }
  if (manifest.modelFingerprint !== embedder.fingerprint || manifest.dim !== embedder.dim) {
    return { status: 'stale', dir, manifest, reason: `the index was built with model ${manifest.modelFingerprint}, not ${embedder.fingerprint}` };
  }
  const state = await (deps.describeLibrary ?? describeLibrary)(libraryDir);
  if (libraryFingerprint(state) === manifest.libraryFingerprint) return { status: 'fresh', dir };
  const indexed = new Set(manifest.clipIds);
  const added = state.clipIds.filter((id) => !indexed.has(id)).length;
  const removed = manifest.clipIds.length - (state.clipIds.length - added);
  const parts = [];
  if (added > 0) parts.push(`${added} clip(s) added`);
  if (removed > 0) parts.push(`${removed} clip(s) removed`);
  if (state.extractorKeys.join(',') !== manifest.extractorKeys.join(',')) parts.push('feature extractors changed');
  if (state.pcaHash !== manifest.pcaHash) parts.push('visual PCA refit');
  return { status: 'stale', dir, manifest, reason: `the library changed since it was indexed: ${parts.join(', ') || 'clip set differs'}` };
}

async function embedRows(embedder: IndexEmbedder, ds: Dataset, rows: number[], progress: ProgressFn): Promise<Float32Array> {
  const out = new Float32Array(rows.length * embedder.dim);
  const feats = new Float32Array(Math.min(EMBED_BATCH, rows.length) * ds.dim);
  progress('embed', 0, rows.length);
  for (let start = 0; start < rows.length; start += EMBED_BATCH) {
    const count = Math.min(EMBED_BATCH, rows.length - start);
    for (let i = 0; i < count; i++) {
      const r = rows[start + i]!;
      feats.set(ds.visual.subarray(r * ds.dim, (r + 1) * ds.dim), i * ds.dim);
    }
    const emb = await (embedder.embedVisualAsync ?? embedder.embedVisual).call(embedder, feats.subarray(0, count * ds.dim), count);
    if (emb.length !== count * embedder.dim) {
      throw new Error(`embedder returned ${emb.length} values for ${count} clips of dimension ${embedder.dim}`);
    }
    out.set(emb, start * embedder.dim);
    progress('embed', start + count, rows.length);
  }
  return out;
}

async function defaultLoadDataset(libraryDir: string, basis?: VisualProjection): Promise<Dataset> {
  const { loadDataset } = await import('../library/dataset.js');
  return loadDataset(libraryDir, basis ? { basis } : {});
}

export interface BuildSummary {
  dir: string;
  clips: number;
  embedded: number;
  dim: number;
  kind: IndexKind;
  /** unchanged: already fresh; append: only added clips embedded; full: built from scratch */
  mode: 'unchanged' | 'append' | 'full';
  seconds: number;
}

/**
 * Builds (or brings up to date) the index of `libraryDir` for `embedder`. When the existing index for
 * this model differs from the library only by added clips, only those are embedded and appended.
 */
export async function buildLibraryIndex(
  libraryDir: string,
  embedder: IndexEmbedder,
  progress: ProgressFn = noProgress,
  deps: LibraryIndexDeps & { force?: boolean } = {},
): Promise<BuildSummary> {
  const t0 = performance.now();
  const state = await (deps.describeLibrary ?? describeLibrary)(libraryDir);
  if (state.clipIds.length === 0) throw new UserError('NO_LIBRARY', `the library at ${libraryDir} has no clips yet (add videos with: clipmatch ingest <videos> --library ${libraryDir})`);
  const dir = indexDirFor(libraryDir, embedder.fingerprint);
  const status = await checkLibraryIndex(libraryDir, embedder, { describeLibrary: () => state });
  if (status.status === 'fresh' && !deps.force) {
    try {
      const current = loadIndex(dir, { threads: deps.indexOptions?.threads });
      log.info({ dir }, 'index already up to date');
      return { dir, clips: current.size, embedded: 0, dim: current.dim, kind: current.kind, mode: 'unchanged', seconds: (performance.now() - t0) / 1000 };
    } catch (err) {
      log.warn({ err: (err as Error).message, dir }, 'existing index unreadable; rebuilding it whole');
    }
  }
  const ds = await (deps.loadDataset ? deps.loadDataset(libraryDir) : defaultLoadDataset(libraryDir, embedder.visualBasis));
  const dsIds = ds.clips.map((c) => c.clipId);
  const described = new Set(state.clipIds);
  if (dsIds.length !== described.size || dsIds.some((id) => !described.has(id))) {
    throw new Error('the library changed while it was being indexed (an ingest running?); run clipmatch index again');
  }
  const want = embedder.extractors?.visual;
  // The cold-start embedder reads any extractor's layout and says so with a wildcard.
  if (want && want.name !== 'any' && want.version !== '*' && (want.name !== ds.extractors.visual.name || want.version !== ds.extractors.visual.version)) {
    throw new UserError(
      'INCOMPATIBLE',
      `model ${embedder.fingerprint} expects visual features ${want.name}@${want.version} but the library has ${ds.extractors.visual.name}@${ds.extractors.visual.version}; retrain the model on this library`,
    );
  }

  let index: VectorIndex | undefined;
  let clipIds: string[] = [];
  if (status.status === 'stale' && !deps.force && canAppend(status.manifest, state, embedder)) {
    try {
      index = loadIndex(dir, { threads: deps.indexOptions?.threads });
      clipIds = [...status.manifest.clipIds];
      if (index.size !== clipIds.length || index.dim !== embedder.dim) index = undefined;
    } catch (err) {
      log.warn({ err: (err as Error).message, dir }, 'existing index unreadable; rebuilding it whole');
      index = undefined;
    }
  }
  const mode = index ? 'append' : 'full';
  if (!index) {
    index = createIndex(embedder.dim, dsIds.length, deps.indexOptions);
    clipIds = [];
  }
  const have = new Set(clipIds);
  const rows: number[] = [];
  dsIds.forEach((id, r) => {
    if (!have.has(id)) rows.push(r);
  });
  const vectors = await embedRows(embedder, ds, rows, progress);
  progress('index', 0, rows.length);
  index.add(vectors, rows.length);
  progress('index', rows.length, rows.length);
  for (const r of rows) clipIds.push(dsIds[r]!);

  const manifest: IndexManifest = {
    format: 1,
    modelFingerprint: embedder.fingerprint,
    embedderKind: embedder.kind,
    dim: embedder.dim,
    kind: index.kind,
    clipIds,
    libraryFingerprint: libraryFingerprint(state),
    extractorKeys: state.extractorKeys,
    pcaHash: state.pcaHash,
    builtAt: new Date().toISOString(),
  };
  writeAtomically(dir, (tmp) => {
    index.save(tmp);
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest));
  });
  return { dir, clips: clipIds.length, embedded: rows.length, dim: embedder.dim, kind: index.kind, mode, seconds: (performance.now() - t0) / 1000 };
}

/** Appending is safe only when nothing indexed went away and the features are computed the same way. */
function canAppend(m: IndexManifest, state: LibraryState, embedder: IndexEmbedder): boolean {
  if (m.modelFingerprint !== embedder.fingerprint || m.dim !== embedder.dim) return false;
  if (m.pcaHash !== state.pcaHash || m.extractorKeys.join(',') !== state.extractorKeys.join(',')) return false;
  const now = new Set(state.clipIds);
  return m.clipIds.every((id) => now.has(id));
}

/** Writes into a sibling temp folder, then swaps it in: readers see the old index or the new, whole. */
function writeAtomically(dir: string, write: (tmp: string) => void): void {
  const parent = join(dir, '..');
  mkdirSync(parent, { recursive: true });
  const tag = `${process.pid}-${Date.now()}`;
  const tmp = join(parent, `.tmp-${tag}`);
  const old = join(parent, `.old-${tag}`);
  try {
    write(tmp);
    if (existsSync(dir)) renameSync(dir, old);
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
}

/**
 * Opens the index of `libraryDir` for `embedder`. A missing or stale index is rebuilt when
 * `rebuildIfStale` is set, and otherwise refused with a UserError naming the command that fixes it.
 */
export async function openLibraryIndex(
  libraryDir: string,
  embedder: IndexEmbedder,
  opts: { rebuildIfStale?: boolean; progress?: ProgressFn } & LibraryIndexDeps = {},
): Promise<LibraryIndex> {
  const status = await checkLibraryIndex(libraryDir, embedder, opts);
  if (status.status !== 'fresh') {
    if (!opts.rebuildIfStale) {
      throw new UserError('INCOMPATIBLE', `${status.reason}; run: clipmatch index --library ${libraryDir} (with the same --model)`);
    }
    log.info({ libraryDir, reason: status.reason }, 'rebuilding the clip index');
    await buildLibraryIndex(libraryDir, embedder, opts.progress, opts);
  }
  const manifest = readManifest(status.dir);
  if (!manifest) throw new Error(`index manifest missing in ${status.dir} after build`);
  const index = loadIndex(status.dir, { threads: opts.indexOptions?.threads });
  if (index.size !== manifest.clipIds.length) throw new UserError('INCOMPATIBLE', `the index in ${status.dir} is damaged; run: clipmatch index --library ${libraryDir}`);
  return wrap(manifest, index);
}

function wrap(manifest: IndexManifest, index: VectorIndex): LibraryIndex {
  const rowOf = new Map(manifest.clipIds.map((id, r) => [id, r]));
  const hits = (res: { indices: ArrayLike<number>; distances: Float32Array }): ClipHit[] =>
    Array.from(res.indices, (r, i) => ({ clipId: manifest.clipIds[r]!, distance: res.distances[i]! }));
  return {
    manifest,
    index,
    get size() {
      return index.size;
    },
    nearest: (q, k) => hits(index.search(q, k)),
    farthest: (q, k) => hits(index.farthest(q, k)),
    embeddingOf: (clipId) => {
      const r = rowOf.get(clipId);
      return r === undefined ? undefined : index.vector(r);
    },
  };
}
