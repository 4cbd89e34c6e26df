// Child process entry of the index job (index-job-child.ts forks it): the graph build is native and
// synchronous for minutes, so it runs apart from a queue worker, whose event loop must keep renewing
// its job lock, and a cancel or timeout simply kills it (its build lock then names a dead pid and is
// taken over at once). Protocol: src/core/child-job.ts.
import { serveChildJob } from '../core/child-job.js';
import type { IndexJobChildOptions } from './index-job-child.js';

serveChildJob(async (opts: IndexJobChildOptions, progress) => {
  const { runIndexJob } = await import('./index-job.js');
  return runIndexJob({ ...opts, progress });
});
