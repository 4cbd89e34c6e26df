// A worker process for the failover test: it takes a job, reports that it is rendering, and never
// finishes, until the test SIGKILLs it. Usage: node --import tsx tests/helpers/doomed-worker.ts <prefix>
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { BlobStore } from '../../src/jobs/blobs.js';
import { consumerConnection } from '../../src/jobs/queue.js';
import { makeVisualizeProcessor } from '../../worker/visualize.processor.js';
import { startVisualizeWorker } from '../../worker/worker.js';

const prefix = process.argv[2] ?? '';
const url = 'redis://127.0.0.1:6379';
const processor = makeVisualizeProcessor({
  fetchAudio: async () => ({ path: '/dev/null', duration: 30 }),
  render: async (_o, progress) => {
    progress('render', 0, 1);
    console.log('RENDERING');
    return new Promise(() => undefined);
  },
  blobs: new BlobStore(new Redis(url), prefix),
  libraryDir: '/nonexistent',
  videoMaxMb: 8,
  maxSeconds: 600,
  isCancelled: async () => false,
  progressEveryMs: 0,
});
await startVisualizeWorker({
  connection: consumerConnection(url),
  prefix,
  processor,
  log: pino({ level: 'silent' }),
  lockDurationMs: 2000,
  stalledIntervalMs: 1000,
});
console.log('READY');
