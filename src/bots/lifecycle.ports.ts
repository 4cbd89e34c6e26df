// The small ports the request lifecycle (lifecycle.ts) runs on. Redis/BullMQ implement them in
// redis-ports.ts; tests implement them in memory (tests/helpers/memory-ports.ts).
import type { BlobRef, Platform, VisualizeJobData, VisualizeJobResult } from '../jobs/jobs.types.js';
import type { LimitSubject } from '../jobs/limits.js';

/** A job as the lifecycle needs to see it (a visualize job unless said otherwise). */
export interface QueuedJob<D = VisualizeJobData, R = VisualizeJobResult> {
  data: D;
  /** waiting: not started (waiting, delayed for a retry, prioritized, paused); final: completed or failed for good */
  state: 'waiting' | 'active' | 'completed' | 'failed' | 'unknown';
  result?: R;
  failedReason?: string;
}

export interface QueuePort<D = VisualizeJobData, R = VisualizeJobResult> {
  /** adds the job unless `maxWaiting` jobs already wait: the check and the add are one atomic step */
  add(jobId: string, data: D, maxWaiting: number): Promise<'added' | 'full'>;
  /** jobs waiting now (a cheap early check; add() is the binding one) */
  waitingCount(): Promise<number>;
  get(jobId: string): Promise<QueuedJob<D, R> | undefined>;
  /** removes a job that has not started; false when it has (or is gone) */
  removeWaiting(jobId: string): Promise<boolean>;
  /** ids of waiting jobs, next first */
  waitingOrder(): Promise<string[]>;
  /** asks the worker that runs the job to abort it */
  requestCancel(jobId: string): Promise<void>;
}

export interface ClaimsPort {
  /** true the first time a job id is seen: a redelivered event gets false */
  claim(jobId: string): Promise<boolean>;
  isDelivered(jobId: string): Promise<boolean>;
  /** the exclusive right to answer for a while (one bot process at a time); false when another holds it */
  beginDelivery(jobId: string): Promise<boolean>;
  /** delivered: the answer is out, never again; otherwise the right is handed back for a retry */
  endDelivery(jobId: string, delivered: boolean): Promise<void>;
  /** the last queue event handled, so a restarted bot resumes after it */
  setLastEvent(eventId: string): Promise<void>;
}

export interface BlobsPort {
  /** stores a song the bot had to download itself; returns its key */
  putInput(jobId: string, data: Buffer, contentType: string): Promise<string>;
  /** the input blob's key of a job, whether or not it exists */
  inputKey(jobId: string): string;
  saveTo(ref: Pick<BlobRef, 'key'>, path: string): Promise<void>;
  remove(...keys: string[]): Promise<void>;
}

export interface LimitsPort {
  /** takes the job's user and server slots or throws a UserError saying why not */
  acquire(s: LimitSubject): Promise<void>;
  release(s: LimitSubject): Promise<void>;
}

export interface LifecyclePorts<D = VisualizeJobData, R = VisualizeJobResult> {
  queue: QueuePort<D, R>;
  claims: ClaimsPort;
  blobs: BlobsPort;
  limits: LimitsPort;
}

/** An error of the queue's transport (connection refused, closed, timed out), as opposed to any other fault. */
export class QueueUnavailableError extends Error {
  constructor(override readonly cause: unknown) {
    super(`queue unavailable: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'QueueUnavailableError';
  }
}

/** Limits are per platform user and per server; direct messages count per user, not in one shared bucket. */
export function limitSubject(d: { platform: Platform; userId: string; serverId: string }, jobId: string): LimitSubject {
  return { platform: d.platform, userId: d.userId, serverId: d.serverId === 'dm' ? `dm-${d.userId}` : d.serverId, jobId };
}
