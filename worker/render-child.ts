// Runs visualize() in a forked child (worker/visualize.child.ts) with tsx loaded, so no build step is
// needed, and turns its messages back into a promise, progress calls and typed errors
// (src/core/child-job.ts).
import { fileURLToPath } from 'node:url';
import { runChildJob } from '../src/core/child-job.js';
import type { ProgressFn } from '../src/core/types.js';
import type { VisualizeOptions, VisualizeResult } from '../src/core/visualize.types.js';

export type RenderFn = (opts: VisualizeOptions, progress: ProgressFn) => Promise<VisualizeResult>;

const CHILD = fileURLToPath(new URL('./visualize.child.ts', import.meta.url));

export function renderInChild(timeoutMs: number): RenderFn {
  return ({ signal, ...opts }, progress) =>
    runChildJob<Omit<VisualizeOptions, 'signal'>, VisualizeResult>({
      entry: CHILD,
      opts,
      progress,
      ...(signal ? { signal } : {}),
      timeoutMs,
      label: 'visualize',
      cancelMessage: 'Cancelled.',
    });
}
