// A BullMQ worker for the visualize queue: runs the injected processor, turns user errors into
// UnrecoverableError (never retried), listens for Cancel on a pub/sub channel, and closes without
// losing a job (an unfinished job's lock lapses and another worker takes it over as a stalled job).
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { isUserError } from '../src/core/errors.js';
import { keys, toQueueError, VISUALIZE_QUEUE } from '../src/jobs/queue.js';
import type { VisualizeJobData, VisualizeJobResult } from '../src/jobs/jobs.types.js';
import type { Logger } from '../src/log.js';
import type { VisualizeProcessor } from './visualize.processor.js';

export interface WorkerConfig {
  connection: RedisOptions;
  prefix: string;
  processor: VisualizeProcessor;
  concurrency?: number;
  log: Logger;
  /** lock and stall timing; the defaults suit production, tests shorten them */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

export interface RunningWorker {
  worker: Worker<VisualizeJobData, VisualizeJobResult>;
  /** stops taking jobs and waits for the running ones; `force` abandons them to other workers */
  close(force?: boolean): Promise<void>;
}

export async function startVisualizeWorker(cfg: WorkerConfig): Promise<RunningWorker> {
  const { log } = cfg;
  const worker = new Worker<VisualizeJobData, VisualizeJobResult>(
    VISUALIZE_QUEUE,
    async (job, _token, signal) => {
      const jl = log.child({ jobId: job.id, attempt: job.attemptsMade + 1 });
      jl.info({ platform: job.data.platform, source: job.data.source.kind }, 'job started');
      try {
        const res = await cfg.processor(job, signal ?? new AbortController().signal);
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
  await sub.subscribe(keys.cancelChannel(cfg.prefix));
  await worker.waitUntilReady();

  return {
    worker,
    async close(force = false) {
      await worker.close(force);
      sub.disconnect();
    },
  };
}
