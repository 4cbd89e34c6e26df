// Ingest as jobs on the real Redis and PostgreSQL (a random schema and queue prefix per test), with real
// worker processes and real ffmpeg on tiny generated media: two workers ingest 8 videos queued twice
// at once (as from two hosts): every clip exactly once and the catalogue consistent; a worker killed
// mid-video, and the other finishes it; `library status` reports the batch.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, watch } from 'node:fs';
import { Redis } from 'ioredis';
import { BlobStore } from '../../src/jobs/blobs.js';
import type { VisualizeJobData, VisualizeJobResult } from '../../src/jobs/jobs.types.js';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import { openCatalog, type Catalog } from '../../src/library/catalog.js';
import { queueIngestBatch } from '../../src/library/batch.js';
import { createLibraryQueue, INDEX_QUEUE, LIBRARY_QUEUE, VISUALIZE_QUEUE, type LibraryQueue } from '../../src/jobs/queue.js';
import { makeAudio, makeVideo, tempDir } from '../helpers/media.js';
import { testSchema } from '../helpers/pg.js';
import { freePort } from '../helpers/ports.js';
import { spawnLogged, startLibraryWorker, type RunningProcess } from '../helpers/library-workers.js';

const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
const SOURCES = ['testsrc2', 'mandelbrot', 'smptebars', 'rgbtestsrc', 'cellauto', 'life', 'testsrc', 'pal100bars'];

interface Setup {
  lib: string;
  media: string;
  env: Record<string, string>;
  catalog: Catalog;
  queue: LibraryQueue;
  events: QueueEvents;
  workers: RunningProcess[];
}

async function setup(t: TestContext): Promise<Setup> {
  const dir = tempDir('clipmatch-ingestq-');
  const schema = testSchema('iq');
  const prefix = `cmtest-iq-${randomBytes(4).toString('hex')}`;
  const lib = join(dir.dir, 'library');
  const media = join(dir.dir, 'media');
  mkdirSync(media, { recursive: true });
  const env = {
    DATABASE_URL: schema.url,
    CLIPMATCH_DB_SCHEMA: schema.schema,
    CLIPMATCH_LIBRARY: lib,
    QUEUE_PREFIX: prefix,
    REDIS_URL: 'redis://127.0.0.1:6379',
    CLIPMATCH_THREADS: '1',
    LIBRARY_LOCK_MS: '10000', // long enough that a loaded machine never loses a live worker's lock
    LIBRARY_NICE: '0',
  };
  const catalog = await openCatalog(lib, { create: true, databaseUrl: schema.url, schema: schema.schema });
  const queue = createLibraryQueue(connection, prefix);
  const events = new QueueEvents(LIBRARY_QUEUE, { connection, prefix });
  await events.waitUntilReady();
  const s: Setup = { lib, media, env, catalog, queue, events, workers: [] };
  t.after(async () => {
    await Promise.all(s.workers.map((w) => w.kill()));
    await events.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    const index = new Queue(INDEX_QUEUE, { connection, prefix });
    await index.obliterate({ force: true }).catch(() => undefined);
    await index.close();
    await catalog.close();
    await schema.drop();
    dir.cleanup();
  });
  return s;
}

/** Resolves when every one of `ids` has completed, before or after the call (rejects on a final failure). */
function allCompleted(events: QueueEvents, ids: readonly string[], queue: LibraryQueue): Promise<Map<string, unknown>> {
  const want = new Set(ids);
  const done = new Map<string, unknown>();
  return new Promise((resolve, reject) => {
    const record = (jobId: string, value: unknown) => {
      if (!want.has(jobId) || done.has(jobId)) return;
      done.set(jobId, typeof value === 'string' ? JSON.parse(value) : value);
      if (done.size === want.size) {
        events.off('completed', onDone);
        resolve(done);
      }
    };
    const onDone = ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) => record(jobId, returnvalue);
    events.on('completed', onDone);
    events.on('failed', ({ jobId, failedReason }) => {
      if (want.has(jobId)) reject(new Error(`job ${jobId} failed: ${failedReason}`));
    });
    // those that completed before the listener was in place
    void Promise.all(
      ids.map(async (id) => {
        const job = await queue.getJob(id);
        if (job && (await job.getState()) === 'completed') record(id, job.returnvalue);
      }),
    ).catch(reject);
  });
}

async function checkConsistent(s: Setup, expectVideos: number, expectClips: number): Promise<void> {
  const stats = await s.catalog.stats();
  assert.equal(stats.videos, expectVideos);
  assert.equal(stats.clips, expectClips);
  const ids = await s.catalog.clipIds();
  assert.equal(new Set(ids).size, ids.length, 'every clip once');
  const dirs = readdirSync(join(s.lib, 'videos')).sort();
  assert.deepEqual(dirs, (await s.catalog.videos()).map((v) => v.videoId).sort(), 'every video folder is catalogued, and the other way round');
  for (const v of await s.catalog.videos()) {
    const files = readdirSync(join(s.lib, 'videos', v.videoId));
    for (const c of await s.catalog.clipsOf(v.videoId)) assert.ok(files.includes(c.videoPath.split('/').pop()!), `${c.videoPath} exists`);
    assert.ok(files.includes('video.json') && files.includes('audio.f32'), 'the folder is whole');
  }
}

test('two worker processes ingest 8 videos queued twice at once: every clip exactly once, catalogue consistent', async (t) => {
  const s = await setup(t);
  for (let i = 0; i < 8; i++) makeVideo(join(s.media, `v${i}.mp4`), { seconds: 10, source: SOURCES[i]!, freq: 300 + 50 * i });
  s.workers.push(...(await Promise.all([startLibraryWorker(s.env), startLibraryWorker(s.env)])));
  // the same folder queued from two "hosts" at the same moment
  const [a, b] = await Promise.all([queueIngestBatch([s.media], { catalog: s.catalog, queue: s.queue }), queueIngestBatch([s.media], { catalog: s.catalog, queue: s.queue })]);
  const jobIds = [...new Set([...a.queued, ...b.queued, ...a.alreadyQueued, ...b.alreadyQueued].map((j) => j.jobId))];
  assert.equal(jobIds.length, 8, 'one job per video, whichever batch queued it');
  const results = await allCompleted(s.events, jobIds, s.queue);
  const statuses = [...results.values()].map((r) => (r as { status: string }).status);
  assert.deepEqual(statuses, Array(8).fill('added'), 'each video ingested once');
  await checkConsistent(s, 8, 8);
  // the batches know what happened to their videos
  const batches = await s.catalog.batches();
  const total = batches.reduce((n, x) => n + x.counts.added, 0);
  assert.equal(total, 8);
  assert.ok(batches.every((x) => x.counts.queued === 0 && x.counts.running === 0 && x.counts.failed === 0));
  // queued again later: all there already, nothing to do
  const again = await queueIngestBatch([s.media], { catalog: s.catalog, queue: s.queue });
  assert.equal(again.queued.length, 0);
  assert.equal(again.alreadyPresent.length, 8);
});

test('a worker killed mid-video: nothing half-written, the other worker does the video again', async (t) => {
  const s = await setup(t);
  makeVideo(join(s.media, 'long.mp4'), { seconds: 60, source: 'mandelbrot', freq: 500, size: '320x240' });
  makeVideo(join(s.media, 'bad.mp4'), { seconds: 1, source: 'testsrc2', freq: 500 }); // shorter than half a clip
  const first = await startLibraryWorker(s.env);
  s.workers.push(first);
  // kill it the moment its build folder for the long video appears (the build then takes seconds more)
  mkdirSync(join(s.lib, 'tmp'), { recursive: true });
  const building = new Promise<string>((resolve) => {
    const w = watch(join(s.lib, 'tmp'), (_event, name) => {
      if (name && /^v[0-9a-f]{12}\./.test(String(name))) {
        w.close();
        resolve(String(name));
      }
    });
  });
  const batch = await queueIngestBatch([s.media], { catalog: s.catalog, queue: s.queue });
  const long = batch.queued.find((j) => j.source.endsWith('long.mp4'))!;
  const bad = batch.queued.find((j) => j.source.endsWith('bad.mp4'))!;
  const folder = await building;
  await first.kill();
  assert.ok(readdirSync(join(s.lib, 'tmp')).includes(folder), 'the killed worker left its build folder');
  assert.equal(await s.catalog.hasVideo(folder.split('.')[0]!), false, 'nothing in the catalogue');
  assert.ok(!existsSync(join(s.lib, 'videos')) || readdirSync(join(s.lib, 'videos')).length === 0, 'no video folder appeared');
  const done = allCompleted(s.events, [long.jobId, bad.jobId], s.queue);
  s.workers.push(await startLibraryWorker(s.env));
  const results = await done;
  assert.equal((results.get(long.jobId) as { status: string; clips: number }).status, 'added');
  assert.equal((results.get(long.jobId) as { clips: number }).clips, 6);
  assert.equal((results.get(bad.jobId) as { status: string }).status, 'skipped');
  await checkConsistent(s, 1, 6);
  assert.deepEqual(readdirSync(join(s.lib, 'tmp')).filter((n) => !n.startsWith('downloads.')), [], "the killed worker's build folder was swept");
  const [b] = await s.catalog.batches();
  assert.equal(b!.counts.added, 1);
  assert.equal(b!.counts.skipped, 1);
  assert.match(b!.problems[0]!.reason, /shorter than half a clip/);
  const status = execFileSync(process.execPath, ['bin/clipmatch.js', 'library', 'status', '--library', s.lib], { env: { ...process.env, ...s.env } }).toString();
  assert.match(status, /2 video\(s\): 0 queued, 0 running, 1 added \(6 clips, 1\.0 min\), 0 already there, 1 skipped, 0 failed · done/);
  assert.match(status, /skipped: .*bad\.mp4: shorter than half a clip/);
});

test('a visualize job on a worker started before the ingest sees the new clips once the index job is done', async (t) => {
  const s = await setup(t);
  for (let i = 0; i < 3; i++) makeVideo(join(s.media, `w${i}.mp4`), { seconds: 10, source: SOURCES[i]!, freq: 400 + 100 * i });
  const song = makeAudio(join(s.media, 'song.wav'), 16, 'sine=frequency=330:beep_factor=4');
  // one `npm run worker`: visualize in this process, the library worker in its child
  const worker = spawnLogged('worker/main.ts', s.env);
  s.workers.push(worker);
  await worker.waitFor((l) => l.msg === 'worker ready');
  await worker.waitFor((l) => l.msg === 'library worker ready');
  const redis = new Redis({ ...connection });
  const blobs = new BlobStore(redis, s.env.QUEUE_PREFIX!);
  const visualize = new Queue(VISUALIZE_QUEUE, { connection, prefix: s.env.QUEUE_PREFIX! });
  const vEvents = new QueueEvents(VISUALIZE_QUEUE, { connection, prefix: s.env.QUEUE_PREFIX! });
  const iEvents = new QueueEvents(INDEX_QUEUE, { connection, prefix: s.env.QUEUE_PREFIX! });
  await Promise.all([vEvents.waitUntilReady(), iEvents.waitUntilReady()]);
  t.after(async () => {
    await vEvents.close();
    await iEvents.close();
    await visualize.obliterate({ force: true }).catch(() => undefined);
    await visualize.close();
    redis.disconnect();
  });
  const ask = async (jobId: string) => {
    const ref = await blobs.putBuffer(jobId, 'song.wav', readFileSync(song), 'audio/wav');
    const data: VisualizeJobData = {
      v: 1,
      platform: 'discord',
      requestId: jobId,
      userId: 'u1',
      serverId: 's1',
      source: { kind: 'blob', key: ref.key, name: 'song.wav', bytes: ref.bytes },
      reply: { channelId: 'c1' },
      requestedAt: Date.now(),
    };
    const job = await visualize.add('visualize', data, { jobId, attempts: 1 });
    return job.waitUntilFinished(vEvents) as Promise<VisualizeJobResult>;
  };
  // before any ingest: no index, and the worker does not build one
  await assert.rejects(ask('before'), /no (index|clip)/i);
  const indexed = new Promise<{ version?: number; clips: number }>((resolve) => {
    iEvents.on('completed', ({ returnvalue }) => {
      const r = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as { version?: number; clips: number };
      if (r.clips === 3) resolve(r);
    });
  });
  const batch = await queueIngestBatch([s.media], { catalog: s.catalog, queue: s.queue });
  await allCompleted(s.events, batch.queued.map((j) => j.jobId), s.queue);
  const version = await indexed;
  assert.ok(version.version !== undefined && version.version >= 1);
  const r = await ask('after');
  assert.ok(r.indexVersion !== undefined && r.indexVersion >= version.version!, `the job used index version ${r.indexVersion}`);
  const clips = await s.catalog.clipIds();
  assert.equal(clips.length, 3);
  for (const h of [...r.closest, ...r.farthest]) assert.ok(clips.includes(h.clipId), `${h.clipId} is one of the new clips`);
  assert.ok(!worker.lines.some((l) => /rebuilding the clip index/.test(String(l.msg))), 'the visualize side never built an index');
});

test('ingest --queue with the queue down says so at once and queues nothing', async () => {
  const dir = tempDir('clipmatch-ingestq-down-');
  try {
    makeVideo(join(dir.dir, 'a.mp4'), { seconds: 10 });
    const port = await freePort(); // nothing listens there
    const { DATABASE_URL: _unused, ...env } = process.env; // the SQLite catalogue
    const r = spawnSync(process.execPath, ['bin/clipmatch.js', 'ingest', join(dir.dir, 'a.mp4'), '--queue', '--library', join(dir.dir, 'lib')], {
      env: { ...env, REDIS_URL: `redis://127.0.0.1:${port}` },
      encoding: 'utf8',
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`the queue \\(Redis at redis://127\\.0\\.0\\.1:${port}\\) is not answering; start it or ingest without --queue`));
    assert.ok(!existsSync(join(dir.dir, 'lib')), 'no library was made');
  } finally {
    dir.cleanup();
  }
});
