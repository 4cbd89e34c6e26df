// The vector index of a library's clip embeddings, persisted inside the library in versions,
// <library>/index/<model fingerprint>/v<N>/ (index-versions.ts), each with a manifest saying which model,
// which clips (in row order, clip-ids.ts) and which library state (catalogue generation and fingerprint)
// it was built from. Builders publish a new version; readers open the newest. Checking an index against
// the library says fresh, stale (and why) or missing. Adding clips only embeds the new ones on top of the
// newest version; removing clips, new extractors or a refit PCA rebuild it whole.
import type { VisualProjection } from '../library/pca-store.js';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { UserError } from '../core/errors.js';
import type { ExtractorInfo, ProgressFn } from '../core/types.js';
import { noProgress } from '../core/types.js';
import type { Dataset } from '../library/dataset.types.js';
import { childLogger } from '../log.js';
import { ClipIdTable } from './clip-ids.js';
import { CLIP_IDS_FILE, loadVersion, readVersion, type IndexManifest } from './index-load.js';
import { KEEP_VERSIONS, PRUNE_AFTER_MS, newestVersion, publishVersion, pruneVersions, versionDir } from './index-versions.js';
import { describeLibrary, type LibraryState } from './library-state.js';
import { createIndex, loadIndex, type CreateIndexOptions, type IndexKind, type VectorIndex } from './vector-index.js';

export type { ClipHit, IndexManifest, LibraryIndex } from './index-load.js';

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

export interface LibraryIndexDeps {
  loadDataset?: (libraryDir: string) => Dataset | Promise<Dataset>;
  describeLibrary?: (libraryDir: string) => LibraryState | Promise<LibraryState>;
  indexOptions?: CreateIndexOptions;
}

export type IndexStatus =
  | { status: 'fresh'; dir: string; version: number; manifest: IndexManifest }
  | { status: 'missing'; dir: string; reason: string }
  | { status: 'stale'; dir: string; version: number; reason: string; manifest: IndexManifest; ids: ClipIdTable };

const EMBED_BATCH = 512;
/** Rows per add while building: between two, the build lock is touched and progress reported. */
const ADD_BATCH = 65_536;

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

/** The newest readable version of this model's index, with its id table. */
function newestReadable(dir: string): { version: number; dir: string; manifest: IndexManifest; ids: ClipIdTable } | undefined {
  const v = newestVersion(dir);
  if (!v) return undefined;
  try {
    const read = readVersion(v.dir, v.version);
    return read ? { ...v, ...read } : undefined;
  } catch (err) {
    log.warn({ dir: v.dir, err: (err as Error).message }, 'newest index version unreadable');
    return undefined;
  }
}

/** Compares the newest index version for this embedder with the library as it is now. */
export async function checkLibraryIndex(libraryDir: string, embedder: IndexEmbedder, deps: LibraryIndexDeps = {}): Promise<IndexStatus> {
  const dir = indexDirFor(libraryDir, embedder.fingerprint);
  const newest = newestReadable(dir);
  if (!newest) {
    const others = existsSync(join(libraryDir, 'index')) ? readdirSync(join(libraryDir, 'index')).filter((d) => !d.startsWith('.') && d !== basename(dir)) : [];
    const reason = others.length > 0 ? `the library is indexed for another model (${others.join(', ')}), not ${embedder.fingerprint}` : 'the library has no index yet';
    return { status: 'missing', dir, reason };
  }
  const { manifest, ids, version } = newest;
  if (manifest.modelFingerprint !== embedder.fingerprint || manifest.dim !== embedder.dim) {
    return { status: 'stale', dir, version, manifest, ids, reason: `the index was built with model ${manifest.modelFingerprint}, not ${embedder.fingerprint}` };
  }
  const state = await (deps.describeLibrary ?? describeLibrary)(libraryDir);
  if (libraryFingerprint(state) === manifest.libraryFingerprint) return { status: 'fresh', dir, version, manifest };
  const added = state.clipIds.filter((id) => !ids.has(id)).length;
  const removed = manifest.clips - (state.clipIds.length - added);
  const parts = [];
  if (added > 0) parts.push(`${added} clip(s) added`);
  if (removed > 0) parts.push(`${removed} clip(s) removed`);
  if (state.extractorKeys.join(',') !== manifest.extractorKeys.join(',')) parts.push('feature extractors changed');
  if (state.pcaHash !== manifest.pcaHash) parts.push('visual PCA refit');
  return { status: 'stale', dir, version, manifest, ids, reason: `the library changed since it was indexed: ${parts.join(', ') || 'clip set differs'}` };
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
  /** the model's index folder */
  dir: string;
  /** the version now newest (the one written, or the fresh one found) */
  version: number;
  clips: number;
  embedded: number;
  dim: number;
  kind: IndexKind;
  /** unchanged: already fresh; append: only added clips embedded; full: built from scratch */
  mode: 'unchanged' | 'append' | 'full';
  seconds: number;
  /** older versions removed after this one was published */
  pruned: number[];
}

export interface BuildOptions extends LibraryIndexDeps {
  force?: boolean;
  /** called between batches of work (the build lock's touch) */
  heartbeat?: () => void;
  /** versions kept when pruning (default KEEP_VERSIONS) */
  keep?: number;
  /** an old version is pruned only once a newer one is this old (default PRUNE_AFTER_MS) */
  pruneAfterMs?: number;
}

/**
 * Builds a new version of the index of `libraryDir` for `embedder`, unless the newest one is fresh.
 * When the newest version differs from the library only by added clips, only those are embedded and
 * appended to a copy of it. The version appears whole (temp folder, then one rename); older ones are
 * pruned afterwards.
 */
export async function buildLibraryIndex(libraryDir: string, embedder: IndexEmbedder, progress: ProgressFn = noProgress, deps: BuildOptions = {}): Promise<BuildSummary> {
  const t0 = performance.now();
  const beat = deps.heartbeat ?? (() => undefined);
  const tick: ProgressFn = (stage, done, total) => {
    beat();
    progress(stage, done, total);
  };
  const state = await (deps.describeLibrary ?? describeLibrary)(libraryDir);
  if (state.clipIds.length === 0) throw new UserError('NO_LIBRARY', `the library at ${libraryDir} has no clips yet (add videos with: clipmatch ingest <videos> --library ${libraryDir})`);
  const dir = indexDirFor(libraryDir, embedder.fingerprint);
  const status = await checkLibraryIndex(libraryDir, embedder, { describeLibrary: () => state });
  if (status.status === 'fresh' && !deps.force) {
    try {
      const current = loadVersion(versionDir(dir, status.version), status.version, { threads: deps.indexOptions?.threads, graph: 'view' });
      log.info({ dir, version: status.version }, 'index already up to date');
      return { dir, version: status.version, clips: current.size, embedded: 0, dim: current.index.dim, kind: current.index.kind, mode: 'unchanged', seconds: (performance.now() - t0) / 1000, pruned: [] };
    } catch (err) {
      log.warn({ err: (err as Error).message, dir }, 'newest index version unreadable; building a new one whole');
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
  if (status.status === 'stale' && !deps.force && canAppend(status.manifest, status.ids, state, embedder)) {
    try {
      // loaded, not mapped: this copy grows, the published version stays as it is
      index = loadIndex(versionDir(dir, status.version), { threads: deps.indexOptions?.threads, graph: 'load' });
      clipIds = status.ids.toArray();
      if (index.size !== clipIds.length || index.dim !== embedder.dim) index = undefined;
    } catch (err) {
      log.warn({ err: (err as Error).message, dir }, 'newest index version unreadable; building a new one whole');
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
  const vectors = await embedRows(embedder, ds, rows, tick);
  tick('index', 0, rows.length);
  for (let start = 0; start < rows.length; start += ADD_BATCH) {
    const count = Math.min(ADD_BATCH, rows.length - start);
    index.add(vectors.subarray(start * embedder.dim, (start + count) * embedder.dim), count);
    tick('index', start + count, rows.length);
  }
  for (const r of rows) clipIds.push(dsIds[r]!);
  const ids = ClipIdTable.fromIds(clipIds);
  const built = index;
  const manifestFor = (version: number): IndexManifest => ({
    format: 2,
    version,
    modelFingerprint: embedder.fingerprint,
    embedderKind: embedder.kind,
    dim: embedder.dim,
    kind: built.kind,
    clips: clipIds.length,
    clipIdsFile: CLIP_IDS_FILE,
    libraryFingerprint: libraryFingerprint(state),
    generation: state.generation ?? null,
    extractorKeys: state.extractorKeys,
    pcaHash: state.pcaHash,
    builtAt: new Date().toISOString(),
    builtBy: `${hostname()} pid ${process.pid}`,
    mode,
  });
  beat();
  const published = await publishVersion(
    dir,
    (tmp) => {
      built.save(tmp);
      ids.write(join(tmp, CLIP_IDS_FILE));
    },
    manifestFor,
  );
  beat();
  const pruned = pruneVersions(dir, deps.keep ?? KEEP_VERSIONS, deps.pruneAfterMs ?? PRUNE_AFTER_MS);
  log.info({ dir, version: published.version, clips: clipIds.length, embedded: rows.length, mode }, 'published a new index version');
  return { dir, version: published.version, clips: clipIds.length, embedded: rows.length, dim: embedder.dim, kind: built.kind, mode, seconds: (performance.now() - t0) / 1000, pruned };
}

/** Appending is safe only when nothing indexed went away and the features are computed the same way. */
function canAppend(m: IndexManifest, ids: ClipIdTable, state: LibraryState, embedder: IndexEmbedder): boolean {
  if (m.modelFingerprint !== embedder.fingerprint || m.dim !== embedder.dim) return false;
  if (m.pcaHash !== state.pcaHash || m.extractorKeys.join(',') !== state.extractorKeys.join(',')) return false;
  const now = new Set(state.clipIds);
  return ids.toArray().every((id) => now.has(id));
}
