// The one core behind every platform: checks limits, enqueues, follows the job through QueueEvents
// (progress and results are pushed, never polled) and renders the outcome through a platform's ReplyUI.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { isUserError, UserError } from '../core/errors.js';
import type { Aspect, ClipHit } from '../core/visualize.types.js';
import { BlobStore } from '../jobs/blobs.js';
import type { AudioSource, JobProgress, Platform, ReplyTarget, VisualizeJobData, VisualizeJobResult } from '../jobs/jobs.types.js';
import { Limits } from '../jobs/limits.js';
import type { LimitConfig } from '../jobs/limits.js';
import { jobIdFor, jobOptions, keys, userErrorFromReason } from '../jobs/queue.js';
import type { VisualizeQueue } from '../jobs/queue.js';
import type { Logger } from '../log.js';
import type { FilePublisher } from './files.server.js';
import { MESSAGES, mb } from './render.js';
import type { StatusView } from './render.js';
import { Tracker } from './tracker.js';

export interface VisualizeRequest {
  platform: Platform;
  /** interaction or message id: a redelivered event carries the same one */
  requestId: string;
  userId: string;
  serverId: string;
  channelId: string;
  source?: AudioSource;
  aspect?: Aspect;
  /** already claimed through claim() by an adapter that must post before submitting */
  claimed?: boolean;
}

export interface LocalFile {
  path: string;
  name: string;
  bytes: number;
}

export interface ResultView {
  jobId: string;
  closest: ClipHit[];
  farthest: ClipHit[];
  at: number;
  duration: number;
  sheet: LocalFile;
  /** attached when it fits the channel's upload limit */
  video?: LocalFile;
  /** otherwise a link served by the bot */
  videoLink?: string;
  /** otherwise why there is neither */
  videoNote?: string;
}

/** What a platform adapter provides for one request: where and how to answer. */
export interface ReplyUI {
  readonly target: ReplyTarget;
  /** bytes per file this channel accepts, as the platform reports it */
  readonly uploadLimitBytes: number;
  status(view: StatusView, jobId: string): Promise<void>;
  result(view: ResultView): Promise<void>;
  error(message: string): Promise<void>;
}

export interface CoreConfig {
  limits: LimitConfig;
  maxAudioBytes: number;
  maxQueue: number;
  attempts: number;
  backoffMs?: number;
  /** minimum ms between two progress edits of one reply */
  editEveryMs: number;
  workDir: string;
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
  /** rebuilds a reply after a bot restart, from what the job stored */
  recover?: (data: VisualizeJobData) => ReplyUI | undefined;
}

/** Name of the song blob a bot stores for a job (sources it must download itself). */
export const INPUT_BLOB = 'input';

export type SubmitOutcome = 'queued' | 'duplicate' | 'refused';

const QUEUE_TIMEOUT_MS = 5000;
const withTimeout = <T>(p: Promise<T>, ms = QUEUE_TIMEOUT_MS): Promise<T> =>
  Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error('queue operation timed out')), ms).unref())]);

export class VisualizeCore {
  private readonly limits: Limits;
  private readonly blobs: BlobStore;
  private readonly tracker: Tracker;

  constructor(private readonly d: CoreDeps) {
    this.limits = new Limits(d.redis, d.prefix, d.config.limits);
    this.blobs = new BlobStore(d.redis, d.prefix);
    this.tracker = new Tracker(d.config.editEveryMs, d.log);
    d.events.on('progress', ({ jobId, data }) => this.tracker.progress(jobId, data as unknown as JobProgress));
    d.events.on('active', ({ jobId }) => {
      this.tracker.progress(jobId, { stage: 'downloading' });
      void this.refreshPositions();
    });
    d.events.on('waiting', () => void this.refreshPositions());
    d.events.on('completed', ({ jobId, returnvalue }, id) =>
      void this.finish(jobId, id, (ui, data) => this.deliver(jobId, ui, data, returnvalue as unknown as VisualizeJobResult)),
    );
    d.events.on('failed', ({ jobId, failedReason }, id) =>
      void this.finish(jobId, id, (ui) => ui.error(this.failureMessage(jobId, failedReason))),
    );
  }

  /** Acknowledged already by the adapter: validate, check limits, enqueue, show the queue position. */
  async submit(req: VisualizeRequest, ui: ReplyUI): Promise<SubmitOutcome> {
    const jobId = jobIdFor(req.platform, req.requestId);
    const subject = { platform: req.platform, userId: req.userId, serverId: req.serverId, jobId };
    let acquired = false;
    try {
      const source = this.validate(req);
      if (!req.claimed && !(await this.claim(req.platform, req.requestId))) return 'duplicate';
      const counts = await withTimeout(this.d.queue.getJobCounts('waiting', 'delayed', 'prioritized', 'paused'));
      const queued = Object.values(counts).reduce((a, b) => a + b, 0);
      if (queued >= this.d.config.maxQueue) throw new UserError('BUSY', MESSAGES.busy);
      await this.limits.acquire(subject);
      acquired = true;
      const data: VisualizeJobData = {
        v: 1,
        platform: req.platform,
        requestId: req.requestId,
        userId: req.userId,
        serverId: req.serverId,
        source,
        ...(req.aspect ? { aspect: req.aspect } : {}),
        reply: ui.target,
        requestedAt: Date.now(),
      };
      this.tracker.track(jobId, ui, subject);
      await withTimeout(this.d.queue.add('visualize', data, { ...jobOptions('visualize', this.d.config), jobId }));
      this.d.log.info({ jobId, platform: req.platform, source: source.kind }, 'queued');
      await this.refreshPositions();
      // the requester sees the queued status (and position) before submit returns
      await this.tracker.idle(jobId);
      return 'queued';
    } catch (err) {
      this.tracker.forget(jobId);
      if (acquired) await this.limits.release(subject).catch(() => undefined);
      if (isUserError(err)) {
        await ui.error(err.message);
      } else {
        this.d.log.error({ jobId, err: (err as Error).message }, 'could not enqueue');
        await ui.error(this.d.redis.status === 'ready' ? MESSAGES.fault : MESSAGES.queueDown);
      }
      return 'refused';
    }
  }

  /** First sight of a request id? A redelivered event (same id) gets false and must post nothing. */
  async claim(platform: Platform, requestId: string): Promise<boolean> {
    const key = keys.claim(this.d.prefix, jobIdFor(platform, requestId));
    return (await this.d.redis.set(key, '1', 'EX', 7 * 24 * 3600, 'NX')) === 'OK';
  }

  /** Stores a song the bot had to download itself (e.g. with its Slack token) for the worker to read. */
  async stageInput(platform: Platform, requestId: string, data: Buffer, contentType: string): Promise<string> {
    const ref = await this.blobs.putBuffer(jobIdFor(platform, requestId), INPUT_BLOB, data, contentType);
    return ref.key;
  }

  /** The Cancel button: only the requester; a waiting job is removed, a running one is aborted. */
  async cancel(jobId: string, byUserId: string): Promise<string> {
    const job = await withTimeout(this.d.queue.getJob(jobId));
    if (!job || job.finishedOn) return MESSAGES.alreadyDone;
    if (job.data.userId !== byUserId) return MESSAGES.notYours;
    const state = await job.getState();
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
      const removed = await job.remove().then(
        () => true,
        () => false,
      );
      if (removed) {
        await this.finish(jobId, undefined, (ui) => ui.error(MESSAGES.cancelled));
        return MESSAGES.cancelled;
      }
    }
    await this.d.redis.set(keys.cancelFlag(this.d.prefix, jobId), '1', 'EX', 24 * 3600);
    await this.d.redis.publish(keys.cancelChannel(this.d.prefix), jobId);
    return MESSAGES.cancelling;
  }

  /** Queue positions of tracked jobs still waiting, refreshed when the queue moves. */
  private async refreshPositions(): Promise<void> {
    if (!this.tracker.anyQueued()) return;
    try {
      const ids = await withTimeout(this.d.queue.getRanges(['prioritized', 'wait'], 0, -1, true));
      ids.forEach((id, i) => this.tracker.queued(id, i + 1));
    } catch (err) {
      this.d.log.debug({ err: (err as Error).message }, 'queue positions unavailable');
    }
  }

  private validate(req: VisualizeRequest): AudioSource {
    const s = req.source;
    if (!s) throw new UserError('BAD_INPUT', MESSAGES.noSource);
    if (s.kind === 'url') {
      let u: URL;
      try {
        u = new URL(s.url);
      } catch {
        throw new UserError('BAD_URL', "That doesn't look like a link.");
      }
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new UserError('BAD_URL', 'Only http(s) links are accepted.');
    } else if (s.bytes !== undefined && s.bytes > this.d.config.maxAudioBytes) {
      throw new UserError('TOO_LARGE', `That file is ${mb(s.bytes)}; the limit is ${mb(this.d.config.maxAudioBytes)}.`);
    }
    if (s.kind === 'attachment' && s.contentType && !/^(audio|video)\//.test(s.contentType)) {
      throw new UserError('NOT_AUDIO', `That file (${s.contentType}) is not audio.`);
    }
    return s;
  }

  /** Runs a job's final answer exactly once, whichever bot process or replayed event gets here first. */
  private async finish(
    jobId: string,
    eventId: string | undefined,
    answer: (ui: ReplyUI, data: VisualizeJobData | undefined) => Promise<void>,
  ): Promise<void> {
    const log = this.d.log.child({ jobId });
    try {
      const first = await this.d.redis.set(keys.delivered(this.d.prefix, jobId), '1', 'EX', 7 * 24 * 3600, 'NX');
      if (first !== 'OK') return;
      const live = this.tracker.finish(jobId);
      const data = live ? undefined : (await this.d.queue.getJob(jobId))?.data;
      const ui = live?.ui ?? (data ? this.d.recover?.(data) : undefined);
      const subject = live?.subject ?? (data ? { ...data, jobId } : undefined);
      if (subject) await this.limits.release(subject);
      await this.d.redis.del(keys.blob(this.d.prefix, jobId, INPUT_BLOB));
      if (!ui) {
        log.warn('no reply target for a finished job (not ours, or the platform is not configured)');
        return;
      }
      await live?.idle;
      await answer(ui, data);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'could not deliver the answer');
    } finally {
      if (eventId) await this.d.redis.set(keys.lastEvent(this.d.prefix), eventId).catch(() => undefined);
    }
  }

  private failureMessage(jobId: string, reason: string | undefined): string {
    const ue = userErrorFromReason(reason);
    if (ue) return ue.code === 'CANCELLED' ? MESSAGES.cancelled : ue.message;
    this.d.log.warn({ jobId, reason }, 'job failed for good');
    return MESSAGES.fault;
  }

  private async deliver(jobId: string, ui: ReplyUI, _data: VisualizeJobData | undefined, r: VisualizeJobResult): Promise<void> {
    await ui.status({ stage: 'uploading' }, jobId).catch(() => undefined);
    await mkdir(this.d.config.workDir, { recursive: true });
    const dir = await mkdtemp(join(this.d.config.workDir, 'result-'));
    try {
      const sheet: LocalFile = { path: join(dir, r.sheet.name), name: r.sheet.name, bytes: r.sheet.bytes };
      const video: LocalFile = { path: join(dir, r.video.name), name: r.video.name, bytes: r.video.bytes };
      await this.blobs.saveTo(r.sheet, sheet.path);
      await this.blobs.saveTo(r.video, video.path);
      const base = { jobId, closest: r.closest, farthest: r.farthest, at: r.at, duration: r.duration, sheet };
      const link = async (): Promise<Partial<ResultView>> =>
        this.d.files
          ? { videoLink: await this.d.files.publish(video.path, video.name) }
          : { videoNote: `The video is ${mb(video.bytes)}, over this channel's ${mb(ui.uploadLimitBytes)} upload limit.` };
      const fits = video.bytes + sheet.bytes <= ui.uploadLimitBytes;
      try {
        await ui.result({ ...base, ...(fits ? { video } : await link()) });
      } catch (err) {
        // the platform refused the upload after all (limits change): fall back to a link once
        if (!fits) throw err;
        this.d.log.warn({ jobId, err: (err as Error).message }, 'upload refused; sending a link instead');
        await ui.result({ ...base, ...(await link()) });
      }
      await this.blobs.remove(r.sheet, r.video);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
