// Opening a library's index for searching, in one of three ways:
//   'build'  (the CLI, one machine): a missing or stale index is built first, as it always was;
//   'strict' refuses a missing or stale index with the command that fixes it;
//   'worker' never builds: a missing index is a UserError naming the index job, a stale one is used and
//            the lag logged. The index job (index-job.ts) is what brings it up to date.
// A long-lived process keeps an IndexHandle and calls refresh() between jobs to move to a newer version
// without a restart; a process per job simply opens the newest.
import { UserError } from '../core/errors.js';
import type { ProgressFn } from '../core/types.js';
import { childLogger } from '../log.js';
import { loadVersion, type IndexManifest, type LibraryIndex } from './index-load.js';
import { newestVersion } from './index-versions.js';
import { pcaHashOf } from './library-state.js';
import { buildLibraryIndex, checkLibraryIndex, indexDirFor, type IndexEmbedder, type LibraryIndexDeps } from './library-index.js';
import type { GraphMode } from './vector-index.js';

const log = childLogger({ module: 'index' });

export type IndexOpenMode = 'build' | 'strict' | 'worker';

/** What 'worker' mode compares the index with: two cheap catalogue reads, no clip list. */
export interface CatalogState {
  generation: number;
  clips: number;
  /** sha256 of the visual PCA file; default: read from the library folder */
  pcaHash?: string;
}

export interface OpenIndexOptions extends LibraryIndexDeps {
  mode?: IndexOpenMode;
  progress?: ProgressFn;
  /** 'view' memory-maps an HNSW graph (default), 'load' reads it into memory */
  graph?: GraphMode;
  /** worker mode: the catalogue as it is now, to say how far the index lags */
  catalogState?: () => Promise<CatalogState>;
}

/** Default graph mode: mapped (docs/index-versions.md has the measurements and the NFS caveat). */
export const DEFAULT_GRAPH_MODE: GraphMode = 'view';

const fixCommand = (libraryDir: string) => `clipmatch index --library ${libraryDir} (with the same --model)`;

/** How far a version lags the catalogue, in words, or undefined when it does not. */
export function indexLag(m: IndexManifest, now: Required<CatalogState>): string | undefined {
  const parts: string[] = [];
  if (m.generation !== null && m.generation !== now.generation) parts.push(`built at catalogue generation ${m.generation}, now ${now.generation}`);
  if (m.clips !== now.clips) parts.push(`${m.clips} clips indexed, ${now.clips} in the catalogue (${now.clips > m.clips ? '+' : ''}${now.clips - m.clips})`);
  if (m.pcaHash !== now.pcaHash) parts.push('the visual PCA was refit since');
  return parts.length > 0 ? parts.join('; ') : undefined;
}

function openNewest(libraryDir: string, embedder: IndexEmbedder, opts: OpenIndexOptions): LibraryIndex | undefined {
  const dir = indexDirFor(libraryDir, embedder.fingerprint);
  // A version pruned between listing and reading (two newer ones published meanwhile): list again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const v = newestVersion(dir);
    if (!v) return undefined;
    try {
      return loadVersion(v.dir, v.version, { threads: opts.indexOptions?.threads, graph: opts.graph ?? DEFAULT_GRAPH_MODE, libraryDir });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !/no index version|no vector index/.test((err as Error).message)) throw err;
    }
  }
  throw new Error(`the index versions in ${dir} keep changing under the reader`);
}

/** Opens the newest index version of `libraryDir` for `embedder` (mode: see the top of this file). */
export async function openLibraryIndex(libraryDir: string, embedder: IndexEmbedder, opts: OpenIndexOptions = {}): Promise<LibraryIndex> {
  const mode = opts.mode ?? 'strict';
  if (mode === 'worker') {
    const idx = openNewest(libraryDir, embedder, opts);
    if (!idx) throw new UserError('NO_LIBRARY', `no index yet for model ${embedder.fingerprint}: the index job builds it (clipmatch index --library ${libraryDir})`);
    if (idx.manifest.dim !== embedder.dim) throw new UserError('INCOMPATIBLE', `the index holds ${idx.manifest.dim}-d embeddings, the model makes ${embedder.dim}-d; run: ${fixCommand(libraryDir)}`);
    if (opts.catalogState) {
      const now = await opts.catalogState();
      const lag = indexLag(idx.manifest, { ...now, pcaHash: now.pcaHash ?? pcaHashOf(libraryDir) });
      if (lag) log.warn({ libraryDir, version: idx.version }, `using index version ${idx.version}, which lags the catalogue: ${lag}`);
    }
    return idx;
  }
  const status = await checkLibraryIndex(libraryDir, embedder, opts);
  if (status.status !== 'fresh') {
    if (mode !== 'build') throw new UserError('INCOMPATIBLE', `${status.reason}; run: ${fixCommand(libraryDir)}`);
    log.info({ libraryDir, reason: status.reason }, 'building the clip index');
    await buildLibraryIndex(libraryDir, embedder, opts.progress, opts);
  }
  const idx = openNewest(libraryDir, embedder, opts);
  if (!idx) throw new Error(`no index version in ${indexDirFor(libraryDir, embedder.fingerprint)} after build`);
  return idx;
}

/** The version workers load now for this model (what `library status` / `/library stats` can show). */
export function newestIndexVersion(libraryDir: string, modelFingerprint: string): number | undefined {
  return newestVersion(indexDirFor(libraryDir, modelFingerprint))?.version;
}

/** The index a long-lived process searches, switchable to a newer version between jobs. */
export interface IndexHandle extends Pick<LibraryIndex, 'version' | 'size' | 'nearest' | 'farthest' | 'embeddingOf'> {
  readonly current: LibraryIndex;
  /**
   * Switches to the newest version when it is newer than the current one; true when it switched. Call
   * it between jobs, never during one: a job's searches should all see one version. The old version's
   * memory is released once nothing refers to it.
   */
  refresh(): Promise<boolean>;
}

export async function openIndexHandle(libraryDir: string, embedder: IndexEmbedder, opts: OpenIndexOptions = {}): Promise<IndexHandle> {
  let current = await openLibraryIndex(libraryDir, embedder, opts);
  const dir = indexDirFor(libraryDir, embedder.fingerprint);
  return {
    get current() {
      return current;
    },
    get version() {
      return current.version;
    },
    get size() {
      return current.size;
    },
    nearest: (q, k) => current.nearest(q, k),
    farthest: (q, k) => current.farthest(q, k),
    embeddingOf: (id) => current.embeddingOf(id),
    async refresh() {
      const v = newestVersion(dir);
      if (!v || v.version <= current.version) return false;
      try {
        const next = loadVersion(v.dir, v.version, { threads: opts.indexOptions?.threads, graph: opts.graph ?? DEFAULT_GRAPH_MODE, libraryDir });
        log.info({ libraryDir, from: current.version, to: next.version, clips: next.size }, 'switched to a newer index version');
        current = next;
        return true;
      } catch (err) {
        // pruned or unreadable: keep answering from the version in hand, try again next time
        log.warn({ libraryDir, version: v.version, err: (err as Error).message }, 'could not switch to the newer index version');
        return false;
      }
    },
  };
}
