// The index job: what a queue worker runs after an ingest batch or a training run, and what
// `clipmatch index` runs. One builder per library at a time (build-lock.ts, a lock file on the shared
// library path); it refits the library's visual PCA when that is due, then publishes a new index
// version for the model (or finds the newest one fresh), which workers pick up between jobs.
// The HNSW build is native and synchronous: a queue worker should run this in a child process, as it
// does renders, so that its event loop keeps renewing the job's lock.
import { join } from 'node:path';
import { noProgress, type ProgressFn } from '../core/types.js';
import { childLogger } from '../log.js';
import { acquireBuildLock, type AcquireOptions } from './build-lock.js';
import { buildLibraryIndex, type BuildSummary, type IndexEmbedder, type LibraryIndexDeps } from './library-index.js';

const log = childLogger({ module: 'index-job' });

export interface IndexJobOptions {
  libraryDir: string;
  /** trained model folder; undefined: the cold-start embedder */
  modelDir?: string;
  progress?: ProgressFn;
  signal?: AbortSignal;
  /** rebuild whole even when the newest version is fresh */
  force?: boolean;
  /** native threads for the graph build (0: all cores) */
  threads?: number;
  /** wait for a build that another process is running (default true); false: fail with BUSY */
  wait?: boolean;
  lock?: Pick<AcquireOptions, 'staleMs' | 'pollMs'>;
  /** the PCA refit needs the catalogue; false skips it (tests, a library whose PCA is managed by ingest) */
  refitPca?: boolean;
  /** tests: an embedder and library reads of their own */
  embedder?: IndexEmbedder;
  deps?: Omit<LibraryIndexDeps, 'indexOptions'>;
}

export interface IndexJobResult extends BuildSummary {
  model: string;
  embedder: string;
  /** whether the visual PCA was refit first (a refit makes every vector new: a full build) */
  pcaRefitted: boolean;
  /** seconds spent waiting for another builder's lock */
  waitedSeconds: number;
}

/** The lock every index builder of this library takes: <library>/index/.build.lock. */
export const indexLockDir = (libraryDir: string): string => join(libraryDir, 'index');

export async function runIndexJob(opts: IndexJobOptions): Promise<IndexJobResult> {
  const progress = opts.progress ?? noProgress;
  const t0 = performance.now();
  const lock = await acquireBuildLock(indexLockDir(opts.libraryDir), { wait: opts.wait ?? true, ...opts.lock, ...(opts.signal ? { signal: opts.signal } : {}) });
  const waitedSeconds = (performance.now() - t0) / 1000;
  try {
    let pcaRefitted = false;
    if (opts.refitPca ?? true) {
      const { openCatalog } = await import('../library/catalog.js');
      const { refitVisualPcaIfNeeded } = await import('../library/pca-store.js');
      const catalog = await openCatalog(opts.libraryDir);
      try {
        pcaRefitted = (await refitVisualPcaIfNeeded(catalog, opts.libraryDir, { progress })).refitted;
      } finally {
        await catalog.close();
      }
      lock.touch();
    }
    const embedder = opts.embedder ?? (await (await import('../model/embedder.js')).loadEmbedder(opts.modelDir));
    const summary = await buildLibraryIndex(opts.libraryDir, embedder, progress, {
      ...opts.deps,
      force: opts.force ?? false,
      heartbeat: () => lock.touch(),
      indexOptions: { ...(opts.threads !== undefined ? { threads: opts.threads } : {}) },
    });
    if (!lock.held()) log.warn({ libraryDir: opts.libraryDir }, 'the index build lock was taken over while building (judged stale); the version published is whole regardless');
    return { ...summary, model: embedder.fingerprint, embedder: embedder.kind, pcaRefitted, waitedSeconds };
  } finally {
    lock.release();
  }
}
