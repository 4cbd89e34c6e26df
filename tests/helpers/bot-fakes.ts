// Test doubles for the bot core and queue tests: a recording ReplyUI, a fake render that writes tiny
// files and reports stages, a random queue prefix and its cleanup.
import { UserError } from '../../src/core/errors.js';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { LibraryUI, ReplyUI, ResultView } from '../../src/bots/core.js';
import type { LibraryAnswerView, StatusView } from '../../src/bots/render.js';
import type { ReplyTarget } from '../../src/jobs/jobs.types.js';
import type { RenderFn } from '../../worker/render-child.js';
import type { VisualizeResult } from '../../src/core/visualize.types.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';
export const randomPrefix = (): string => `cmtest-${randomBytes(5).toString('hex')}`;

/** Deletes every key under the prefix (BullMQ's and ours). */
export async function removePrefix(prefix: string): Promise<void> {
  const r = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, found] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (found.length) await r.del(...found);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

export type UiEvent =
  | { kind: 'status'; view: StatusView }
  | { kind: 'result'; view: ResultView; videoBytes?: Buffer }
  | { kind: 'error'; message: string }
  | { kind: 'summary'; view: LibraryAnswerView };

/** Records what a reply shows; serves both kinds of request (a video's result, a library answer). */
export class RecordingUI implements ReplyUI, LibraryUI {
  readonly events: UiEvent[] = [];
  readonly done: Promise<UiEvent>;
  private resolveDone!: (e: UiEvent) => void;
  constructor(
    readonly uploadLimitBytes = 25 * 1024 * 1024,
    readonly target: ReplyTarget = { channelId: 'c1' },
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
  }
  async status(view: StatusView): Promise<void> {
    this.events.push({ kind: 'status', view });
  }
  async result(view: ResultView): Promise<void> {
    const { readFile } = await import('node:fs/promises');
    const e: UiEvent = { kind: 'result', view, ...(view.video ? { videoBytes: await readFile(view.video.path) } : {}) };
    this.events.push(e);
    this.resolveDone(e);
  }
  async error(message: string): Promise<void> {
    const e: UiEvent = { kind: 'error', message };
    this.events.push(e);
    this.resolveDone(e);
  }
  async summary(view: LibraryAnswerView): Promise<void> {
    const e: UiEvent = { kind: 'summary', view };
    this.events.push(e);
    this.resolveDone(e);
  }
  finals(): UiEvent[] {
    return this.events.filter((e) => e.kind !== 'status');
  }
}

export const hit = (i: number, distance: number) => ({
  clipId: `clip${i}`,
  videoId: `vid${i}`,
  source: `Source ${i}`,
  start: i * 10,
  distance,
});

/** A render that writes a few bytes of "video" and "sheet" and walks through the service's stages. */
export function fakeRender(opts: { delayMs?: number; onStart?: (o: Parameters<RenderFn>[0]) => void } = {}): RenderFn {
  return async (o, progress) => {
    opts.onStart?.(o);
    for (const stage of ['decode', 'embed', 'search', 'match', 'render']) {
      progress(stage, 1, 1);
      if (opts.delayMs) await abortableDelay(opts.delayMs, o.signal);
    }
    const sheet = join(o.outPath + '.sheet.png');
    await writeFile(o.outPath, Buffer.from('fake-mp4-' + o.audioPath));
    await writeFile(sheet, Buffer.from('fake-png'));
    const res: VisualizeResult = {
      closest: [hit(1, 0.1), hit(2, 0.2), hit(3, 0.3)],
      farthest: [hit(7, 1.7), hit(8, 1.8), hit(9, 1.9)],
      sheet,
      at: 12,
      video: o.outPath,
      duration: 30,
      sizeBytes: 20,
      plan: [],
      tempo: 120,
    };
    return res;
  };
}

export function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new Error('aborted'));
    }, { once: true });
  });
}

// ---- a whole stack (core + queue + events + worker) on a random prefix ----
import { pino } from 'pino';
import { tmpdir } from 'node:os';
import { VisualizeCore } from '../../src/bots/core.js';
import type { CoreConfig, CoreDeps } from '../../src/bots/core.js';
import { BlobStore } from '../../src/jobs/blobs.js';
import { consumerConnection, createVisualizeEvents, createVisualizeQueue, producerConnection } from '../../src/jobs/queue.js';
import { makeVisualizeProcessor } from '../../worker/visualize.processor.js';
import type { ProcessorDeps } from '../../worker/visualize.processor.js';
import { startVisualizeWorker } from '../../worker/worker.js';
import type { RunningWorker } from '../../worker/worker.js';

export const quietLog = pino({ level: process.env.TEST_LOG ?? 'silent' });

export const testCoreConfig = (over: Partial<CoreConfig> = {}): CoreConfig => ({
  limits: { userConcurrency: 1, serverConcurrency: 5, cooldownMs: 0, slotTtlMs: 600_000 },
  maxAudioBytes: 1024 * 1024,
  maxQueue: 20,
  attempts: 3,
  backoffMs: 100,
  editEveryMs: 50,
  workDir: join(tmpdir(), 'clipmatch-bot-test'),
  ...over,
});

export interface Stack {
  prefix: string;
  core: VisualizeCore;
  redis: Redis;
  queue: ReturnType<typeof createVisualizeQueue>;
  events: ReturnType<typeof createVisualizeEvents>;
  startWorker(over?: Partial<ProcessorDeps>): Promise<RunningWorker>;
  close(): Promise<void>;
}

export async function startStack(opts: { core?: Partial<CoreConfig>; deps?: Partial<CoreDeps> } = {}): Promise<Stack> {
  const prefix = randomPrefix();
  const redis = new Redis({ ...producerConnection(REDIS_URL) });
  await new Promise((r) => redis.once('ready', r));
  const queue = createVisualizeQueue(producerConnection(REDIS_URL), prefix);
  const events = createVisualizeEvents(consumerConnection(REDIS_URL), prefix);
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  const core = new VisualizeCore({
    queue, events, redis, prefix, config: testCoreConfig(opts.core), log: quietLog, ...opts.deps,
  });
  const workers: RunningWorker[] = [];
  const workerRedis: Redis[] = [];
  return {
    prefix, core, redis, queue, events,
    async startWorker(over = {}) {
      const r = new Redis(REDIS_URL);
      workerRedis.push(r);
      const blobs = new BlobStore(r, prefix);
      const processor = makeVisualizeProcessor({
        fetchAudio: async (_src, dir) => {
          const p = join(dir, 'song.wav');
          await writeFile(p, 'fake');
          return { path: p, duration: 30 };
        },
        render: fakeRender(),
        blobs,
        libraryDir: '/nonexistent',
        videoMaxMb: 8,
        maxSeconds: 600,
        isCancelled: async () => false,
        progressEveryMs: 0,
        ...over,
      });
      const w = await startVisualizeWorker({
        connection: consumerConnection(REDIS_URL), prefix, processor, log: quietLog,
        lockDurationMs: 2000, stalledIntervalMs: 1000,
      });
      workers.push(w);
      return w;
    },
    async close() {
      core.close();
      await Promise.all(workers.map((w) => w.close(true)));
      await events.close();
      await queue.close();
      redis.disconnect();
      workerRedis.forEach((r) => r.disconnect());
      await removePrefix(prefix);
    },
  };
}

// ---- the library queue: core + queue + events + worker over a fake LibraryOps ----
import { LibraryCore } from '../../src/bots/core.js';
import type { LibraryCoreConfig } from '../../src/bots/core.js';
import { createLibraryEvents, createLibraryQueue } from '../../src/jobs/queue.js';
import type { LibraryJobData, LibraryJobResult } from '../../src/jobs/jobs.types.js';
import type { AddVideoResult, LibraryOps, LibraryStatsView, RemoveResult, VideoSource } from '../../src/library/ops.types.js';
import { makeLibraryProcessor } from '../../worker/library.processor.js';
import type { LibraryProcessorDeps } from '../../worker/library.processor.js';
import { cancelFlagReader, startLibraryWorker } from '../../worker/worker.js';

/**
 * LibraryOps in memory: addVideo walks through the port's progress names (download, probe, clips 1..n,
 * commit) and adds `clipsPerVideo` 10-s clips, or reports a video already there; `gate`, when set, holds
 * an ingest after its first clip until the test opens it (so a progress edit can be seen before the answer).
 */
/** Settles when `signal` aborts (never without one). */
function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

export class FakeLibraryOps implements LibraryOps {
  readonly videos = new Map<string, { videoId: string; title: string; clips: number; seconds: number }>();
  readonly added: VideoSource[] = [];
  gate?: Promise<void>;
  constructor(private readonly clipsPerVideo = 3) {}
  /** Holds every ingest after its first clip (the gate) until the returned release is called, or its job's signal aborts. */
  hold(): () => void {
    let open!: () => void;
    this.gate = new Promise((r) => (open = r));
    return () => {
      this.gate = undefined;
      open();
    };
  }
  async addVideo(source: VideoSource, opts: Parameters<LibraryOps['addVideo']>[1]): Promise<AddVideoResult> {
    const p = opts.progress ?? (() => undefined);
    this.added.push(source);
    const title = source.kind === 'file' ? (source.path.split('/').pop() ?? 'video') : source.kind === 'url' ? source.url.split('/').pop() || 'video' : source.name;
    p('download', 1, 1);
    p('probe', 1, 1);
    const known = [...this.videos.values()].find((v) => v.title === title);
    if (known) return { status: 'present', videoId: known.videoId, title, clips: known.clips, seconds: known.seconds };
    for (let i = 1; i <= this.clipsPerVideo; i++) {
      p('clips', i, this.clipsPerVideo);
      // held after the first clip; a cancel (the job's signal) ends the wait as it ends a real ingest
      if (i === 1 && this.gate) await Promise.race([this.gate, untilAborted(opts.signal)]);
      if (opts.signal?.aborted) throw new UserError('CANCELLED', 'ingest cancelled');
    }
    p('commit', 1, 1);
    const v = { videoId: `v${randomBytes(6).toString('hex')}`, title, clips: this.clipsPerVideo, seconds: this.clipsPerVideo * 10 };
    this.videos.set(v.videoId, v);
    return { status: 'added', ...v };
  }
  async stats(): Promise<LibraryStatsView> {
    const all = [...this.videos.values()];
    return { videos: all.length, clips: all.reduce((a, v) => a + v.clips, 0), seconds: all.reduce((a, v) => a + v.seconds, 0), flaggedSeconds: { title: 10, black: 0 }, skipped: 1, indexVersion: 2 };
  }
  async remove(ref: string): Promise<RemoveResult> {
    const hit = [...this.videos.values()].filter((v) => v.videoId === ref || (ref.length >= 8 && v.videoId.startsWith(ref)) || v.title === ref);
    hit.forEach((v) => this.videos.delete(v.videoId));
    return { removed: hit };
  }
}

export const testLibraryConfig = (over: Partial<LibraryCoreConfig> = {}): LibraryCoreConfig => ({
  limits: { userConcurrency: 2, serverConcurrency: 5, cooldownMs: 0, slotTtlMs: 600_000 },
  maxQueue: 100,
  attempts: 2,
  backoffMs: 100,
  editEveryMs: 0,
  ...over,
});

export interface LibraryStack {
  prefix: string;
  core: LibraryCore;
  queue: ReturnType<typeof createLibraryQueue>;
  events: ReturnType<typeof createLibraryEvents>;
  /** jobs in the library queue in any state */
  jobCount(): Promise<number>;
  startWorker(deps: Omit<LibraryProcessorDeps, 'blobs'> & Partial<Pick<LibraryProcessorDeps, 'blobs'>>): Promise<RunningWorker<LibraryJobData, LibraryJobResult>>;
  close(): Promise<void>;
}

/** A library stack; on `prefix` (a visualize stack's) the two share one deployment, as in production. */
export async function startLibraryStack(opts: { prefix?: string; core?: Partial<LibraryCoreConfig> } = {}): Promise<LibraryStack> {
  const prefix = opts.prefix ?? randomPrefix();
  const redis = new Redis({ ...producerConnection(REDIS_URL) });
  await new Promise((r) => redis.once('ready', r));
  const queue = createLibraryQueue(producerConnection(REDIS_URL), prefix);
  const events = createLibraryEvents(consumerConnection(REDIS_URL), prefix);
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  const core = new LibraryCore({ queue, events, redis, prefix, config: testLibraryConfig(opts.core), log: quietLog });
  const workers: RunningWorker<LibraryJobData, LibraryJobResult>[] = [];
  const workerRedis: Redis[] = [];
  return {
    prefix, core, queue, events,
    async jobCount() {
      const counts = await queue.getJobCounts();
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },
    async startWorker(deps) {
      const r = new Redis(REDIS_URL);
      workerRedis.push(r);
      const processor = makeLibraryProcessor({ blobs: new BlobStore(r, prefix, 'library'), progressEveryMs: 0, isCancelled: cancelFlagReader(r, prefix, 'library'), ...deps });
      const w = await startLibraryWorker({
        connection: consumerConnection(REDIS_URL), prefix, processor, log: quietLog, lockDurationMs: 2000, stalledIntervalMs: 1000,
      });
      workers.push(w);
      return w;
    },
    async close() {
      core.close();
      await Promise.all(workers.map((w) => w.close(true)));
      await events.close();
      await queue.close();
      redis.disconnect();
      workerRedis.forEach((r) => r.disconnect());
      if (!opts.prefix) await removePrefix(prefix);
    },
  };
}
