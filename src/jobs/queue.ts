// The BullMQ queue factory: connection options, job options and key names in one place, so the bot and
// every worker build identical queues from REDIS_URL + QUEUE_PREFIX.
import { Queue, QueueEvents, UnrecoverableError } from 'bullmq';
import type { ConnectionOptions, JobsOptions } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import { isUserError, UserError } from '../core/errors.js';
import type { UserErrorCode } from '../core/errors.js';
import type { IndexJobData, IndexJobResult, JobDefinitions, JobName, LibraryJobData, Platform } from './jobs.types.js';

export const VISUALIZE_QUEUE = 'visualize';
/** Ingest, stats and remove: a queue of its own, so its workers (and their concurrency) are apart from visualize's. */
export const LIBRARY_QUEUE = 'library';
/** Index builds after ingest or removal: one queue, one build at a time per worker, never per worker twice. */
export const INDEX_QUEUE = 'index';
export type QueueName = typeof VISUALIZE_QUEUE | typeof LIBRARY_QUEUE;

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

/**
 * Library jobs by urgency (BullMQ takes jobs without a priority first, then priority 1, 2, ...): an admin's
 * stats or remove first, an admin's add next, a batch queued from the command line last.
 */
export const LIBRARY_PRIORITY = { chatAdd: 1, batch: 10 } as const;

/** The options of every job, set here and nowhere else (`data` gives a library job its priority). */
export function jobOptions(name: JobName, cfg: JobOptionsConfig, data?: LibraryJobData): JobsOptions {
  const base = {
    attempts: cfg.attempts,
    backoff: { type: 'exponential', delay: cfg.backoffMs ?? 5_000 },
    // kept a while so a redelivered event with the same id finds the job and is ignored
    removeOnComplete: { age: 24 * 3600, count: 1000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
  } satisfies JobsOptions;
  switch (name) {
    case 'visualize':
      return base;
    case 'library':
      if (data?.op !== 'ingest') return base;
      return { ...base, priority: data.requester ? LIBRARY_PRIORITY.chatAdd : LIBRARY_PRIORITY.batch };
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

export type LibraryQueue = Queue<JobDefinitions['library']['data'], JobDefinitions['library']['result'], 'library'>;

/** The library queue, under the same prefix as the visualize queue (one prefix, one deployment). */
export function createLibraryQueue(connection: ConnectionOptions, prefix: string): LibraryQueue {
  return new Queue(LIBRARY_QUEUE, { connection, prefix });
}

export type IndexQueue = Queue<IndexJobData, IndexJobResult, 'index'>;

export function createIndexQueue(connection: ConnectionOptions, prefix: string): IndexQueue {
  return new Queue(INDEX_QUEUE, { connection, prefix });
}

/**
 * Asks for an index build at catalogue generation `generation`. One job id per generation: many videos
 * landing together ask once each, and a build that finds the index already at (or past) that generation
 * returns at once; the short delay lets a burst of commits share one build.
 */
export async function requestIndexBuild(queue: IndexQueue, generation: number, reason: string): Promise<void> {
  await queue.add('index', { v: 1, generation, reason, requestedAt: Date.now() }, {
    jobId: `index-g${generation}`,
    delay: 2_000,
    attempts: 3,
    backoff: { type: 'exponential', delay: 10_000 },
    removeOnComplete: { age: 24 * 3600, count: 200 },
    removeOnFail: { age: 7 * 24 * 3600, count: 200 },
  });
}

export function createLibraryEvents(connection: ConnectionOptions, prefix: string, lastEventId?: string): QueueEvents {
  return new QueueEvents(LIBRARY_QUEUE, { connection, prefix, ...(lastEventId ? { lastEventId } : {}) });
}

/**
 * Redis keys outside BullMQ's own, under the same prefix so one prefix removes everything. Per-queue keys
 * take the queue (visualize by default); limits take a scope ('' for visualize, 'library' for admins).
 */
export const keys = {
  cancelChannel: (prefix: string, q: QueueName = VISUALIZE_QUEUE) => `${prefix}:${q}:cancel`,
  cancelFlag: (prefix: string, jobId: string, q: QueueName = VISUALIZE_QUEUE) => `${prefix}:${q}:cancelled:${jobId}`,
  claim: (prefix: string, jobId: string, q: QueueName = VISUALIZE_QUEUE) => `${prefix}:${q}:claim:${jobId}`,
  delivered: (prefix: string, jobId: string, q: QueueName = VISUALIZE_QUEUE) => `${prefix}:${q}:delivered:${jobId}`,
  delivering: (prefix: string, jobId: string, q: QueueName = VISUALIZE_QUEUE) => `${prefix}:${q}:delivering:${jobId}`,
  lastEvent: (prefix: string, q: QueueName = VISUALIZE_QUEUE) => `${prefix}:${q}:bot-last-event`,
  blob: (prefix: string, jobId: string, name: string, q: QueueName = VISUALIZE_QUEUE) => `${prefix}:${q}:blob:${jobId}:${name}`,
  inflightUser: (prefix: string, p: Platform, id: string, scope = '') => `${prefix}:limits:${scope && `${scope}:`}user:${p}:${id}`,
  inflightServer: (prefix: string, p: Platform, id: string, scope = '') => `${prefix}:limits:${scope && `${scope}:`}server:${p}:${id}`,
  cooldown: (prefix: string, p: Platform, id: string, scope = '') => `${prefix}:limits:${scope && `${scope}:`}cooldown:${p}:${id}`,
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
