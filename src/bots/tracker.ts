// Live requests of this bot process and their status edits. Edits are throttled per reply (platforms
// rate-limit message edits) and chained so they never overtake each other or the final answer.
import type { JobProgress } from '../jobs/jobs.types.js';
import { isStage } from '../jobs/stages.js';
import type { LimitSubject } from '../jobs/limits.js';
import type { Logger } from '../log.js';
import type { StatusView } from './render.js';

/** What the tracker needs of a reply: status edits. */
export interface StatusTarget {
  status(view: StatusView, jobId: string): Promise<void>;
}

interface Tracked<U extends StatusTarget> {
  ui: U;
  subject: LimitSubject;
  view: StatusView;
  shown?: string;
  lastEditAt: number;
  timer?: NodeJS.Timeout;
  chain: Promise<void>;
  /** in the queue (not just being submitted): from then on the watchdog may ask the queue about it */
  enqueued?: boolean;
}

export interface Finished<U extends StatusTarget> {
  ui: U;
  subject: LimitSubject;
  /** settles when the last status edit is done */
  idle: Promise<void>;
}

export class Tracker<U extends StatusTarget = StatusTarget> {
  private readonly jobs = new Map<string, Tracked<U>>();

  constructor(
    private readonly everyMs: number,
    private readonly log: Logger,
  ) {}

  track(jobId: string, ui: U, subject: LimitSubject): void {
    this.jobs.set(jobId, { ui, subject, view: { stage: 'queued' }, lastEditAt: 0, chain: Promise.resolve() });
  }

  forget(jobId: string): void {
    const t = this.jobs.get(jobId);
    if (t?.timer) clearTimeout(t.timer);
    this.jobs.delete(jobId);
  }

  has(jobId: string): boolean {
    return this.jobs.has(jobId);
  }

  /** ids of the jobs followed now that are in the queue */
  ids(): string[] {
    return [...this.jobs].filter(([, t]) => t.enqueued).map(([id]) => id);
  }

  enqueued(jobId: string): void {
    const t = this.jobs.get(jobId);
    if (t) t.enqueued = true;
  }

  anyQueued(): boolean {
    for (const t of this.jobs.values()) if (t.view.stage === 'queued') return true;
    return false;
  }

  queued(jobId: string, position: number): void {
    const t = this.jobs.get(jobId);
    if (!t || t.view.stage !== 'queued') return;
    t.view = { stage: 'queued', position };
    this.schedule(jobId, t);
  }

  progress(jobId: string, p: JobProgress): void {
    const t = this.jobs.get(jobId);
    // progress crosses Redis from another process: only a stage of the one list is shown
    if (!t || !p || !isStage(p.stage) || p.stage === 'queued') return;
    t.view = { stage: p.stage, ...(typeof p.fraction === 'number' ? { fraction: p.fraction } : {}) };
    this.schedule(jobId, t);
  }

  /** Settles when every status edit scheduled so far for this job is done (an edit due now is started at once). */
  idle(jobId: string): Promise<void> {
    return this.jobs.get(jobId)?.chain ?? Promise.resolve();
  }

  finish(jobId: string): Finished<U> | undefined {
    const t = this.jobs.get(jobId);
    if (!t) return undefined;
    this.forget(jobId);
    return { ui: t.ui, subject: t.subject, idle: t.chain };
  }

  private schedule(jobId: string, t: Tracked<U>): void {
    if (t.timer) return; // the pending edit will show the newest view
    const wait = t.lastEditAt + this.everyMs - Date.now();
    // an edit that is due now is started now, so idle() covers it; a throttled one waits for its timer
    if (wait <= 0) this.edit(jobId, t);
    else
      t.timer = setTimeout(() => {
        t.timer = undefined;
        if (this.jobs.get(jobId) === t) this.edit(jobId, t);
      }, wait);
  }

  private edit(jobId: string, t: Tracked<U>): void {
    const view = t.view;
    const key = JSON.stringify(view);
    if (key === t.shown) return;
    t.shown = key;
    t.lastEditAt = Date.now();
    t.chain = t.chain
      .then(() => t.ui.status(view, jobId))
      .catch((err: unknown) => this.log.warn({ jobId, err: (err as Error).message }, 'status edit failed'));
  }
}
