// The bot's request lifecycles on Redis: the platform-neutral lifecycles (lifecycle.ts for /visualize,
// library.lifecycle.ts for /library) over the Redis/BullMQ ports (redis-ports.ts), each fed by its queue's
// events (progress and results are pushed, never polled). A watchdog compares the jobs each follows with its
// queue after every reconnect and every `watchdogMs`, so a job Redis lost is still answered and its slots freed.
import type { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobProgress, LibraryJobData, LibraryJobResult } from '../jobs/jobs.types.js';
import type { LimitConfig } from '../jobs/limits.js';
import type { LibraryQueue, VisualizeQueue } from '../jobs/queue.js';
import type { Logger } from '../log.js';
import type { FilePublisher } from './files.server.js';
import type { JobLifecycle, StatusUI } from './job-lifecycle.js';
import { LibraryLifecycle } from './library.lifecycle.js';
import type { LibraryLifecycleConfig } from './library.lifecycle.js';
import { RequestLifecycle } from './lifecycle.js';
import type { LifecycleConfig, LifecyclePorts } from './lifecycle.js';
import { libraryRedisPorts, redisPorts } from './redis-ports.js';

export type { IntakeRequest, LocalFile, RecoverFn, ReplyUI, ResultView, SubmitOutcome, VisualizeRequest } from './lifecycle.js';
export type { LibraryUI } from './library.lifecycle.js';
export { INPUT_BLOB } from './redis-ports.js';

export interface CoreConfig extends LifecycleConfig {
  limits: LimitConfig;
  attempts: number;
  backoffMs?: number;
  /** ms between two watchdog rounds (default one minute) */
  watchdogMs?: number;
}

export interface CoreDeps {
  queue: VisualizeQueue;
  events: QueueEvents;
  /** fail-fast connection (no offline queue) for limits, claims, blobs and cancel messages */
  redis: Redis;
  prefix: string;
  config: CoreConfig;
  log: Logger;
  files?: FilePublisher;
  /** replaces the Redis ports (tests that inject faults) */
  ports?: Partial<LifecyclePorts>;
}

/** Feeds a lifecycle from its queue's events and runs its watchdog; returns what stops both. */
function attach<D, R, U extends StatusUI>(lc: JobLifecycle<D, R, U>, events: QueueEvents, redis: Redis, watchdogMs = 60_000): () => void {
  events.on('progress', ({ jobId, data }) => lc.progress(jobId, data as unknown as JobProgress));
  events.on('active', ({ jobId }) => lc.active(jobId));
  events.on('waiting', () => lc.waiting());
  events.on('completed', ({ jobId, returnvalue }, id) => void lc.completed(jobId, returnvalue as unknown as R, id));
  events.on('failed', ({ jobId, failedReason }, id) => void lc.failed(jobId, failedReason, id));
  // 'ready' follows every (re)connect; the first one finds nothing tracked yet
  const onReady = () => void lc.watchdog();
  redis.on('ready', onReady);
  const timer = setInterval(() => void lc.watchdog(), watchdogMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    redis.off('ready', onReady);
  };
}

export class VisualizeCore extends RequestLifecycle {
  private readonly off: () => void;

  constructor(d: CoreDeps) {
    const ports = { ...redisPorts({ queue: d.queue, redis: d.redis, prefix: d.prefix, limits: d.config.limits, jobs: d.config }), ...d.ports };
    super(ports, d.config, d.log, d.files);
    this.off = attach(this, d.events, d.redis, d.config.watchdogMs);
  }

  override close(): void {
    this.off();
    super.close();
  }
}

export interface LibraryCoreConfig extends LibraryLifecycleConfig {
  limits: LimitConfig;
  attempts: number;
  backoffMs?: number;
  watchdogMs?: number;
}

export interface LibraryCoreDeps {
  queue: LibraryQueue;
  events: QueueEvents;
  redis: Redis;
  prefix: string;
  config: LibraryCoreConfig;
  log: Logger;
  ports?: Partial<LifecyclePorts<LibraryJobData, LibraryJobResult>>;
}

/** /library on the library queue: its own claims, delivery marks and limit slots. */
export class LibraryCore extends LibraryLifecycle {
  private readonly off: () => void;

  constructor(d: LibraryCoreDeps) {
    const ports = { ...libraryRedisPorts({ queue: d.queue, redis: d.redis, prefix: d.prefix, limits: d.config.limits, jobs: d.config }), ...d.ports };
    super(ports, d.config, d.log);
    this.off = attach(this, d.events, d.redis, d.config.watchdogMs);
  }

  override close(): void {
    this.off();
    super.close();
  }
}
