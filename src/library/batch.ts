// `clipmatch ingest --queue`: one library-queue job per video instead of ingesting here. Each job's id
// comes from the video's content (files) or its link, so the same video queued twice, from two hosts at
// once, is one job (BullMQ keeps one job per id); a video whose earlier job finished is queued again only
// when the catalogue does not have it. The batch and its items are recorded in the catalogue, where
// workers report each video's outcome and `clipmatch library status` reads them.
import { createHash, randomBytes } from 'node:crypto';
import { UserError } from '../core/errors.js';
import type { LibraryJobData } from '../jobs/jobs.types.js';
import { jobOptions, type LibraryQueue } from '../jobs/queue.js';
import type { Catalog } from './catalog.js';
import { contentId, expandInputs } from './sources.js';
import type { VideoSource } from './ops.types.js';

export interface QueuedBatch {
  batchId: string;
  /** jobs added now */
  queued: Array<{ jobId: string; source: string }>;
  /** the same video waits or runs already (another batch, another host) */
  alreadyQueued: Array<{ jobId: string; source: string }>;
  /** in the catalogue already */
  alreadyPresent: Array<{ videoId: string; source: string }>;
}

export const newBatchId = (): string => `b${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;

export async function queueIngestBatch(inputs: string[], deps: { catalog: Catalog; queue: LibraryQueue; attempts?: number; batchId?: string }): Promise<QueuedBatch> {
  const sources = await expandInputs(inputs);
  if (sources.length === 0) throw new UserError('BAD_INPUT', 'no video files found in the given inputs');
  const batchId = deps.batchId ?? newBatchId();
  const out: QueuedBatch = { batchId, queued: [], alreadyQueued: [], alreadyPresent: [] };
  const items: Array<{ jobId: string; name: string; source: VideoSource }> = [];
  const seen = new Set<string>();
  for (const s of sources) {
    if (s.kind === 'file') {
      const videoId = await contentId(s.path);
      if (await deps.catalog.hasVideo(videoId)) {
        out.alreadyPresent.push({ videoId, source: s.path });
        continue;
      }
      if (!seen.has(videoId)) items.push({ jobId: `ingest-${videoId}`, name: s.path, source: { kind: 'file', path: s.path } });
      seen.add(videoId);
    } else {
      const jobId = `ingest-u${createHash('sha256').update(s.url).digest('hex').slice(0, 16)}`;
      if (!seen.has(jobId)) items.push({ jobId, name: s.url, source: { kind: 'url', url: s.url } });
      seen.add(jobId);
    }
  }
  const fresh: typeof items = [];
  for (const it of items) {
    const job = await deps.queue.getJob(it.jobId);
    const state = job ? await job.getState() : undefined;
    if (job && (state === 'completed' || state === 'failed')) await job.remove().catch(() => undefined); // finished earlier: queue it again
    else if (job && state !== 'unknown') {
      out.alreadyQueued.push({ jobId: it.jobId, source: it.name });
      continue;
    }
    fresh.push(it);
  }
  const jobs = fresh.map((it) => {
    const data: LibraryJobData = { v: 1, op: 'ingest', batchId, source: it.source };
    return { name: 'library' as const, data, opts: { ...jobOptions('library', { attempts: deps.attempts ?? 3 }, data), jobId: it.jobId } };
  });
  if (jobs.length) await deps.queue.addBulk(jobs);
  // A job id another producer added a moment earlier keeps its own data: that video is its batch's.
  const ours: typeof fresh = [];
  for (const it of fresh) {
    const job = await deps.queue.getJob(it.jobId);
    const owner = job?.data.op === 'ingest' ? job.data.batchId : undefined;
    if (owner && owner !== batchId) out.alreadyQueued.push({ jobId: it.jobId, source: it.name });
    else ours.push(it);
  }
  // a worker may have started a job already: recording the item keeps the state it reported
  await deps.catalog.createBatch(batchId, ours.map((it) => ({ itemId: it.jobId, source: it.name })));
  out.queued = ours.map((it) => ({ jobId: it.jobId, source: it.name }));
  return out;
}
