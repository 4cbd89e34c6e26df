// The BullMQ queue factory: connection options, job options and key names in one place, so the bot and
// every worker build identical queues from REDIS_URL + QUEUE_PREFIX.
import { Queue, QueueEvents, UnrecoverableError } from 'bullmq';
import type { ConnectionOptions, JobsOptions } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import { isUserError, UserError } from '../core/errors.js';
import type { UserErrorCode } from '../core/errors.js';
import type { JobDefinitions, JobName, Platform } from './jobs.types.js';

export const VISUALIZE_QUEUE = 'visualize';

/** ioredis options from a redis:// or rediss:// URL. */
export function redisOptions(url: string): RedisOptions {
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * Connection for producers in the bot: no offline queue, so a command fails at once when Redis is down
 * and the user hears so instead of waiting (BullMQ "failing fast when Redis is down").
 */
export function producerConnection(url: string): RedisOptions {
  return { ...redisOptions(url), enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 3000 };
}

/** Connection for workers and event listeners: these wait for Redis to come back. */
export function consumerConnection(url: string): RedisOptions {
  return { ...redisOptions(url), maxRetriesPerRequest: null };
}

export interface JobOptionsConfig {
  attempts: number;
  /** first retry delay; doubles each attempt */
  backoffMs?: number;
}

/** The options of every job, set here and nowhere else. */
export function jobOptions(name: JobName, cfg: JobOptionsConfig): JobsOptions {
  switch (name) {
    case 'visualize':
      return {
        attempts: cfg.attempts,
        backoff: { type: 'exponential', delay: cfg.backoffMs ?? 5_000 },
        // kept a while so a redelivered event with the same id finds the job and is ignored
        removeOnComplete: { age: 24 * 3600, count: 1000 },
        removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
      };
  }
}

/** Job ids come from the platform's interaction or message id: one event, one job, one answer. */
export function jobIdFor(platform: Platform, requestId: string): string {
  if (!/^[\w.-]+$/.test(requestId)) throw new Error(`unexpected request id ${JSON.stringify(requestId)}`);
  return `${platform}-${requestId}`;
}

export type VisualizeQueue = Queue<JobDefinitions['visualize']['data'], JobDefinitions['visualize']['result'], 'visualize'>;

export function createVisualizeQueue(connection: ConnectionOptions, prefix: string): VisualizeQueue {
  return new Queue(VISUALIZE_QUEUE, { connection, prefix });
}

export function createVisualizeEvents(connection: ConnectionOptions, prefix: string, lastEventId?: string): QueueEvents {
  return new QueueEvents(VISUALIZE_QUEUE, { connection, prefix, ...(lastEventId ? { lastEventId } : {}) });
}

/** Redis keys outside BullMQ's own, under the same prefix so one prefix removes everything. */
export const keys = {
  cancelChannel: (prefix: string) => `${prefix}:${VISUALIZE_QUEUE}:cancel`,
  cancelFlag: (prefix: string, jobId: string) => `${prefix}:${VISUALIZE_QUEUE}:cancelled:${jobId}`,
  claim: (prefix: string, jobId: string) => `${prefix}:${VISUALIZE_QUEUE}:claim:${jobId}`,
  delivered: (prefix: string, jobId: string) => `${prefix}:${VISUALIZE_QUEUE}:delivered:${jobId}`,
  delivering: (prefix: string, jobId: string) => `${prefix}:${VISUALIZE_QUEUE}:delivering:${jobId}`,
  lastEvent: (prefix: string) => `${prefix}:${VISUALIZE_QUEUE}:bot-last-event`,
  blob: (prefix: string, jobId: string, name: string) => `${prefix}:${VISUALIZE_QUEUE}:blob:${jobId}:${name}`,
  inflightUser: (prefix: string, p: Platform, id: string) => `${prefix}:limits:user:${p}:${id}`,
  inflightServer: (prefix: string, p: Platform, id: string) => `${prefix}:limits:server:${p}:${id}`,
  cooldown: (prefix: string, p: Platform, id: string) => `${prefix}:limits:cooldown:${p}:${id}`,
};

// A UserError crosses the queue as a failedReason string; this tag lets the bot show it as is.
const USER_TAG = /^user-error:([A-Z_]+):/;

/** Turns a UserError into BullMQ's UnrecoverableError (never retried); other errors pass through. */
export function toQueueError(err: unknown): unknown {
  if (isUserError(err)) return new UnrecoverableError(`user-error:${err.code}:${err.message}`);
  return err;
}

/** Reads a failedReason back: a UserError when it was one, otherwise undefined (a fault). */
export function userErrorFromReason(reason: string | undefined): UserError | undefined {
  const m = reason ? USER_TAG.exec(reason) : null;
  if (!m || !reason) return undefined;
  return new UserError(m[1] as UserErrorCode, reason.slice(m[0].length));
}
