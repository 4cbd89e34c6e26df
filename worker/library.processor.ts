// The library job: one LibraryOps call per job (ingest one video, stats, remove), its progress names turned
// into the typed library stages (src/jobs/stages.ts). Before a link or attachment reaches the ops, its host is
// resolved and checked exactly as a song's is (src/media/fetch.ts resolveChecked: no private, loopback,
// link-local... address), so a refused link fails here with the same words as for /visualize; the ops fetch
// it with fetchToFile, which checks every hop again. Bytes the bot stored in Redis (Slack files) become a
// local file first, so the ops only ever see files and links.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Job } from 'bullmq';
import { UserError } from '../src/core/errors.js';
import type { BlobStore } from '../src/jobs/blobs.js';
import type { JobProgress, LibraryJobData, LibraryJobResult, LibraryStage, VideoSource } from '../src/jobs/jobs.types.js';
import { checkLink } from '../src/jobs/links.js';
import { nextLibraryStage } from '../src/jobs/stages.js';
import type { LibraryOps } from '../src/library/ops.types.js';
import { resolveChecked } from '../src/media/fetch.js';
import { remuxUntrustedVideo } from '../src/media/untrusted-video.js';
import { throttledProgress } from './visualize.processor.js';

export type LibraryProcessor = (job: Job<LibraryJobData, LibraryJobResult>, signal: AbortSignal) => Promise<LibraryJobResult>;

export interface LibraryProcessorDeps {
  ops: LibraryOps;
  /** where Slack files the bot stored wait (blob sources) */
  blobs: Pick<BlobStore, 'get'>;
  /** only for tests that serve fixtures on loopback: origins ("host:port") allowed to be private */
  allowPrivate?: string[];
  /** minimum ms between progress writes (each one is a Redis call and a bot edit) */
  progressEveryMs?: number;
  /** true when the requester cancelled before this attempt started (the Cancel button's flag; a running job is
   * aborted through its signal) */
  isCancelled?: (jobId: string) => Promise<boolean>;
}

export function makeLibraryProcessor(deps: LibraryProcessorDeps): LibraryProcessor {
  return async (job, signal) => {
    if (job.id && (await deps.isCancelled?.(job.id))) throw new UserError('CANCELLED', 'Cancelled.');
    const progress = throttledProgress((p) => job.updateProgress(p as unknown as object), deps.progressEveryMs ?? 1000);
    const d = job.data;
    try {
      switch (d.op) {
        case 'stats':
          progress({ stage: 'counting' });
          return await deps.ops.stats();
        case 'remove':
          progress({ stage: 'removing' });
          return await deps.ops.remove(d.ref);
        case 'ingest':
          return await ingest(deps, d.source, d.batchId, progress, signal);
      }
    } catch (err) {
      if (signal.aborted) throw new UserError('CANCELLED', 'Cancelled.');
      throw err;
    }
  };
}

async function ingest(deps: LibraryProcessorDeps, source: VideoSource, batchId: string, progress: (p: JobProgress) => void, signal: AbortSignal) {
  let stage: LibraryStage = 'fetching';
  progress({ stage });
  const onProgress = (name: string, done: number, total: number) => {
    stage = nextLibraryStage(name, stage);
    progress({ stage, ...(total > 0 ? { fraction: Math.min(1, done / total) } : {}) });
  };
  if (source.kind === 'url' || source.kind === 'attachment') {
    await resolveChecked(checkLink(source.url), deps.allowPrivate ?? false);
    return deps.ops.addVideo(source, { progress: onProgress, signal, batchId });
  }
  if (source.kind === 'file') return deps.ops.addVideo(source, { progress: onProgress, signal, batchId });
  // the bot deletes the blob with the job's final answer; a retry reads it again
  const dir = await mkdtemp(join(tmpdir(), 'clipmatch-library-'));
  try {
    const raw = join(dir, 'upload.raw');
    await writeFile(raw, await deps.blobs.get(source));
    // an upload is untrusted: the ops only see our own remux of it (src/media/untrusted-video.ts), under its name
    const safe = await remuxUntrustedVideo(raw, join(dir, basename(source.name).replace(/[^\w.-]/g, '_') || 'video'), signal);
    return await deps.ops.addVideo({ kind: 'file', path: safe }, { progress: onProgress, signal, batchId });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
