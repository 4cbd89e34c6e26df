// BullMQ workers for the visualize and the library queue: each runs its injected processor, turns user
// errors into UnrecoverableError (never retried), listens for Cancel on its queue's pub/sub channel, and
// closes without losing a job (an unfinished job's lock lapses and another worker takes it over as a
// stalled job). One process may run both, each with its own concurrency.
import { Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { isUserError } from '../src/core/errors.js';
import { keys, LIBRARY_QUEUE, toQueueError, VISUALIZE_QUEUE } from '../src/jobs/queue.js';
import type { QueueName } from '../src/jobs/queue.js';
import type { LibraryJobData, LibraryJobResult, VisualizeJobData, VisualizeJobResult } from '../src/jobs/jobs.types.js';
import type { Logger } from '../src/log.js';
import type { LibraryProcessor } from './library.processor.js';
import type { VisualizeProcessor } from './visualize.processor.js';

interface QueueWorkerConfig {
  connection: RedisOptions;
  prefix: string;
  concurrency?: number;
  log: Logger;
  /** lock and stall timing; the defaults suit production, tests shorten them */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

export interface WorkerConfig extends QueueWorkerConfig {
  processor: VisualizeProcessor;
}

/** The library queue's worker: LIBRARY_CONCURRENCY jobs at once (default 1), apart from visualize's. */
export interface LibraryWorkerConfig extends QueueWorkerConfig {
  processor: LibraryProcessor;
}

export interface RunningWorker<D = VisualizeJobData, R = VisualizeJobResult> {
  worker: Worker<D, R>;
  /** stops taking jobs and waits for the running ones; `force` abandons them to other workers */
  close(force?: boolean): Promise<void>;
}

export function startVisualizeWorker(cfg: WorkerConfig): Promise<RunningWorker> {
  return startQueueWorker<VisualizeJobData, VisualizeJobResult>(VISUALIZE_QUEUE, cfg, cfg.processor, (job) => ({ platform: job.data.platform, source: job.data.source.kind }));
}

/** A processor's `isCancelled`: whether the Cancel button's flag (the bot's requestCancel) is set for a job of `queue`. */
export function cancelFlagReader(redis: Pick<Redis, 'exists'>, prefix: string, queue: QueueName): (jobId: string) => Promise<boolean> {
  return async (jobId) => (await redis.exists(keys.cancelFlag(prefix, jobId, queue))) === 1;
}

export function startLibraryWorker(cfg: LibraryWorkerConfig): Promise<RunningWorker<LibraryJobData, LibraryJobResult>> {
  return startQueueWorker<LibraryJobData, LibraryJobResult>(LIBRARY_QUEUE, cfg, cfg.processor, (job) => ({
    op: job.data.op,
    ...(job.data.requester ? { platform: job.data.requester.platform } : {}),
    ...(job.data.op === 'ingest' ? { batchId: job.data.batchId, source: job.data.source.kind } : {}),
  }));
}

async function startQueueWorker<D, R>(
  name: QueueName,
  cfg: QueueWorkerConfig,
  processor: (job: Job<D, R>, signal: AbortSignal) => Promise<R>,
  describe: (job: Job<D, R>) => Record<string, unknown>,
): Promise<RunningWorker<D, R>> {
  const log = cfg.log.child({ queue: name });
  const worker = new Worker<D, R>(
    name,
    async (job, _token, signal) => {
      const jl = log.child({ jobId: job.id, attempt: job.attemptsMade + 1 });
      jl.info(describe(job), 'job started');
      try {
        const res = await processor(job, signal ?? new AbortController().signal);
        jl.info('job done');
        return res;
      } catch (err) {
        if (isUserError(err)) jl.info({ code: err.code }, `job refused: ${err.message}`);
        else jl.error({ err }, 'job failed; it will be retried if attempts remain');
        throw toQueueError(err);
      }
    },
    {
      connection: cfg.connection,
      prefix: cfg.prefix,
      concurrency: cfg.concurrency ?? 1,
      ...(cfg.lockDurationMs ? { lockDuration: cfg.lockDurationMs } : {}),
      ...(cfg.stalledIntervalMs ? { stalledInterval: cfg.stalledIntervalMs } : {}),
      maxStalledCount: 2,
    },
  );
  worker.on('error', (err) => log.warn({ err: err.message }, 'worker connection error'));
  worker.on('stalled', (jobId) => log.warn({ jobId }, 'took over a stalled job'));

  const sub = new Redis({ ...cfg.connection, maxRetriesPerRequest: null, lazyConnect: true });
  sub.on('error', (err) => log.warn({ err: err.message }, 'cancel channel error'));
  sub.on('message', (_channel, jobId: string) => {
    if (worker.cancelJob(jobId, 'cancelled by the requester')) log.info({ jobId }, 'cancelling job');
  });
  await sub.connect();
  await sub.subscribe(keys.cancelChannel(cfg.prefix, name));
  await worker.waitUntilReady();

  return {
    worker,
    async close(force = false) {
      await worker.close(force);
      sub.disconnect();
    },
  };
}
