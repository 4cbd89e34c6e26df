// The bot's request lifecycle on Redis: the platform-neutral RequestLifecycle (lifecycle.ts) over the
// Redis/BullMQ ports (redis-ports.ts), fed by the queue's events (progress and results are pushed, never
// polled). A watchdog compares the jobs this process follows with the queue after every reconnect and
// every `watchdogMs`, so a job Redis lost is still answered and its slots freed.
import type { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobProgress, VisualizeJobResult } from '../jobs/jobs.types.js';
import type { LimitConfig } from '../jobs/limits.js';
import type { VisualizeQueue } from '../jobs/queue.js';
import type { Logger } from '../log.js';
import type { FilePublisher } from './files.server.js';
import { RequestLifecycle } from './lifecycle.js';
import type { LifecycleConfig, LifecyclePorts } from './lifecycle.js';
import { redisPorts } from './redis-ports.js';

export type { IntakeRequest, LocalFile, RecoverFn, ReplyUI, ResultView, SubmitOutcome, VisualizeRequest } from './lifecycle.js';
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

export class VisualizeCore extends RequestLifecycle {
  private readonly timer: NodeJS.Timeout;
  private readonly off: () => void;
  private readonly onReady = () => void this.watchdog();

  constructor(d: CoreDeps) {
    const ports = { ...redisPorts({ queue: d.queue, redis: d.redis, prefix: d.prefix, limits: d.config.limits, jobs: d.config }), ...d.ports };
    super(ports, d.config, d.log, d.files);
    d.events.on('progress', ({ jobId, data }) => this.progress(jobId, data as unknown as JobProgress));
    d.events.on('active', ({ jobId }) => this.active(jobId));
    d.events.on('waiting', () => this.waiting());
    d.events.on('completed', ({ jobId, returnvalue }, id) => void this.completed(jobId, returnvalue as unknown as VisualizeJobResult, id));
    d.events.on('failed', ({ jobId, failedReason }, id) => void this.failed(jobId, failedReason, id));
    // 'ready' follows every (re)connect; the first one finds nothing tracked yet
    d.redis.on('ready', this.onReady);
    this.off = () => d.redis.off('ready', this.onReady);
    this.timer = setInterval(() => void this.watchdog(), d.config.watchdogMs ?? 60_000);
    this.timer.unref();
  }

  override close(): void {
    clearInterval(this.timer);
    this.off();
    super.close();
  }
}
