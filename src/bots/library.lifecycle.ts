// /library add | stats | remove on the shared lifecycle (job-lifecycle.ts: claim, limits, enqueue, progress,
// one final answer, watchdog), on the library queue. What only this kind of request checks: the member's
// permission (decided by the platform adapter from Discord's Manage Server or SLACK_LIBRARY_ADMINS, and
// refused here before anything is claimed or queued), and a link's form (the worker checks its address,
// the same way as a song's). Jobs queued from the command line (no requester) are never answered here.
import { UserError } from '../core/errors.js';
import type { LibraryJobData, LibraryJobResult, LibraryRequest, Platform, ReplyTarget, VideoSource } from '../jobs/jobs.types.js';
import type { LimitSubject } from '../jobs/limits.js';
import { jobIdFor } from '../jobs/queue.js';
import type { Logger } from '../log.js';
import { JobLifecycle } from './job-lifecycle.js';
import type { BaseLifecycleConfig, StatusUI, SubmitOutcome } from './job-lifecycle.js';
import { limitSubject } from './lifecycle.ports.js';
import type { LifecyclePorts } from './lifecycle.ports.js';
import { checkLink } from '../jobs/links.js';
import { addedAnswer, LIBRARY_MESSAGES, removedAnswer, statsAnswer } from './render.js';
import type { LibraryAnswerView } from './render.js';

/** A reply to a library request: status edits (with /library's Cancel button), errors, and the answer. */
export interface LibraryUI extends StatusUI {
  summary(view: LibraryAnswerView): Promise<void>;
}

export type LibraryLifecycleConfig = BaseLifecycleConfig;

/** A library request as an adapter hands it over. */
export interface LibraryIntake extends LibraryRequest {
  /**
   * For attachments only the bot can read (Slack's files need its token, which workers do not hold): fetches
   * the bytes, within the adapter's cap. Called once the permission and the limits passed; the bytes wait
   * for the worker as the job's input blob, removed with the final answer or when the request is refused.
   */
  download?: (source: Extract<VideoSource, { kind: 'attachment' }>) => Promise<Buffer>;
}

/** Longest `/library remove` reference accepted (an id or a title). */
const MAX_REF = 200;

export class LibraryLifecycle extends JobLifecycle<LibraryJobData, LibraryJobResult, LibraryUI> {
  /** the reference of each remove this process follows, for the answer's wording */
  private readonly refs = new Map<string, string>();

  constructor(ports: LifecyclePorts<LibraryJobData, LibraryJobResult>, config: LibraryLifecycleConfig, log: Logger) {
    super(ports, config, log, LIBRARY_MESSAGES);
  }

  protected platformOf(data: LibraryJobData): Platform | undefined {
    return data.requester?.platform;
  }

  protected subjectOf(data: LibraryJobData, jobId: string): LimitSubject | undefined {
    return data.requester ? limitSubject(data.requester, jobId) : undefined;
  }

  /** First sight of a request id? A redelivered event (same id) gets false and must post nothing. */
  claim(platform: Platform, requestId: string): Promise<boolean> {
    return this.claimJob(jobIdFor(platform, requestId));
  }

  /** Acknowledged already by the adapter: permission, checks, claim, limits, enqueue, the queued status. */
  async submit(req: LibraryIntake, ui: LibraryUI): Promise<SubmitOutcome> {
    const jobId = jobIdFor(req.platform, req.requestId);
    let data!: (reply: ReplyTarget) => LibraryJobData;
    const outcome = await this.admit({
      jobId,
      subject: limitSubject(req, jobId),
      ui,
      ...(req.claimed ? { claimed: true } : {}),
      check: () => {
        if (!req.permitted) throw new UserError('NOT_ALLOWED', LIBRARY_MESSAGES.notAllowed[req.platform]);
        data = this.payload(req, jobId);
      },
      build: async (staged) => {
        const d = data(ui.target);
        if (d.op === 'remove') this.refs.set(jobId, d.ref);
        if (d.op === 'ingest' && d.source.kind === 'attachment' && req.download) {
          const { name, contentType } = d.source;
          const bytes = await req.download(d.source);
          const key = await this.ports.blobs.putInput(jobId, bytes, contentType ?? 'application/octet-stream');
          staged(key);
          return { ...d, source: { kind: 'blob', key, name, bytes: bytes.length } };
        }
        return d;
      },
    });
    // a refused remove is answered already; a duplicate's reference belongs to the first event
    if (outcome === 'refused') this.refs.delete(jobId);
    return outcome;
  }

  /** The job's payload for a permitted request, or a UserError saying what is missing. */
  private payload(req: LibraryRequest, jobId: string): (reply: ReplyTarget) => LibraryJobData {
    const requester = (reply: ReplyTarget) => ({ platform: req.platform, requestId: req.requestId, userId: req.userId, serverId: req.serverId, reply });
    switch (req.op) {
      case undefined:
        throw new UserError('BAD_INPUT', LIBRARY_MESSAGES.unknownOp);
      case 'add': {
        const source = checkVideo(req.source, req.platform);
        return (reply) => ({ v: 1, op: 'ingest', batchId: `chat-${jobId}`, source, requester: requester(reply) });
      }
      case 'stats':
        return (reply) => ({ v: 1, op: 'stats', requester: requester(reply) });
      case 'remove': {
        const ref = req.ref?.trim() ?? '';
        if (!ref || ref.length > MAX_REF) throw new UserError('BAD_INPUT', LIBRARY_MESSAGES.noRef);
        return (reply) => ({ v: 1, op: 'remove', ref, requester: requester(reply) });
      }
    }
  }

  protected async deliver(jobId: string, ui: LibraryUI, r: LibraryJobResult): Promise<void> {
    // each op's result has a field of its own (ops.types.ts): the type checker tells them apart
    const view = 'status' in r ? addedAnswer(r) : 'removed' in r ? removedAnswer(this.refs.get(jobId), r) : statsAnswer(r);
    await ui.summary(view);
    this.refs.delete(jobId);
  }
}

/** A video to add: a well-formed http(s) link, or a file that says it is a video (the worker checks the content). */
function checkVideo(source: VideoSource | undefined, platform: Platform): VideoSource {
  const none = LIBRARY_MESSAGES.noVideo[platform];
  if (!source) throw new UserError('BAD_INPUT', none);
  switch (source.kind) {
    case 'url':
    case 'attachment':
      checkLink(source.url);
      if (source.kind === 'attachment' && source.contentType && !/^video\//.test(source.contentType)) {
        throw new UserError('BAD_INPUT', `That file (${source.contentType}) is not a video.`);
      }
      return source;
    case 'blob':
      return source;
    case 'file':
      // a path on the workers' machines is for the command line, never for chat
      throw new UserError('BAD_INPUT', none);
  }
}
