// One request's life, the same for every kind of job and every platform: intake (claim, checks, limits,
// enqueue, the queued status), cancel, progress edits and the one final answer (answers.ts), with a watchdog
// that answers jobs the queue lost. A kind of job (visualize in lifecycle.ts, library in library.lifecycle.ts)
// says what its request checks, what its payload is, and how its result reads.
import { isUserError, UserError } from '../core/errors.js';
import type { JobProgress, Platform, ReplyTarget, Stage } from '../jobs/jobs.types.js';
import type { LimitSubject } from '../jobs/limits.js';
import { userErrorFromReason } from '../jobs/queue.js';
import type { Logger } from '../log.js';
import { Answers } from './answers.js';
import type { Answer, FinalTarget } from './answers.js';
import { QueueUnavailableError } from './lifecycle.ports.js';
import type { LifecyclePorts } from './lifecycle.ports.js';
import { Tracker } from './tracker.js';

export type SubmitOutcome = 'queued' | 'duplicate' | 'refused';

/** What every reply can do: show a status, show an error. Each kind of job adds its result. */
export interface StatusUI extends FinalTarget {
  readonly target: ReplyTarget;
}

export interface BaseLifecycleConfig {
  maxQueue: number;
  /** minimum ms between two progress edits of one reply */
  editEveryMs: number;
  /** delivery attempts before the user is told it failed, and the first retry delay (doubling) */
  deliveryAttempts?: number;
  deliveryRetryMs?: number;
}

/** The words a kind of job uses for what can go wrong on our side. */
export interface LifecycleWords {
  queueDown: string;
  fault: string;
  busy: string;
  cancelled: string;
  notYours: string;
  alreadyDone: string;
  cancelling: string;
  lost: string;
  deliveryFailed: string;
}

/** One request on its way into the queue. */
export interface Intake<D, U> {
  jobId: string;
  subject: LimitSubject;
  ui: U;
  /** the adapter already claimed the request id */
  claimed?: boolean;
  /** checks on the request alone (before the claim): throws a UserError saying what is wrong */
  check(): void;
  /** the payload, once the limits passed; `staged` records bytes stored for it (removed on refusal) */
  build(staged: (key: string) => void): Promise<D>;
}

export abstract class JobLifecycle<D, R, U extends StatusUI> {
  protected readonly tracker: Tracker<U>;
  protected readonly answers: Answers<D, U>;
  private readonly recoverers = new Map<Platform, (data: D) => U | undefined>();

  constructor(
    protected readonly ports: LifecyclePorts<D, R>,
    protected readonly config: BaseLifecycleConfig,
    protected readonly log: Logger,
    protected readonly words: LifecycleWords,
  ) {
    this.tracker = new Tracker<U>(config.editEveryMs, log);
    this.answers = new Answers<D, U>({
      ports,
      tracker: this.tracker,
      log,
      recover: (data) => {
        const p = this.platformOf(data);
        return p ? this.recoverers.get(p)?.(data) : undefined;
      },
      subjectOf: (data, jobId) => this.subjectOf(data, jobId),
      deliveryFailed: words.deliveryFailed,
      attempts: config.deliveryAttempts ?? 5,
      retryMs: config.deliveryRetryMs ?? 2000,
    });
  }

  /** The platform a job was asked on (undefined: not from chat). */
  protected abstract platformOf(data: D): Platform | undefined;
  /** Whose slots a job holds (undefined: nobody asked from chat, nothing to answer). */
  protected abstract subjectOf(data: D, jobId: string): LimitSubject | undefined;
  /** The final answer of a completed job. */
  protected abstract deliver(jobId: string, ui: U, result: R, requesterId: string | undefined): Promise<void>;
  /** What a job's result leaves behind to remove once it was answered. */
  protected async cleanupResult(_result: R): Promise<void> {}
  /** The stage shown when a worker takes the job (undefined: the worker's first report says it). */
  protected readonly activeStage: Stage | undefined = undefined;

  /** An adapter registers how to answer its platform's jobs that this process does not track. */
  onRecover(platform: Platform, fn: (data: D) => U | undefined): void {
    this.recoverers.set(platform, fn);
  }

  /** First sight of a job id? A redelivered event (same id) gets false and must post nothing. */
  claimJob(jobId: string): Promise<boolean> {
    return this.ports.claims.claim(jobId);
  }

  // ---- intake ----

  /** Acknowledged already by the adapter: check, claim, cap, limits, build, enqueue, show the queue position. */
  protected async admit(req: Intake<D, U>): Promise<SubmitOutcome> {
    const { jobId, subject, ui } = req;
    let acquired = false;
    const staged: string[] = [];
    try {
      req.check();
      if (!req.claimed && !(await this.ports.claims.claim(jobId))) return 'duplicate';
      // cheap checks first, so nothing is downloaded or stored for a request that is refused anyway
      if ((await this.ports.queue.waitingCount()) >= this.config.maxQueue) throw new UserError('BUSY', this.words.busy);
      await this.ports.limits.acquire(subject);
      acquired = true;
      const data = await req.build((key) => staged.push(key));
      this.tracker.track(jobId, ui, subject);
      if ((await this.ports.queue.add(jobId, data, this.config.maxQueue)) === 'full') throw new UserError('BUSY', this.words.busy);
      this.tracker.enqueued(jobId);
      this.log.info({ jobId, platform: subject.platform }, 'queued');
      await this.refreshPositions();
      // the requester sees the queued status (and position) before submit returns
      await this.tracker.idle(jobId);
      return 'queued';
    } catch (err) {
      this.tracker.forget(jobId);
      if (acquired) await this.ports.limits.release(subject).catch(() => undefined);
      if (staged.length) await this.ports.blobs.remove(...staged).catch(() => undefined);
      if (isUserError(err)) {
        await ui.error(err.message);
      } else {
        this.log.error({ jobId, err: (err as Error).message }, 'could not enqueue');
        await ui.error(err instanceof QueueUnavailableError ? this.words.queueDown : this.words.fault);
      }
      return 'refused';
    }
  }

  // ---- cancel ----

  /**
   * The Cancel button: only the requester; a waiting job is removed, a running one is aborted. Always resolves
   * to the words for the clicker: with Redis down, the queue-down words (nothing was cancelled).
   */
  async cancel(jobId: string, byUserId: string): Promise<string> {
    try {
      return await this.cancelJob(jobId, byUserId);
    } catch (err) {
      this.log.error({ jobId, err: (err as Error).message }, 'could not cancel');
      return err instanceof QueueUnavailableError ? this.words.queueDown : this.words.fault;
    }
  }

  private async cancelJob(jobId: string, byUserId: string): Promise<string> {
    const job = await this.ports.queue.get(jobId);
    if (!job || job.state === 'completed' || job.state === 'failed') return this.words.alreadyDone;
    if (this.subjectOf(job.data, jobId)?.userId !== byUserId) return this.words.notYours;
    if (job.state === 'waiting' && (await this.ports.queue.removeWaiting(jobId))) {
      await this.answers.finish(jobId, job.data, (ui) => ui.error(this.words.cancelled));
      return this.words.cancelled;
    }
    await this.ports.queue.requestCancel(jobId);
    return this.words.cancelling;
  }

  // ---- progress (fed by the queue's events) ----

  progress(jobId: string, p: JobProgress): void {
    this.tracker.progress(jobId, p);
  }

  active(jobId: string): void {
    if (this.activeStage) this.tracker.progress(jobId, { stage: this.activeStage });
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

  // ---- the final answer ----

  async completed(jobId: string, result: R, eventId?: string): Promise<void> {
    const answer: Answer<U> = (ui, requesterId) => this.deliver(jobId, ui, result, requesterId);
    await this.answers.finish(jobId, undefined, answer, () => this.cleanupResult(result));
    if (eventId) await this.ports.claims.setLastEvent(eventId).catch(() => undefined);
  }

  async failed(jobId: string, failedReason: string | undefined, eventId?: string): Promise<void> {
    await this.answers.finish(jobId, undefined, (ui) => ui.error(this.failureMessage(jobId, failedReason)));
    if (eventId) await this.ports.claims.setLastEvent(eventId).catch(() => undefined);
  }

  /** The words for a job that failed for good: a user error as it was raised, anything else as a fault. */
  protected failureMessage(jobId: string, reason: string | undefined): string {
    const ue = userErrorFromReason(reason);
    if (ue) return ue.code === 'CANCELLED' ? this.words.cancelled : ue.message;
    this.log.warn({ jobId, reason }, 'job failed for good');
    return this.words.fault;
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
        await this.answers.finish(jobId, undefined, (ui) => ui.error(this.words.lost));
      } else if (job.state === 'completed' && job.result) {
        await this.completed(jobId, job.result);
      } else if (job.state === 'failed') {
        await this.failed(jobId, job.failedReason);
      }
    }
  }

  /** Settles once no answer is being given or waiting for a retry (tests, shutdown). */
  settled(): Promise<void> {
    return this.answers.settled();
  }

  /** Stops retry timers (shutdown, tests). */
  close(): void {
    this.answers.close();
  }
}
