// Exactly one final answer per accepted request, whichever bot process or replayed event gets there first:
// taken under a delivery lock, marked done only once it went out, retried with backoff otherwise, and told
// to the user when it fails for good. Shared by every kind of job (visualize, library); what the answer
// says is the caller's `answer` function.
import type { LimitSubject } from '../jobs/limits.js';
import type { Logger } from '../log.js';
import type { LifecyclePorts } from './lifecycle.ports.js';
import type { StatusTarget, Tracker } from './tracker.js';

/** What a reply needs for the final answer's fallback: an error message it can always show. */
export interface FinalTarget extends StatusTarget {
  error(message: string): Promise<void>;
}

/** Gives the final answer through `ui`; `requesterId` is who asked. */
export type Answer<U> = (ui: U, requesterId: string | undefined) => Promise<void>;

export interface AnswersHost<D, U extends FinalTarget> {
  ports: LifecyclePorts<D, unknown>;
  tracker: Tracker<U>;
  log: Logger;
  /** the reply of a job this process does not follow (after a restart), from what the job stored */
  recover(data: D): U | undefined;
  /** whose slots the job holds; undefined: nobody asked from chat (a command-line batch), nothing to answer */
  subjectOf(data: D, jobId: string): LimitSubject | undefined;
  /** the user's message when the answer could not be posted for good */
  deliveryFailed: string;
  attempts: number;
  retryMs: number;
}

export class Answers<D, U extends FinalTarget> {
  private readonly retries = new Map<NodeJS.Timeout, () => void>();
  /** answers being given or waiting for a retry */
  private readonly inflight = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly h: AnswersHost<D, U>) {}

  /** Gives the job's one final answer (unless given already); `known` is its data when at hand. */
  finish(jobId: string, known: D | undefined, answer: Answer<U>, cleanup?: () => Promise<void>, attempt = 1, retryUi?: U): Promise<void> {
    const p = this.answerOnce(jobId, known, answer, cleanup, attempt, retryUi);
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
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

  private async answerOnce(jobId: string, known: D | undefined, answer: Answer<U>, cleanup: (() => Promise<void>) | undefined, attempt: number, retryUi?: U): Promise<void> {
    const { ports, tracker } = this.h;
    const log = this.h.log.child({ jobId });
    let data = known;
    try {
      // a job nobody here follows: read it first, so one nobody asked for from chat leaves no trace
      if (!data && !retryUi && !tracker.has(jobId)) {
        data = (await ports.queue.get(jobId))?.data;
        if (data && !this.h.subjectOf(data, jobId)) return;
      }
      if (await ports.claims.isDelivered(jobId)) return;
      if (!(await ports.claims.beginDelivery(jobId))) return;
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'cannot reach the queue to deliver; retrying');
      return this.retry(jobId, data, answer, cleanup, attempt, retryUi);
    }
    const live = tracker.finish(jobId);
    // a retry answers through the UI of the first attempt: a recovered one could not edit the live reply
    let ui = live?.ui ?? retryUi;
    try {
      if (!ui) {
        data ??= (await ports.queue.get(jobId))?.data;
        ui = data ? this.h.recover(data) : undefined;
      }
      const subject = live?.subject ?? (data ? this.h.subjectOf(data, jobId) : undefined);
      if (subject) await ports.limits.release(subject);
      if (!ui) {
        log.warn('no reply target for a finished job (not ours, or the platform is not configured)');
        await ports.claims.endDelivery(jobId, true);
        return;
      }
      await live?.idle;
      await answer(ui, subject?.userId);
      await ports.claims.endDelivery(jobId, true);
      await ports.blobs.remove(ports.blobs.inputKey(jobId)).catch(() => undefined);
      await cleanup?.().catch(() => undefined);
    } catch (err) {
      log.warn({ err: (err as Error).message, attempt }, 'could not deliver the answer');
      await ports.claims.endDelivery(jobId, false).catch(() => undefined);
      const keepUi = ui;
      if (attempt >= this.h.attempts) {
        log.error({ err: (err as Error).message }, 'delivery failed for good; telling the user');
        if (keepUi) await keepUi.error(this.h.deliveryFailed).catch(() => undefined);
        await ports.claims.endDelivery(jobId, true).catch(() => undefined);
        await ports.blobs.remove(ports.blobs.inputKey(jobId)).catch(() => undefined);
        await cleanup?.().catch(() => undefined);
        return;
      }
      this.retry(jobId, data, answer, cleanup, attempt, keepUi);
    }
  }

  private retry(jobId: string, data: D | undefined, answer: Answer<U>, cleanup: (() => Promise<void>) | undefined, attempt: number, ui: U | undefined): void {
    if (this.closed) return;
    const delay = this.h.retryMs * 2 ** (attempt - 1);
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
}
