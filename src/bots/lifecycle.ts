// The /visualize request on the shared lifecycle (job-lifecycle.ts: claim, limits, enqueue, progress, one
// final answer, watchdog): what a song request checks (a link's form, a file's size and type), what the bot
// stages for the worker (Slack private files), the Another take button, and the answer with the video and
// contact sheet (attached when it fits the channel, linked or explained otherwise).
import { randomInt } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../core/errors.js';
import type { BeatFix } from '../core/grid-correction.js';
import type { ClipHit } from '../core/visualize.types.js';
import type { AudioSource, Platform, ReplyTarget, VisualizeJobData, VisualizeJobResult, VisualizeRequest } from '../jobs/jobs.types.js';
import { jobIdFor } from '../jobs/queue.js';
import type { LimitSubject } from '../jobs/limits.js';
import type { Logger } from '../log.js';
import type { FilePublisher } from './files.server.js';
import { JobLifecycle } from './job-lifecycle.js';
import type { BaseLifecycleConfig, StatusUI, SubmitOutcome } from './job-lifecycle.js';
import { limitSubject, QueueUnavailableError } from './lifecycle.ports.js';
import type { LifecyclePorts } from './lifecycle.ports.js';
import { checkLink } from '../jobs/links.js';
import { AS_TRACKED, MESSAGES, mb } from './render.js';
import type { BeatChoice, StatusView } from './render.js';
export type { LifecyclePorts } from './lifecycle.ports.js';
export type { SubmitOutcome } from './job-lifecycle.js';

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
  /** beats per minute the cuts follow, and the job's correction of the grid */
  tempo?: number;
  beats?: BeatFix;
  sheet: LocalFile;
  /** attached when it fits the channel's upload limit */
  video?: LocalFile;
  /** otherwise a link served by the bot */
  videoLink?: string;
  /** otherwise why there is neither */
  videoNote?: string;
}

/** What a platform adapter provides for one request: where and how to answer. */
export interface ReplyUI extends StatusUI {
  readonly target: ReplyTarget;
  /** bytes per answer (video + sheet) this channel accepts, as the platform reports it */
  readonly uploadLimitBytes: number;
  status(view: StatusView, jobId: string): Promise<void>;
  result(view: ResultView): Promise<void>;
  error(message: string): Promise<void>;
}

export interface LifecycleConfig extends BaseLifecycleConfig {
  maxAudioBytes: number;
  workDir: string;
  /** render to the worker's cap and link what does not fit, instead of rendering to fit (needs files) */
  linkLargeVideos?: boolean;
}

/** Rebuilds a reply after a bot restart, from what the job stored. */
export type RecoverFn = (data: VisualizeJobData) => ReplyUI | undefined;

export class RequestLifecycle extends JobLifecycle<VisualizeJobData, VisualizeJobResult, ReplyUI> {
  protected override readonly activeStage = 'downloading' as const;

  constructor(
    ports: LifecyclePorts,
    protected override readonly config: LifecycleConfig,
    log: Logger,
    private readonly files?: FilePublisher,
  ) {
    super(ports, config, log, MESSAGES);
  }

  protected platformOf(data: VisualizeJobData): Platform {
    return data.platform;
  }

  protected subjectOf(data: VisualizeJobData, jobId: string): LimitSubject {
    return limitSubject(data, jobId);
  }

  // ---- intake ----

  /** Acknowledged already by the adapter: validate, check limits, stage, enqueue, show the queue position. */
  submit(req: IntakeRequest, ui: ReplyUI): Promise<SubmitOutcome> {
    const jobId = jobIdFor(req.platform, req.requestId);
    let source: AudioSource;
    return this.admit({
      jobId,
      subject: limitSubject(req, jobId),
      ui,
      ...(req.claimed ? { claimed: true } : {}),
      check: () => {
        source = this.validate(req);
      },
      build: async (staged) => {
        if (req.download && source.kind === 'attachment') {
          const bytes = await req.download(source);
          if (bytes.length > this.config.maxAudioBytes) throw tooLarge(bytes.length, this.config.maxAudioBytes);
          const key = await this.ports.blobs.putInput(jobId, bytes, source.contentType ?? 'application/octet-stream');
          staged(key);
          // the URL stays with the job: Another take downloads it again
          source = { kind: 'blob', key, name: source.name, bytes: bytes.length, url: source.url };
        }
        return {
          v: 1,
          platform: req.platform,
          requestId: req.requestId,
          userId: req.userId,
          serverId: req.serverId,
          source,
          ...(req.aspect ? { aspect: req.aspect } : {}),
          ...(req.beats ? { beats: req.beats } : {}),
          ...(req.seed !== undefined ? { seed: req.seed } : {}),
          reply: ui.target,
          requestedAt: Date.now(),
          uploadLimitBytes: ui.uploadLimitBytes,
          fitUpload: !(this.config.linkLargeVideos && this.files),
        };
      },
    });
  }

  /** First sight of a request id? A redelivered event (same id) gets false and must post nothing. */
  claim(platform: Platform, requestId: string): Promise<boolean> {
    return this.claimJob(jobIdFor(platform, requestId));
  }

  private validate(req: IntakeRequest): AudioSource {
    const s = req.source;
    if (!s) throw new UserError('BAD_INPUT', MESSAGES.noSource);
    if (s.kind === 'url') checkLink(s.url);
    else if (s.bytes !== undefined && s.bytes > this.config.maxAudioBytes) {
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
   * from the URL the job kept (its staged bytes are deleted with the first answer). With `beats` (the
   * "fix the beat" choice): the same song and seed with that correction of the grid instead of the job's
   * (AS_TRACKED: none), so what changes is where the cuts fall.
   */
  async retake(jobId: string, byUserId: string, requestId: string, ui: ReplyUI, download?: IntakeRequest['download'], beats?: BeatChoice): Promise<SubmitOutcome> {
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
    const fix = beats === undefined ? d.beats : beats === AS_TRACKED ? undefined : beats;
    const seed = beats === undefined ? randomInt(1, 2 ** 31 - 1) : d.seed;
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
        ...(fix ? { beats: fix } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(download && source.kind === 'attachment' && d.source.kind === 'blob' ? { download } : {}),
      },
      ui,
    );
  }

  protected override async cleanupResult(r: VisualizeJobResult): Promise<void> {
    await this.ports.blobs.remove(r.sheet.key, r.video.key);
  }

  protected async deliver(jobId: string, ui: ReplyUI, r: VisualizeJobResult, requesterId: string | undefined): Promise<void> {
    await ui.status({ stage: 'uploading' }, jobId).catch(() => undefined);
    await mkdir(this.config.workDir, { recursive: true });
    const dir = await mkdtemp(join(this.config.workDir, 'result-'));
    try {
      const sheet: LocalFile = { path: join(dir, r.sheet.name), name: r.sheet.name, bytes: r.sheet.bytes };
      const video: LocalFile = { path: join(dir, r.video.name), name: r.video.name, bytes: r.video.bytes };
      await this.ports.blobs.saveTo(r.sheet, sheet.path);
      await this.ports.blobs.saveTo(r.video, video.path);
      const base = {
        jobId,
        closest: r.closest,
        farthest: r.farthest,
        at: r.at,
        duration: r.duration,
        sheet,
        ...(r.tempo !== undefined ? { tempo: r.tempo } : {}),
        ...(r.beats ? { beats: r.beats } : {}),
        ...(requesterId ? { requesterId } : {}),
      };
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
