// runIndexJob in a forked child process (index-job.child.ts, tsx loaded so no build step is needed):
// what a queue worker calls, so that the minutes-long native graph build never blocks its event loop.
// Progress comes back as calls, a UserError as a UserError; cancel (signal) or timeout kills the child.
import { fileURLToPath } from 'node:url';
import { runChildJob } from '../core/child-job.js';
import type { IndexJobOptions, IndexJobResult } from './index-job.js';

export type IndexJobChildOptions = Omit<IndexJobOptions, 'progress' | 'signal' | 'embedder' | 'deps'>;

const CHILD = fileURLToPath(new URL('./index-job.child.ts', import.meta.url));

export function runIndexJobInChild(opts: IndexJobChildOptions & Pick<IndexJobOptions, 'progress' | 'signal'> & { timeoutMs?: number }): Promise<IndexJobResult> {
  const { progress, signal, timeoutMs, ...childOpts } = opts;
  return runChildJob<IndexJobChildOptions, IndexJobResult>({
    entry: CHILD,
    opts: childOpts,
    ...(progress ? { progress } : {}),
    ...(signal ? { signal } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
    label: 'index job',
    cancelMessage: 'cancelled',
    // settle only once the child is gone (reaped): its build lock then names a dead pid
    settleAfterExit: true,
  });
}
