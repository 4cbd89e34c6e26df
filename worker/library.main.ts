// The library worker process: ingest jobs (one video each), /library stats and remove, and index builds,
// on the shared catalogue (PostgreSQL when DATABASE_URL is set) and the shared library folder. It runs at a
// lower CPU priority (LIBRARY_NICE) than renders, and so does everything it starts (ffmpeg, feature
// threads), so users never wait behind an ingest batch. `npm run worker` starts it beside the visualize
// worker; it can also run alone: `node --import tsx worker/library.main.ts`.
// A worker killed mid-video leaves its build folder in tmp/ (swept later) and nothing in the catalogue;
// the job's lock lapses (LIBRARY_LOCK_MS) and another worker does the video again.
import { setPriority } from 'node:os';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { env } from '../src/config.js';
import { isUserError } from '../src/core/errors.js';
import { childLogger } from '../src/log.js';
import { BlobStore } from '../src/jobs/blobs.js';
import type { IndexJobData, IndexJobResult, LibraryJobResult } from '../src/jobs/jobs.types.js';
import { consumerConnection, createIndexQueue, INDEX_QUEUE, LIBRARY_QUEUE, redisOptions, requestIndexBuild } from '../src/jobs/queue.js';
import { openCatalog, type Catalog } from '../src/library/catalog.js';
import { makeLibraryOps } from '../src/library/ops.js';
import { fetchVideoToFile } from '../src/media/fetch.js';
import { buildIndexForJob } from './index.processor.js';
import { newestIndexVersion } from '../src/index/index-open.js';
import { makeLibraryProcessor, type LibraryProcessor } from './library.processor.js';
import { cancelFlagReader, startLibraryWorker } from './worker.js';

const log = childLogger({ module: 'library-worker', pid: process.pid });

/** Records each ingest job's outcome in its batch (catalogue), for `clipmatch library status`. */
export function trackBatches(inner: LibraryProcessor, catalog: Catalog): LibraryProcessor {
  return async (job, signal) => {
    const d = job.data;
    if (d.op !== 'ingest' || !job.id) return inner(job, signal);
    const source = d.source.kind === 'file' ? d.source.path : d.source.kind === 'blob' ? d.source.name : d.source.url;
    // a chat add is its own batch of one; a CLI batch recorded its items when it queued them
    await catalog.createBatch(d.batchId, [{ itemId: job.id, source }]);
    await catalog.updateBatchItem(d.batchId, job.id, { state: 'running' });
    try {
      const r = (await inner(job, signal)) as Extract<LibraryJobResult, { status: string }>;
      await catalog.updateBatchItem(d.batchId, job.id, { state: r.status, clips: r.clips, seconds: r.seconds, ...(r.reason ? { detail: r.reason } : r.videoId ? { detail: r.videoId } : {}) });
      return r;
    } catch (err) {
      const final = isUserError(err) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const reason = err instanceof Error ? err.message : String(err);
      await catalog.updateBatchItem(d.batchId, job.id, final ? { state: 'failed', detail: reason } : { state: 'queued', detail: `retrying: ${reason}` });
      throw err;
    }
  };
}

let fingerprint: Promise<string | undefined> | undefined;
/** The worker's model fingerprint (its index is the one stats report), loaded once. */
function embedderFingerprint(): Promise<string | undefined> {
  fingerprint ??= import('../src/model/embedder.js').then(async (m) => (await m.loadEmbedder(env().CLIPMATCH_MODEL)).fingerprint).catch(() => undefined);
  return fingerprint;
}

async function main(): Promise<void> {
  const cfg = env();
  try {
    setPriority(0, cfg.LIBRARY_NICE);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'could not lower the CPU priority');
  }
  const root = cfg.CLIPMATCH_LIBRARY;
  const catalog = await openCatalog(root, { create: true });
  log.info({ library: root, catalogue: catalog.backend }, 'catalogue open');
  const redis = new Redis({ ...redisOptions(cfg.REDIS_URL), maxRetriesPerRequest: 3 });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis error'));
  const blobs = new BlobStore(redis, cfg.QUEUE_PREFIX, LIBRARY_QUEUE);
  const connection = consumerConnection(cfg.REDIS_URL);
  const indexQueue = createIndexQueue(connection, cfg.QUEUE_PREFIX);

  const ops = makeLibraryOps({
    root,
    catalog,
    ingest: { threads: cfg.CLIPMATCH_THREADS },
    fetchVideo: fetchVideoToFile,
    onChanged: async () => requestIndexBuild(indexQueue, await catalog.generation(), 'the clip set changed'),
    indexVersion: async () => newestIndexVersion(root, (await embedderFingerprint()) ?? ''),
  });
  const library = await startLibraryWorker({
    connection,
    prefix: cfg.QUEUE_PREFIX,
    processor: trackBatches(makeLibraryProcessor({ ops, blobs, isCancelled: cancelFlagReader(redis, cfg.QUEUE_PREFIX, LIBRARY_QUEUE) }), catalog),
    concurrency: cfg.LIBRARY_CONCURRENCY,
    lockDurationMs: cfg.LIBRARY_LOCK_MS,
    stalledIntervalMs: Math.max(500, Math.round(cfg.LIBRARY_LOCK_MS / 2)),
    log,
  });
  // One index build at a time in this process; builds on several hosts are kept apart by the index's own lock.
  const indexer = new Worker<IndexJobData, IndexJobResult>(
    INDEX_QUEUE,
    async (job) => {
      log.info({ jobId: job.id, generation: job.data.generation, reason: job.data.reason }, 'index job started');
      const r = await buildIndexForJob({ libraryDir: root, ...(cfg.CLIPMATCH_MODEL ? { modelDir: cfg.CLIPMATCH_MODEL } : {}), threads: cfg.CLIPMATCH_THREADS });
      log.info({ jobId: job.id, ...r }, 'index job done');
      return r;
    },
    { connection, prefix: cfg.QUEUE_PREFIX, concurrency: 1, lockDuration: Math.max(cfg.LIBRARY_LOCK_MS, 60_000) },
  );
  indexer.on('error', (err) => log.warn({ err: err.message }, 'index worker connection error'));
  await indexer.waitUntilReady();
  log.info({ prefix: cfg.QUEUE_PREFIX, concurrency: cfg.LIBRARY_CONCURRENCY, nice: cfg.LIBRARY_NICE }, 'library worker ready');

  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) {
      log.warn({ sig }, 'second signal: abandoning running library jobs to other workers');
      process.exit(1);
    }
    stopping = true;
    log.info({ sig }, 'finishing running library jobs, then exiting (signal again to abandon them)');
    void Promise.all([library.close(), indexer.close()])
      .then(() => ops.close())
      .then(() => catalog.close())
      .then(() => indexQueue.close())
      .then(() => redis.quit())
      .then(() => process.exit(0));
  };
  process.on('unhandledRejection', (err) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'unhandled rejection'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // started by `npm run worker`: a parent that died (even by SIGKILL) takes this process with it
  if (process.send) process.on('disconnect', () => stop('parent gone'));
  process.on('SIGINT', () => stop('SIGINT'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    log.fatal({ err: err instanceof Error ? err.message : String(err) }, 'library worker failed to start');
    process.exit(1);
  });
}
