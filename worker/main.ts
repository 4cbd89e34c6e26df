// `npm run worker`: one worker process. Start as many as needed on as many machines as needed; each
// uses the GPU when tfjs-node-gpu is installed there (the visualize child picks the backend).
// SIGTERM/SIGINT: stop taking jobs and finish the running ones; a second signal abandons them to
// other workers (their locks lapse and they are picked up as stalled jobs), so no job is lost.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { env } from '../src/config.js';
import { childLogger } from '../src/log.js';
import { BlobStore } from '../src/jobs/blobs.js';
import { consumerConnection, redisOptions, VISUALIZE_QUEUE } from '../src/jobs/queue.js';
import { checkRedis } from '../src/jobs/redis-check.js';
import { makeFetchAudio } from './audio-source.js';
import { isYtDlpAvailable } from '../src/media/fetch.js';
import { renderInChild } from './render-child.js';
import { makeVisualizeProcessor } from './visualize.processor.js';
import { cancelFlagReader, startVisualizeWorker } from './worker.js';

const log = childLogger({ module: 'worker', pid: process.pid });

/**
 * The library worker (ingest, stats, remove, index) as a child process of its own, at a lower CPU priority
 * (worker/library.main.ts); restarted after a crash, stopped with this process.
 */
function superviseLibraryWorker(): { stop(): Promise<void> } {
  let child: ChildProcess | undefined;
  let stopping = false;
  const start = () => {
    child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./library.main.ts', import.meta.url))], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], env: process.env });
    child.once('exit', (code, sig) => {
      if (stopping) return;
      log.error({ code, sig }, 'library worker exited; restarting it in 5 s');
      setTimeout(() => !stopping && start(), 5_000).unref();
    });
  };
  start();
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function main(): Promise<void> {
  const cfg = env();
  const roles = new Set(cfg.WORKER_QUEUES.split(','));
  const library = roles.has('library') ? superviseLibraryWorker() : undefined;
  if (!roles.has('visualize')) {
    log.info('serving the library queue only (WORKER_QUEUES)');
    const stopOnly = () => void library?.stop().then(() => process.exit(0));
    process.on('SIGTERM', stopOnly);
    process.on('SIGINT', stopOnly);
    return;
  }
  const redis = new Redis({ ...redisOptions(cfg.REDIS_URL), maxRetriesPerRequest: 3 });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis error'));
  const blobs = new BlobStore(redis, cfg.QUEUE_PREFIX);
  for (const w of await checkRedis(redis)) log.warn(w);
  const ytdlp = await isYtDlpAvailable();
  log.info({ ytdlp: ytdlp ? cfg.YTDLP_PATH : 'not installed: page links (YouTube...) are refused' }, 'yt-dlp');

  const processor = makeVisualizeProcessor({
    fetchAudio: makeFetchAudio({
      maxBytes: cfg.BOT_MAX_AUDIO_MB * 1024 * 1024,
      maxSeconds: cfg.BOT_MAX_AUDIO_SECONDS,
      timeoutMs: cfg.BOT_FETCH_TIMEOUT_S * 1000,
      blobs,
    }),
    render: renderInChild(cfg.BOT_JOB_TIMEOUT_S * 1000),
    blobs,
    libraryDir: cfg.CLIPMATCH_LIBRARY,
    ...(cfg.CLIPMATCH_MODEL ? { modelDir: cfg.CLIPMATCH_MODEL } : {}),
    videoMaxMb: cfg.BOT_VIDEO_MAX_MB,
    maxSeconds: cfg.BOT_MAX_AUDIO_SECONDS,
    isCancelled: cancelFlagReader(redis, cfg.QUEUE_PREFIX, VISUALIZE_QUEUE),
  });
  const running = await startVisualizeWorker({
    connection: consumerConnection(cfg.REDIS_URL),
    prefix: cfg.QUEUE_PREFIX,
    processor,
    concurrency: cfg.WORKER_CONCURRENCY,
    log,
  });
  log.info({ prefix: cfg.QUEUE_PREFIX, concurrency: cfg.WORKER_CONCURRENCY }, 'worker ready');

  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) {
      log.warn({ sig }, 'second signal: abandoning running jobs to other workers');
      void Promise.all([running.close(true), library?.stop()]).finally(() => process.exit(1));
      return;
    }
    stopping = true;
    log.info({ sig }, 'finishing running jobs, then exiting (signal again to abandon them)');
    void Promise.all([running.close(), library?.stop()])
      .then(() => redis.quit())
      .then(() => process.exit(0));
  };
  // a stray rejection must not take the worker (and its running jobs) down: log it and keep going
  process.on('unhandledRejection', (err) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'unhandled rejection'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  log.fatal({ err: err instanceof Error ? err.message : String(err) }, 'worker failed to start');
  process.exit(1);
});
