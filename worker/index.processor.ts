// The index job: refit the library's visual projection when it is due (the first ingest, or a small
// library that has doubled), then bring the model's index up to date (only new clips are embedded when
// clips were only added). Runs in the library worker; a visualize job never builds an index.
import type { Catalog } from '../src/library/catalog.js';
import { refitVisualPcaIfNeeded } from '../src/library/pca-store.js';
import type { IndexJobResult } from '../src/jobs/jobs.types.js';

export async function buildIndexForJob(o: { libraryDir: string; catalog: Catalog; modelDir?: string; threads?: number }): Promise<IndexJobResult> {
  await refitVisualPcaIfNeeded(o.catalog, o.libraryDir);
  const { loadEmbedder } = await import('../src/model/embedder.js');
  const { buildLibraryIndex } = await import('../src/index/library-index.js');
  const embedder = await loadEmbedder(o.modelDir);
  const s = await buildLibraryIndex(o.libraryDir, embedder, undefined, { indexOptions: { ...(o.threads ? { threads: o.threads } : {}) } });
  return { clips: s.clips, embedded: s.embedded, mode: s.mode, seconds: Math.round(s.seconds * 1000) / 1000 };
}
