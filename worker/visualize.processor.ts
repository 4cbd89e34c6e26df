// The visualize job: fetch the song, run the heavy render (in a child process by default), leave the
// video and contact sheet in Redis for the bot, report stages as it goes. Dependencies are injected so
// tests run the same code with a fake render.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Job } from 'bullmq';
import { UserError } from '../src/core/errors.js';
import { correctionOfFix } from '../src/core/grid-correction.js';
import type { BlobStore } from '../src/jobs/blobs.js';
import type { JobProgress, VisualizeJobData, VisualizeJobResult, VisualizeStage } from '../src/jobs/jobs.types.js';
import { nextStage } from '../src/jobs/stages.js';
import { BYTES_PER_MB, chooseEncoding } from '../src/core/bitrate.js';
import type { FetchAudio } from './audio-source.js';
import type { RenderFn } from './render-child.js';

export type VisualizeProcessor = (
  job: Job<VisualizeJobData, VisualizeJobResult>,
  signal: AbortSignal,
) => Promise<VisualizeJobResult>;

export interface ProcessorDeps {
  fetchAudio: FetchAudio;
  render: RenderFn;
  blobs: BlobStore;
  libraryDir: string;
  modelDir?: string;
  /** the worker's own cap on a rendered video (BOT_VIDEO_MAX_MB) */
  videoMaxMb: number;
  /** longest song in seconds (BOT_MAX_AUDIO_SECONDS), applied to the decoded audio in the child too */
  maxSeconds: number;
  /** true when the requester cancelled before this attempt started */
  isCancelled: (jobId: string) => Promise<boolean>;
  /** minimum ms between progress writes (each one is a Redis call and a bot edit) */
  progressEveryMs?: number;
}

export function throttledProgress(report: (p: JobProgress) => Promise<unknown>, everyMs: number) {
  let last: JobProgress | undefined;
  let lastAt = 0;
  return (p: JobProgress): void => {
    const now = Date.now();
    if (last && last.stage === p.stage && now - lastAt < everyMs) return;
    last = p;
    lastAt = now;
    // a lost progress write is harmless; it must never fail the job
    report(p).catch(() => undefined);
  };
}

export function makeVisualizeProcessor(deps: ProcessorDeps): VisualizeProcessor {
  return async (job, signal) => {
    const jobId = job.id ?? 'unknown';
    if (await deps.isCancelled(jobId)) throw new UserError('CANCELLED', 'Cancelled.');
    const progress = throttledProgress((p) => job.updateProgress(p as unknown as object), deps.progressEveryMs ?? 1000);
    const dir = await mkdtemp(join(tmpdir(), 'clipmatch-job-'));
    try {
      progress({ stage: 'downloading' });
      const audio = await deps.fetchAudio(job.data.source, dir, signal);
      let stage: VisualizeStage = 'analysing';
      progress({ stage });
      const maxMb = videoBudgetMb(job.data, deps.videoMaxMb);
      checkFits(audio.duration, maxMb, job.data);
      const res = await deps.render(
        {
          audioPath: audio.path,
          libraryDir: deps.libraryDir,
          ...(deps.modelDir ? { modelDir: deps.modelDir } : {}),
          outPath: join(dir, 'clipmatch.mp4'),
          ...(job.data.aspect ? { aspect: job.data.aspect } : {}),
          ...(job.data.beats ? { grid: correctionOfFix(job.data.beats) } : {}),
          maxMb,
          maxSeconds: deps.maxSeconds,
          // a worker never builds an index: the index job does, once, and publishes a version
          indexMode: 'worker',
          ...(job.data.seed !== undefined ? { seed: job.data.seed } : {}),
          signal,
        },
        (name, done, total) => {
          stage = nextStage(name, stage);
          progress({ stage, ...(total > 0 ? { fraction: Math.min(1, done / total) } : {}) });
        },
      );
      if (signal.aborted) throw new UserError('CANCELLED', 'Cancelled.');
      const video = await deps.blobs.putFile(jobId, basename(res.video), res.video, 'video/mp4');
      const sheet = await deps.blobs.putFile(jobId, basename(res.sheet), res.sheet, 'image/png');
      return {
        closest: res.closest,
        farthest: res.farthest,
        at: res.at,
        duration: res.duration,
        video,
        sheet,
        tempo: res.tempo,
        ...(job.data.beats ? { beats: job.data.beats } : {}),
        ...(res.indexVersion !== undefined ? { indexVersion: res.indexVersion } : {}),
      };
    } catch (err) {
      if (signal.aborted) throw new UserError('CANCELLED', 'Cancelled.');
      throw err;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

/**
 * Room the contact sheet may take in an answer: its PNG is at most 972 x 996 px of rgb24 (six rows of four
 * 240 x 136 thumbnails under 30-px labels, src/media/sheet.ts), 2.9 MB uncompressed; PNG never grows it
 * by more than a few kB. So video + sheet fit the upload limit whatever the frames look like.
 */
export const SHEET_RESERVE_BYTES = 3 * 1024 * 1024;

/** The size cap the render gets: the reply's upload limit less the sheet, unless the operator links large videos. */
export function videoBudgetMb(data: Pick<VisualizeJobData, 'uploadLimitBytes' | 'fitUpload'>, workerMaxMb: number): number {
  const own = workerMaxMb * BYTES_PER_MB;
  if (data.fitUpload === false || !data.uploadLimitBytes) return workerMaxMb;
  return Math.min(own, data.uploadLimitBytes - SHEET_RESERVE_BYTES) / BYTES_PER_MB;
}

/** A song too long for the channel's upload limit fails before the heavy work, in words for the user. */
function checkFits(duration: number, maxMb: number, data: Pick<VisualizeJobData, 'uploadLimitBytes' | 'aspect'>): void {
  try {
    chooseEncoding(duration, maxMb, data.aspect ?? '16:9');
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    const limit = data.uploadLimitBytes ? `this channel's upload limit (${(data.uploadLimitBytes / 2 ** 20).toFixed(1)} MB)` : 'the size limit';
    throw new UserError('TOO_LARGE', `A video of a ${Math.round(duration)}-s song cannot fit ${limit}; try a shorter song.`);
  }
}
