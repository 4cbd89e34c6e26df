// The visualize job: fetch the song, run the heavy render (in a child process by default), leave the
// video and contact sheet in Redis for the bot, report stages as it goes. Dependencies are injected so
// tests run the same code with a fake render.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Job } from 'bullmq';
import { UserError } from '../src/core/errors.js';
import type { BlobStore } from '../src/jobs/blobs.js';
import type { JobProgress, Stage, VisualizeJobData, VisualizeJobResult } from '../src/jobs/jobs.types.js';
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
  videoMaxMb: number;
  /** true when the requester cancelled before this attempt started */
  isCancelled: (jobId: string) => Promise<boolean>;
  /** minimum ms between progress writes (each one is a Redis call and a bot edit) */
  progressEveryMs?: number;
}

/** Maps the service's free-form stage names onto the stages people see. */
export function stageOf(name: string, previous: Stage): Stage {
  const s = name.toLowerCase();
  if (/render|stitch|encod|montage|mux|video/.test(s)) return 'rendering';
  if (/match|rank|search|sheet|index|nearest/.test(s)) return 'matching';
  if (/decod|analy|feature|embed|audio|load|probe/.test(s)) return 'analysing';
  return previous;
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
      const audioPath = await deps.fetchAudio(job.data.source, dir, signal);
      let stage: Stage = 'analysing';
      progress({ stage });
      const res = await deps.render(
        {
          audioPath,
          libraryDir: deps.libraryDir,
          ...(deps.modelDir ? { modelDir: deps.modelDir } : {}),
          outPath: join(dir, 'clipmatch.mp4'),
          ...(job.data.aspect ? { aspect: job.data.aspect } : {}),
          maxMb: deps.videoMaxMb,
          signal,
        },
        (name, done, total) => {
          stage = stageOf(name, stage);
          progress({ stage, ...(total > 0 ? { fraction: Math.min(1, done / total) } : {}) });
        },
      );
      if (signal.aborted) throw new UserError('CANCELLED', 'Cancelled.');
      const video = await deps.blobs.putFile(jobId, basename(res.video), res.video, 'video/mp4');
      const sheet = await deps.blobs.putFile(jobId, basename(res.sheet), res.sheet, 'image/png');
      return { closest: res.closest, farthest: res.farthest, at: res.at, duration: res.duration, video, sheet };
    } catch (err) {
      if (signal.aborted) throw new UserError('CANCELLED', 'Cancelled.');
      throw err;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}
