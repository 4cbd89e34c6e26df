// The lifecycle's ports on Redis and BullMQ. Transport failures (refused, closed, timed out) come out as
// QueueUnavailableError, so the user's message follows from the error, not from a connection's state.
import type { Job, JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BlobRef, LibraryJobData, LibraryJobResult, VisualizeJobData, VisualizeJobResult } from '../jobs/jobs.types.js';
import { BlobStore } from '../jobs/blobs.js';
import { Limits } from '../jobs/limits.js';
import type { LimitConfig, LimitWords } from '../jobs/limits.js';
import { jobOptions, keys, LIBRARY_QUEUE, VISUALIZE_QUEUE } from '../jobs/queue.js';
import type { JobOptionsConfig, LibraryQueue, QueueName, VisualizeQueue } from '../jobs/queue.js';
import { QueueUnavailableError } from './lifecycle.ports.js';
import type { BlobsPort, ClaimsPort, LifecyclePorts, LimitsPort, QueuedJob, QueuePort } from './lifecycle.ports.js';

/** Name of the song blob a bot stores for a job (sources it must download itself). */
export const INPUT_BLOB = 'input';

const TIMEOUT_MS = 5000;
const TRANSPORT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** Whether an error comes from the connection to Redis rather than from what was asked of it. */
export function isTransportError(err: unknown): boolean {
  if (err instanceof QueueUnavailableError || err instanceof TimeoutError) return true;
  const e = err as (Error & { code?: string }) | undefined;
  if (!e) return false;
  if (e.name === 'MaxRetriesPerRequestError') return true;
  if (typeof e.code === 'string' && TRANSPORT_CODES.has(e.code)) return true;
  // ioredis' own wording for a command refused because the connection is down (no error class for these)
  return /^(Connection is closed\.|Stream isn't writeable and enableOfflineQueue options is false)/.test(e.message ?? '');
}

/** Runs a Redis call with a timeout; a transport failure becomes QueueUnavailableError. */
export async function guarded<T>(p: Promise<T>, ms = TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>((_, rej) => {
        timer = setTimeout(() => rej(new TimeoutError('queue operation timed out')), ms);
        timer.unref();
      }),
    ]);
  } catch (err) {
    throw isTransportError(err) ? new QueueUnavailableError(err) : err;
  } finally {
    clearTimeout(timer);
  }
}

// KEYS: wait, paused, prioritized, delayed, reservations. ARGV: now, max, jobId, reservation ms, job key prefix.
// Counts the waiting jobs plus the adds in flight; below `max` it reserves a place for this job. A reservation
// whose job hash exists is in BullMQ's lists already (BullMQ writes the hash and the list in one script), so
// it is dropped, not counted twice.
const RESERVE = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
local pending = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[5], 0, -1)) do
  if redis.call('EXISTS', ARGV[5] .. id) == 1 then redis.call('ZREM', KEYS[5], id) else pending = pending + 1 end
end
local n = redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2]) + redis.call('ZCARD', KEYS[3]) + redis.call('ZCARD', KEYS[4]) + pending
if n >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[5], now + tonumber(ARGV[4]), ARGV[3])
redis.call('PEXPIRE', KEYS[5], tonumber(ARGV[4]))
return 1
`;

/** The part of a BullMQ queue the port uses, for either queue's job types. */
export interface BullQueue<D, R> {
  add(name: string, data: D, opts: JobsOptions): Promise<unknown>;
  getJobCounts(...types: ('waiting' | 'delayed' | 'prioritized' | 'paused')[]): Promise<Record<string, number>>;
  getJob(jobId: string): Promise<Job<D, R> | undefined>;
  getRanges(types: ('prioritized' | 'wait')[], start: number, end: number, asc: boolean): Promise<string[]>;
}

export class RedisQueuePort<D = VisualizeJobData, R = VisualizeJobResult> implements QueuePort<D, R> {
  constructor(
    private readonly queue: BullQueue<D, R>,
    private readonly redis: Redis,
    private readonly prefix: string,
    /** the queue's name (its keys) and each job's options */
    private readonly name: QueueName,
    private readonly options: (data: D) => JobsOptions,
  ) {}

  private key(name: string): string {
    return `${this.prefix}:${this.name}:${name}`;
  }

  async add(jobId: string, data: D, maxWaiting: number): Promise<'added' | 'full'> {
    // a reservation counts as waiting until the job is in BullMQ's lists
    const reservations = this.key('admission');
    const ok = await guarded(
      this.redis.eval(RESERVE, 5, this.key('wait'), this.key('paused'), this.key('prioritized'), this.key('delayed'), reservations, Date.now(), maxWaiting, jobId, 30_000, this.key('')),
    );
    if (ok !== 1) return 'full';
    try {
      await guarded(this.queue.add(this.name, data, { ...this.options(data), jobId }));
      return 'added';
    } finally {
      await this.redis.zrem(reservations, jobId).catch(() => undefined);
    }
  }

  async waitingCount(): Promise<number> {
    const counts = await guarded(this.queue.getJobCounts('waiting', 'delayed', 'prioritized', 'paused'));
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  async get(jobId: string): Promise<QueuedJob<D, R> | undefined> {
    const job = await guarded(this.queue.getJob(jobId));
    if (!job) return undefined;
    const state = await guarded(job.getState());
    const mapped: QueuedJob<D, R>['state'] =
      state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children'
        ? 'waiting'
        : state === 'active' || state === 'completed' || state === 'failed'
          ? state
          : 'unknown';
    return {
      data: job.data,
      state: mapped,
      ...(mapped === 'completed' && job.returnvalue ? { result: job.returnvalue } : {}),
      ...(job.failedReason ? { failedReason: job.failedReason } : {}),
    };
  }

  async removeWaiting(jobId: string): Promise<boolean> {
    const job = await guarded(this.queue.getJob(jobId));
    if (!job) return false;
    return job.remove().then(
      () => true,
      () => false, // locked by a worker meanwhile
    );
  }

  waitingOrder(): Promise<string[]> {
    return guarded(this.queue.getRanges(['prioritized', 'wait'], 0, -1, true));
  }

  async requestCancel(jobId: string): Promise<void> {
    await guarded(this.redis.set(keys.cancelFlag(this.prefix, jobId, this.name), '1', 'EX', 24 * 3600));
    await guarded(this.redis.publish(keys.cancelChannel(this.prefix, this.name), jobId));
  }
}

const WEEK_S = 7 * 24 * 3600;

export class RedisClaimsPort implements ClaimsPort {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly q: QueueName = VISUALIZE_QUEUE,
  ) {}
  async claim(jobId: string): Promise<boolean> {
    return (await guarded(this.redis.set(keys.claim(this.prefix, jobId, this.q), '1', 'EX', WEEK_S, 'NX'))) === 'OK';
  }
  async isDelivered(jobId: string): Promise<boolean> {
    return (await guarded(this.redis.exists(keys.delivered(this.prefix, jobId, this.q)))) === 1;
  }
  async beginDelivery(jobId: string): Promise<boolean> {
    // a lock that lapses, so a bot that dies mid-upload does not block the answer for good
    return (await guarded(this.redis.set(keys.delivering(this.prefix, jobId, this.q), '1', 'PX', 5 * 60_000, 'NX'))) === 'OK';
  }
  async endDelivery(jobId: string, delivered: boolean): Promise<void> {
    if (delivered) await guarded(this.redis.set(keys.delivered(this.prefix, jobId, this.q), 'done', 'EX', WEEK_S));
    await guarded(this.redis.del(keys.delivering(this.prefix, jobId, this.q)));
  }
  async setLastEvent(eventId: string): Promise<void> {
    await guarded(this.redis.set(keys.lastEvent(this.prefix, this.q), eventId));
  }
}

export class RedisBlobsPort implements BlobsPort {
  private readonly store: BlobStore;
  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly q: QueueName = VISUALIZE_QUEUE,
  ) {
    this.store = new BlobStore(redis, prefix, q);
  }
  async putInput(jobId: string, data: Buffer, contentType: string): Promise<string> {
    return (await guarded(this.store.putBuffer(jobId, INPUT_BLOB, data, contentType), 30_000)).key;
  }
  inputKey(jobId: string): string {
    return keys.blob(this.prefix, jobId, INPUT_BLOB, this.q);
  }
  saveTo(ref: Pick<BlobRef, 'key'>, path: string): Promise<void> {
    return guarded(this.store.saveTo(ref, path), 60_000);
  }
  remove(...k: string[]): Promise<void> {
    return guarded(this.store.remove(...k.map((key) => ({ key }))));
  }
}

export class RedisLimitsPort implements LimitsPort {
  private readonly limits: Limits;
  constructor(redis: Redis, prefix: string, cfg: LimitConfig, scope = '', words?: LimitWords) {
    this.limits = new Limits(redis, prefix, cfg, scope, words);
  }
  acquire(s: Parameters<Limits['acquire']>[0]): Promise<void> {
    return guarded(this.limits.acquire(s));
  }
  release(s: Parameters<Limits['release']>[0]): Promise<void> {
    return guarded(this.limits.release(s));
  }
}

export function redisPorts(o: { queue: VisualizeQueue; redis: Redis; prefix: string; limits: LimitConfig; jobs: JobOptionsConfig }): LifecyclePorts {
  return {
    queue: new RedisQueuePort<VisualizeJobData, VisualizeJobResult>(o.queue, o.redis, o.prefix, VISUALIZE_QUEUE, () => jobOptions('visualize', o.jobs)),
    claims: new RedisClaimsPort(o.redis, o.prefix),
    blobs: new RedisBlobsPort(o.redis, o.prefix),
    limits: new RedisLimitsPort(o.redis, o.prefix, o.limits),
  };
}

/** The library queue's ports: its own claims, delivery marks, blobs and limit slots (scope `library`). */
export function libraryRedisPorts(o: { queue: LibraryQueue; redis: Redis; prefix: string; limits: LimitConfig; jobs: JobOptionsConfig }): LifecyclePorts<LibraryJobData, LibraryJobResult> {
  return {
    queue: new RedisQueuePort<LibraryJobData, LibraryJobResult>(o.queue, o.redis, o.prefix, LIBRARY_QUEUE, (data) => jobOptions('library', o.jobs, data)),
    claims: new RedisClaimsPort(o.redis, o.prefix, LIBRARY_QUEUE),
    blobs: new RedisBlobsPort(o.redis, o.prefix, LIBRARY_QUEUE),
    limits: new RedisLimitsPort(o.redis, o.prefix, o.limits, LIBRARY_QUEUE, { one: 'a library request', many: 'library requests' }),
  };
}
