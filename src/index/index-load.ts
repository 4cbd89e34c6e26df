// Reading one version of a library index: its manifest, its clip id table and its vectors (and graph).
// Both manifest formats read: format 2 (a version folder, ids in clip-ids.txt) and format 1 (the layout
// before versions, ids inline in the manifest).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors.js';
import { ClipIdTable } from './clip-ids.js';
import { MANIFEST } from './index-versions.js';
import { loadIndex, type GraphMode, type IndexKind, type VectorIndex } from './vector-index.js';

export const CLIP_IDS_FILE = 'clip-ids.txt';

export interface IndexManifest {
  format: 2;
  /** the folder's version number (0 for the pre-version layout) */
  version: number;
  modelFingerprint: string;
  embedderKind: string;
  dim: number;
  kind: IndexKind;
  clips: number;
  /** clip id of each row, in row order: a ClipIdTable file in the version folder */
  clipIdsFile: string;
  libraryFingerprint: string;
  /** the catalogue generation the clip set was read at; null when unknown (older index, or a test library) */
  generation: number | null;
  extractorKeys: string[];
  pcaHash: string;
  builtAt: string;
  /** host and pid of the builder */
  builtBy: string;
  /** full: built from scratch; append: the previous version plus added clips */
  mode: 'full' | 'append';
}

interface LegacyManifest extends Omit<IndexManifest, 'format' | 'version' | 'clips' | 'clipIdsFile' | 'generation' | 'builtBy' | 'mode'> {
  format: 1;
  clipIds: string[];
}

export interface ClipHit {
  clipId: string;
  /** squared L2 distance in embedding space */
  distance: number;
}

export interface LibraryIndex {
  readonly manifest: IndexManifest;
  readonly version: number;
  readonly dir: string;
  /** row <-> clip id */
  readonly ids: ClipIdTable;
  readonly index: VectorIndex;
  readonly size: number;
  nearest(query: Float32Array, k: number): ClipHit[];
  farthest(query: Float32Array, k: number): ClipHit[];
  /** The stored embedding of a clip, or undefined when the clip is not indexed. */
  embeddingOf(clipId: string): Float32Array | undefined;
}

/** The manifest and id table of the version in `dir`, or undefined when it is not a readable version. */
export function readVersion(dir: string, version: number): { manifest: IndexManifest; ids: ClipIdTable } | undefined {
  const p = join(dir, MANIFEST);
  if (!existsSync(p)) return undefined;
  let m: IndexManifest | LegacyManifest;
  try {
    m = JSON.parse(readFileSync(p, 'utf8')) as IndexManifest | LegacyManifest;
  } catch {
    return undefined;
  }
  if (m.format === 1 && Array.isArray(m.clipIds)) {
    const { clipIds, format: _f, ...rest } = m;
    const manifest: IndexManifest = { ...rest, format: 2, version, clips: clipIds.length, clipIdsFile: '', generation: null, builtBy: '', mode: 'full' };
    return { manifest, ids: ClipIdTable.fromIds(clipIds) };
  }
  if (m.format !== 2) return undefined;
  const ids = ClipIdTable.read(join(dir, m.clipIdsFile));
  if (ids.size !== m.clips) throw new Error(`index version ${version} in ${dir} lists ${ids.size} clip ids for ${m.clips} clips`);
  return { manifest: { ...m, version }, ids };
}

/** Loads one version whole. `graph: 'view'` memory-maps the HNSW graph instead of reading it. */
export function loadVersion(dir: string, version: number, opts: { threads?: number; graph?: GraphMode; libraryDir?: string } = {}): LibraryIndex {
  const read = readVersion(dir, version);
  if (!read) throw new Error(`no index version ${version} in ${dir}`);
  const index = loadIndex(dir, { threads: opts.threads, graph: opts.graph });
  if (index.size !== read.manifest.clips || index.dim !== read.manifest.dim) {
    throw new UserError('INCOMPATIBLE', `the index in ${dir} is damaged; run: clipmatch index --force --library ${opts.libraryDir ?? '<library>'}`);
  }
  return wrap(read.manifest, read.ids, index, dir);
}

function wrap(manifest: IndexManifest, ids: ClipIdTable, index: VectorIndex, dir: string): LibraryIndex {
  const hits = (res: { indices: ArrayLike<number>; distances: Float32Array }): ClipHit[] =>
    Array.from(res.indices, (r, i) => ({ clipId: ids.at(r), distance: res.distances[i]! }));
  return {
    manifest,
    version: manifest.version,
    dir,
    ids,
    index,
    get size() {
      return index.size;
    },
    nearest: (q, k) => hits(index.search(q, k)),
    farthest: (q, k) => hits(index.farthest(q, k)),
    embeddingOf: (clipId) => {
      const r = ids.rowOf(clipId);
      return r === undefined ? undefined : index.vector(r);
    },
  };
}
