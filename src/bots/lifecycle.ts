// One request's life, the same for every platform: intake (claim, validation, limits, staging, enqueue),
// cancel, progress and delivery. It runs on small ports (lifecycle.ports.ts) and a platform's ReplyUI;
// adapters only turn an event into a VisualizeRequest and a UI. Every accepted request gets exactly one
// final answer: delivery is retried until it succeeds (then marked done), and a watchdog answers jobs the
// queue lost (a Redis restart without persistence) and frees their slots.
import { randomInt } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isUserError, UserError } from '../core/errors.js';
import type { ClipHit } from '../core/visualize.types.js';
import type { AudioSource, JobProgress, Platform, ReplyTarget, VisualizeJobData, VisualizeJobResult, VisualizeRequest } from '../jobs/jobs.types.js';
import { jobIdFor, userErrorFromReason } from '../jobs/queue.js';
import type { Logger } from '../log.js';
import type { FilePublisher } from './files.server.js';
import { limitSubject, QueueUnavailableError } from './lifecycle.ports.js';
import type { LifecyclePorts } from './lifecycle.ports.js';
export type { LifecyclePorts } from './lifecycle.ports.js';
import { MESSAGES, mb } from './render.js';
import type { StatusView } from './render.js';
import { Tracker } from './tracker.js';

export type { VisualizeRequest } from '../jobs/jobs.types.js';

/** A request plus what only the adapter can do for it. */
export interface IntakeRequest extends VisualizeRequest {
  /**
   * For attachments only the bot can read (Slack private files): fetches the bytes. Called after the
   * limits passed; the bytes are staged for the worker and removed again if the request is refused.
   */
  download?: (source: Extract<AudioSource, { kind: 'attachment' }>) => Promise<Buffer>;
}

export interface LocalFile {
  path: string;
  name: string;
  bytes: number;
}

export interface ResultView {
  jobId: string;
  /** who asked: only they get Another take */
  requesterId?: string;
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
  /** bytes per answer (video + sheet) this channel accepts, as the platform reports it */
  readonly uploadLimitBytes: number;
  status(view: StatusView, jobId: string): Promise<void>;
  result(view: ResultView): Promise<void>;
  error(message: string): Promise<void>;
}

export interface LifecycleConfig {
  maxAudioBytes: number;
  maxQueue: number;
  /** minimum ms between two progress edits of one reply */
  editEveryMs: number;
  workDir: string;
  /** render to the worker's cap and link what does not fit, instead of rendering to fit (needs files) */
  linkLargeVideos?: boolean;
  /** delivery attempts before the user is told it failed, and the first retry delay (doubling) */
  deliveryAttempts?: number;
  deliveryRetryMs?: number;
}

export type SubmitOutcome = 'queued' | 'duplicate' | 'refused';

/** Rebuilds a reply after a bot restart, from what the job stored. */
export type RecoverFn = (data: VisualizeJobData) => ReplyUI | undefined;

/** Gives the final answer through `ui`; `requesterId` is who asked (for the Another take button). */
type Answer = (ui: ReplyUI, requesterId: string | undefined) => Promise<void>;

export class RequestLifecycle {
  protected readonly tracker: Tracker;
  private readonly recoverers = new Map<Platform, RecoverFn>();
  private readonly retries = new Map<NodeJS.Timeout, () => void>();
  /** answers being given or waiting for a retry */
  private readonly inflight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly ports: LifecyclePorts,
    private readonly config: LifecycleConfig,
    private readonly log: Logger,
    private readonly files?: FilePublisher,
  ) {
    this.tracker = new Tracker(config.editEveryMs, log);
  }

  /** An adapter registers how to answer its platform's jobs that this process does not track. */
  onRecover(platform: Platform, fn: RecoverFn): void {
    this.recoverers.set(platform, fn);
  }

  // ---- intake ----

  /** Acknowledged already by the adapter: validate, check limits, stage, enqueue, show the queue position. */
  async submit(req: IntakeRequest, ui: ReplyUI): Promise<SubmitOutcome> {
    const jobId = jobIdFor(req.platform, req.requestId);
    const subject = limitSubject(req, jobId);
    let acquired = false;
    let staged: string | undefined;
    try {
      let source = this.validate(req);
      if (!req.claimed && !(await this.ports.claims.claim(jobId))) return 'duplicate';
      // cheap checks first, so nothing is downloaded or stored for a request that is refused anyway
      if ((await this.ports.queue.waitingCount()) >= this.config.maxQueue) throw new UserError('BUSY', MESSAGES.busy);
      await this.ports.limits.acquire(subject);
      acquired = true;
      if (req.download && source.kind === 'attachment') {
        const bytes = await req.download(source);
        if (bytes.length > this.config.maxAudioBytes) throw tooLarge(bytes.length, this.config.maxAudioBytes);
        staged = await this.ports.blobs.putInput(jobId, bytes, source.contentType ?? 'application/octet-stream');
        // the URL stays with the job: Another take downloads it again
        source = { kind: 'blob', key: staged, name: source.name, bytes: bytes.length, url: source.url };
      }
      const data: VisualizeJobData = {
        v: 1,
        platform: req.platform,
        requestId: req.requestId,
        userId: req.userId,
        serverId: req.serverId,
        source,
        ...(req.aspect ? { aspect: req.aspect } : {}),
        ...(req.seed !== undefined ? { seed: req.seed } : {}),
        reply: ui.target,
        requestedAt: Date.now(),
        uploadLimitBytes: ui.uploadLimitBytes,
        fitUpload: !(this.config.linkLargeVideos && this.files),
      };
      this.tracker.track(jobId, ui, subject);
      if ((await this.ports.queue.add(jobId, data, this.config.maxQueue)) === 'full') throw new UserError('BUSY', MESSAGES.busy);
      this.tracker.enqueued(jobId);
      this.log.info({ jobId, platform: req.platform, source: source.kind }, 'queued');
      await this.refreshPositions();
      // the requester sees the queued status (and position) before submit returns
      await this.tracker.idle(jobId);
      return 'queued';
    } catch (err) {
      this.tracker.forget(jobId);
      if (acquired) await this.ports.limits.release(subject).catch(() => undefined);
      if (staged) await this.ports.blobs.remove(staged).catch(() => undefined);
      if (isUserError(err)) {
        await ui.error(err.message);
      } else {
        this.log.error({ jobId, err: (err as Error).message }, 'could not enqueue');
        await ui.error(err instanceof QueueUnavailableError ? MESSAGES.queueDown : MESSAGES.fault);
      }
      return 'refused';
    }
  }

  /** First sight of a request id? A redelivered event (same id) gets false and must post nothing. */
  claim(platform: Platform, requestId: string): Promise<boolean> {
    return this.ports.claims.claim(jobIdFor(platform, requestId));
  }

  private validate(req: IntakeRequest): AudioSource {
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
    } else if (s.bytes !== undefined && s.bytes > this.config.maxAudioBytes) {
      throw tooLarge(s.bytes, this.config.maxAudioBytes);
    }
    if (s.kind === 'attachment' && s.contentType && !/^(audio|video)\//.test(s.contentType)) {
      throw new UserError('NOT_AUDIO', `That file (${s.contentType}) is not audio.`);
    }
    return s;
  }

  // ---- another take ----

  /** Who asked for a job (undefined when it is gone or the queue is unreachable). */
  async requesterOf(jobId: string): Promise<string | undefined> {
    return (await this.ports.queue.get(jobId).catch(() => undefined))?.data.userId;
  }

  /**
   * The Another take button: the requester only, while the finished job is kept (a day): the same song
   * from the same source, a new seed, through the same intake (limits, queue cap). Links and Discord
   * attachments are fetched again by the worker; a Slack private file is downloaded again by the bot
   * from the URL the job kept (its staged bytes are deleted with the first answer).
   */
  async retake(jobId: string, byUserId: string, requestId: string, ui: ReplyUI, download?: IntakeRequest['download']): Promise<SubmitOutcome> {
    let job;
    try {
      job = await this.ports.queue.get(jobId);
    } catch (err) {
      await ui.error(err instanceof QueueUnavailableError ? MESSAGES.queueDown : MESSAGES.fault);
      return 'refused';
    }
    if (!job || job.state !== 'completed') {
      await ui.error(MESSAGES.retakeGone);
      return 'refused';
    }
    if (job.data.userId !== byUserId) {
      await ui.error(MESSAGES.retakeNotYours);
      return 'refused';
    }
    const d = job.data;
    let source: AudioSource | undefined = d.source;
    if (source.kind === 'blob') source = source.url ? { kind: 'attachment', url: source.url, name: source.name, bytes: source.bytes } : undefined;
    if (!source) {
      await ui.error(MESSAGES.retakeGone);
      return 'refused';
    }
    return this.submit(
      {
        platform: d.platform,
        requestId,
        userId: d.userId,
        serverId: d.serverId,
        channelId: ui.target.channelId,
        source,
        ...(d.aspect ? { aspect: d.aspect } : {}),
        seed: randomInt(1, 2 ** 31 - 1),
        ...(download && source.kind === 'attachment' && d.source.kind === 'blob' ? { download } : {}),
      },
      ui,
    );
  }

  // ---- cancel ----

  /** The Cancel button: only the requester; a waiting job is removed, a running one is aborted. */
  async cancel(jobId: string, byUserId: string): Promise<string> {
    const job = await this.ports.queue.get(jobId);
    if (!job || job.state === 'completed' || job.state === 'failed') return MESSAGES.alreadyDone;
    if (job.data.userId !== byUserId) return MESSAGES.notYours;
    if (job.state === 'waiting' && (await this.ports.queue.removeWaiting(jobId))) {
      await this.finish(jobId, job.data, (ui) => ui.error(MESSAGES.cancelled));
      return MESSAGES.cancelled;
    }
    await this.ports.queue.requestCancel(jobId);
    return MESSAGES.cancelling;
  }

  // ---- progress (fed by the queue's events) ----

  progress(jobId: string, p: JobProgress): void {
    this.tracker.progress(jobId, p);
  }

  active(jobId: string): void {
    this.tracker.progress(jobId, { stage: 'downloading' });
    void this.refreshPositions();
  }

  waiting(): void {
    void this.refreshPositions();
  }

  /** Queue positions of tracked jobs still waiting, refreshed when the queue moves. */
  private async refreshPositions(): Promise<void> {
    if (!this.tracker.anyQueued()) return;
    try {
      const ids = await this.ports.queue.waitingOrder();
      ids.forEach((id, i) => this.tracker.queued(id, i + 1));
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'queue positions unavailable');
    }
  }

  // ---- delivery ----

  async completed(jobId: string, result: VisualizeJobResult, eventId?: string): Promise<void> {
    await this.finish(jobId, undefined, (ui, requesterId) => this.deliver(jobId, ui, result, requesterId), () => this.cleanupResult(result));
    if (eventId) await this.ports.claims.setLastEvent(eventId).catch(() => undefined);
  }

  async failed(jobId: string, failedReason: string | undefined, eventId?: string): Promise<void> {
    await this.finish(jobId, undefined, (ui) => ui.error(this.failureMessage(jobId, failedReason)));
    if (eventId) await this.ports.claims.setLastEvent(eventId).catch(() => undefined);
  }

  /**
   * Checks every job this process follows against the queue: a job the queue no longer has is told to its
   * user and its slots are freed; one that ended while its event was missed is answered now. Run after a
   * reconnect and periodically.
   */
  async watchdog(): Promise<void> {
    for (const jobId of this.tracker.ids()) {
      let job;
      try {
        job = await this.ports.queue.get(jobId);
      } catch (err) {
        this.log.debug({ jobId, err: (err as Error).message }, 'watchdog: queue unavailable');
        return;
      }
      if (!job) {
        this.log.warn({ jobId }, 'job lost by the queue (Redis restarted without persistence?)');
        await this.finish(jobId, undefined, (ui) => ui.error(MESSAGES.lost));
      } else if (job.state === 'completed' && job.result) {
        await this.completed(jobId, job.result);
      } else if (job.state === 'failed') {
        await this.failed(jobId, job.failedReason);
      }
    }
  }

  /** Settles once no answer is being given or waiting for a retry (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  /** Stops retry timers (shutdown, tests). */
  close(): void {
    this.closed = true;
    for (const [t, done] of this.retries) {
      clearTimeout(t);
      done();
    }
    this.retries.clear();
  }

  private finish(...args: Parameters<RequestLifecycle['answerOnce']>): Promise<void> {
    const p = this.answerOnce(...args);
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
  }

  /**
   * The one final answer of a job, whichever bot process or replayed event gets here first: taken under a
   * delivery lock, marked done only once it went out, retried with backoff otherwise.
   */
  private async answerOnce(
    jobId: string,
    known: VisualizeJobData | undefined,
    answer: Answer,
    cleanup?: () => Promise<void>,
    attempt = 1,
    retryUi?: ReplyUI,
  ): Promise<void> {
    const log = this.log.child({ jobId });
    try {
      if (await this.ports.claims.isDelivered(jobId)) return;
      if (!(await this.ports.claims.beginDelivery(jobId))) return;
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'cannot reach the queue to deliver; retrying');
      return this.retry(jobId, known, answer, cleanup, attempt, retryUi);
    }
    const live = this.tracker.finish(jobId);
    let data = known;
    // a retry answers through the UI of the first attempt: a recovered one could not edit the live reply
    let ui = live?.ui ?? retryUi;
    try {
      if (!ui) {
        data ??= (await this.ports.queue.get(jobId))?.data;
        ui = data ? this.recoverers.get(data.platform)?.(data) : undefined;
      }
      const subject = live?.subject ?? (data ? limitSubject(data, jobId) : undefined);
      if (subject) await this.ports.limits.release(subject);
      if (!ui) {
        log.warn('no reply target for a finished job (not ours, or the platform is not configured)');
        await this.ports.claims.endDelivery(jobId, true);
        return;
      }
      await live?.idle;
      await answer(ui, subject?.userId);
      await this.ports.claims.endDelivery(jobId, true);
      await this.ports.blobs.remove(this.ports.blobs.inputKey(jobId)).catch(() => undefined);
      await cleanup?.().catch(() => undefined);
    } catch (err) {
      log.warn({ err: (err as Error).message, attempt }, 'could not deliver the answer');
      await this.ports.claims.endDelivery(jobId, false).catch(() => undefined);
      const keepUi = ui;
      if (attempt >= (this.config.deliveryAttempts ?? 5)) {
        log.error({ err: (err as Error).message }, 'delivery failed for good; telling the user');
        if (keepUi) await keepUi.error(MESSAGES.deliveryFailed).catch(() => undefined);
        await this.ports.claims.endDelivery(jobId, true).catch(() => undefined);
        await this.ports.blobs.remove(this.ports.blobs.inputKey(jobId)).catch(() => undefined);
        await cleanup?.().catch(() => undefined);
        return;
      }
      this.retry(jobId, data, answer, cleanup, attempt, keepUi);
    }
  }

  private retry(
    jobId: string,
    data: VisualizeJobData | undefined,
    answer: Answer,
    cleanup: (() => Promise<void>) | undefined,
    attempt: number,
    ui: ReplyUI | undefined,
  ): void {
    if (this.closed) return;
    const delay = (this.config.deliveryRetryMs ?? 2000) * 2 ** (attempt - 1);
    let done!: () => void;
    const waiting = new Promise<void>((resolve) => (done = resolve));
    this.inflight.add(waiting);
    void waiting.finally(() => this.inflight.delete(waiting));
    // not unref'd: a pending answer keeps the process up; close() clears these on shutdown
    const t = setTimeout(() => {
      this.retries.delete(t);
      void this.finish(jobId, data, answer, cleanup, attempt + 1, ui).finally(done);
    }, delay);
    this.retries.set(t, done);
  }

  private failureMessage(jobId: string, reason: string | undefined): string {
    const ue = userErrorFromReason(reason);
    if (ue) return ue.code === 'CANCELLED' ? MESSAGES.cancelled : ue.message;
    this.log.warn({ jobId, reason }, 'job failed for good');
    return MESSAGES.fault;
  }

  private async cleanupResult(r: VisualizeJobResult): Promise<void> {
    await this.ports.blobs.remove(r.sheet.key, r.video.key);
  }

  private async deliver(jobId: string, ui: ReplyUI, r: VisualizeJobResult, requesterId: string | undefined): Promise<void> {
    await ui.status({ stage: 'uploading' }, jobId).catch(() => undefined);
    await mkdir(this.config.workDir, { recursive: true });
    const dir = await mkdtemp(join(this.config.workDir, 'result-'));
    try {
      const sheet: LocalFile = { path: join(dir, r.sheet.name), name: r.sheet.name, bytes: r.sheet.bytes };
      const video: LocalFile = { path: join(dir, r.video.name), name: r.video.name, bytes: r.video.bytes };
      await this.ports.blobs.saveTo(r.sheet, sheet.path);
      await this.ports.blobs.saveTo(r.video, video.path);
      const base = { jobId, closest: r.closest, farthest: r.farthest, at: r.at, duration: r.duration, sheet, ...(requesterId ? { requesterId } : {}) };
      const link = async (): Promise<Partial<ResultView>> =>
        this.files
          ? { videoLink: await this.files.publish(video.path, video.name) }
          : { videoNote: `The video is ${mb(video.bytes)}, over this channel's ${mb(ui.uploadLimitBytes)} upload limit.` };
      const fits = video.bytes + sheet.bytes <= ui.uploadLimitBytes;
      try {
        await ui.result({ ...base, ...(fits ? { video } : await link()) });
      } catch (err) {
        // the platform refused the upload after all (limits change): fall back to a link once
        if (!fits || !this.files) throw err;
        this.log.warn({ jobId, err: (err as Error).message }, 'upload refused; sending a link instead');
        await ui.result({ ...base, ...(await link()) });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

const tooLarge = (bytes: number, max: number) => new UserError('TOO_LARGE', `That file is ${mb(bytes)}; the limit is ${mb(max)}.`);
