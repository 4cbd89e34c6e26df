// Ingest as jobs, with one and with two library worker processes on this machine: the same videos
// queued with `clipmatch ingest --queue`'s code path into a fresh library (PostgreSQL catalogue in a
// scratch schema, Redis queue under a scratch prefix) each run, timed from the queueing to the last
// video committed. Each worker gets CLIPMATCH_THREADS threads (1 by default: two workers on two cores).
// Footage: the real film Debian ships in openboard-common (cut into 30-s files) when it is there
// (`apt-get download openboard-common && dpkg -x ...`, or --video=<path>), else generated footage.
// Run alone: node --import tsx bench/workers.bench.ts [--runs=3] [--video=path]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import { openCatalog } from '../src/library/catalog.js';
import { queueIngestBatch } from '../src/library/batch.js';
import { createLibraryQueue, INDEX_QUEUE, LIBRARY_QUEUE } from '../src/jobs/queue.js';
import { makeVideo, tempDir } from '../tests/helpers/media.js';
import { testSchema } from '../tests/helpers/pg.js';
import { startLibraryWorker } from '../tests/helpers/library-workers.js';

const VIDEOS = ['/usr/share/openboard/library/videos/wannaworktogether.mp4', '/tmp/openboard/usr/share/openboard/library/videos/wannaworktogether.mp4'];
const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const loadavg = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];

async function footage(dir: string): Promise<{ files: string[]; seconds: number; real: string | null }> {
  const src = arg('video') ?? VIDEOS.find((v) => existsSync(v));
  mkdirSync(dir, { recursive: true });
  if (src) {
    execFileSync('ffmpeg', ['-v', 'error', '-i', src, '-c', 'copy', '-map', '0', '-f', 'segment', '-segment_time', '30', '-reset_timestamps', '1', join(dir, 'part-%02d.mp4')]);
    const files = readdirSync(dir).filter((f) => f.endsWith('.mp4')).map((f) => join(dir, f));
    const seconds = files.reduce((s, f) => s + Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', f]).toString()), 0);
    return { files, seconds, real: src };
  }
  const files: string[] = [];
  const sources = ['mandelbrot', 'testsrc2', 'cellauto', 'life', 'smptebars', 'rgbtestsrc'];
  for (let i = 0; i < 6; i++) files.push(makeVideo(join(dir, `gen-${i}.mp4`), { seconds: 30, source: sources[i]!, size: '640x360', rate: 25, freq: 300 + 60 * i }));
  return { files, seconds: 180, real: null };
}

async function once(media: string, workers: number, threads: number): Promise<{ wall: number; load: number }> {
  const schema = testSchema('bench');
  const dir = tempDir('clipmatch-workers-bench-');
  const prefix = `cmbench-${randomBytes(4).toString('hex')}`;
  const lib = join(dir.dir, 'library');
  const env = { DATABASE_URL: schema.url, CLIPMATCH_DB_SCHEMA: schema.schema, CLIPMATCH_LIBRARY: lib, QUEUE_PREFIX: prefix, CLIPMATCH_THREADS: String(threads), LIBRARY_NICE: '0', LOG_LEVEL: 'info' };
  const catalog = await openCatalog(lib, { create: true, databaseUrl: schema.url, schema: schema.schema });
  const queue = createLibraryQueue(connection, prefix);
  const events = new QueueEvents(LIBRARY_QUEUE, { connection, prefix });
  const procs = await Promise.all(Array.from({ length: workers }, () => startLibraryWorker(env)));
  try {
    await events.waitUntilReady();
    const t0 = performance.now();
    const batch = await queueIngestBatch([media], { catalog, queue });
    const want = new Set(batch.queued.map((j) => j.jobId));
    await new Promise<void>((resolve, reject) => {
      events.on('completed', ({ jobId }) => {
        want.delete(jobId);
        if (want.size === 0) resolve();
      });
      events.on('failed', ({ jobId, failedReason }) => reject(new Error(`${jobId}: ${failedReason}`)));
    });
    return { wall: (performance.now() - t0) / 1000, load: loadavg() };
  } finally {
    await Promise.all(procs.map((p) => p.kill()));
    await events.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    const iq = new Queue(INDEX_QUEUE, { connection, prefix });
    await iq.obliterate({ force: true }).catch(() => undefined);
    await iq.close();
    await catalog.close();
    await schema.drop();
    dir.cleanup();
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const runs = Number(arg('runs') ?? 3);
  const threads = Number(arg('threads') ?? 1);
  const work = tempDir('clipmatch-workers-media-');
  try {
    const f = await footage(join(work.dir, 'media'));
    const out: Record<string, unknown> = { footage: f.real ?? 'generated', videos: f.files.length, seconds: round(f.seconds, 1), threadsPerWorker: threads, runs, loadBefore: loadavg() };
    const walls: Record<string, number> = {};
    for (const workers of [1, 2]) {
      const ws: number[] = [];
      const loads: number[] = [];
      for (let r = 0; r < runs; r++) {
        const x = await once(join(work.dir, 'media'), workers, threads);
        ws.push(x.wall);
        loads.push(x.load);
      }
      walls[workers] = median(ws);
      out[`workers${workers}`] = { wallSecondsMedian: round(median(ws)), wallSeconds: ws.map((w) => round(w)), realtimeX: round(f.seconds / median(ws), 1), loadAfter: loads.map((l) => round(l, 1)) };
    }
    out.speedup2vs1 = round(walls[1]! / walls[2]!, 2);
    return out;
  } finally {
    work.cleanup();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(JSON.stringify(await run(), null, 2) + '\n');
}
