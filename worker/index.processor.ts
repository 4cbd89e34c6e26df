// The index job in the library worker: refit the visual PCA when due, then publish a new index version
// (only new clips embedded when clips were only added), in a child process so that the native graph
// build never blocks the worker's event loop (and its job locks). A visualize job never builds.
import type { IndexJobResult } from '../src/jobs/jobs.types.js';
import { runIndexJobInChild } from '../src/index/index-job-child.js';

export async function buildIndexForJob(o: { libraryDir: string; modelDir?: string; threads?: number; signal?: AbortSignal }): Promise<IndexJobResult> {
  const r = await runIndexJobInChild({ libraryDir: o.libraryDir, ...(o.modelDir ? { modelDir: o.modelDir } : {}), ...(o.threads ? { threads: o.threads } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  return { version: r.version, clips: r.clips, embedded: r.embedded, mode: r.mode, seconds: Math.round(r.seconds * 1000) / 1000 };
}
