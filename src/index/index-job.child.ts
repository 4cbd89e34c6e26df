// Child process entry of the index job (index-job-child.ts forks it): the graph build is native and
// synchronous for minutes, so it runs apart from a queue worker, whose event loop must keep renewing
// its job lock, and a cancel or timeout simply kills it (its build lock then names a dead pid and is
// taken over at once). Protocol: one `start` message in; `progress`, then `done` or `error` out.
import type { IndexJobChildMessage, IndexJobParentMessage } from './index-job-child.js';

const send = (msg: IndexJobChildMessage): void => {
  process.send?.(msg);
};

// An orphan (the worker was killed) stops: the job runs again elsewhere.
process.on('disconnect', () => process.exit(1));

process.once('message', (msg: IndexJobParentMessage) => {
  void run(msg);
});

async function run(msg: IndexJobParentMessage): Promise<void> {
  try {
    const { runIndexJob } = await import('./index-job.js');
    const result = await runIndexJob({ ...msg.opts, progress: (stage, done, total) => send({ type: 'progress', stage, done, total }) });
    send({ type: 'done', result });
  } catch (err) {
    const e = err as Error & { code?: string };
    send({ type: 'error', error: { name: e.name, message: e.message, code: e.code, stack: e.stack } });
  } finally {
    process.disconnect?.();
  }
}
