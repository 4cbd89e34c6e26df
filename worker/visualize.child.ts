// Child process entry for the heavy part of a job (decode, embed, match, render). It runs apart from
// the worker so inference cannot block the worker's event loop (job locks keep renewing) and a cancel
// or timeout can simply kill it. Protocol: src/core/child-job.ts.
import { serveChildJob } from '../src/core/child-job.js';
import type { VisualizeOptions } from '../src/core/visualize.types.js';

serveChildJob(async (opts: VisualizeOptions, progress) => {
  const { visualize } = await import('../src/services/visualize.service.js');
  return visualize(opts, progress);
});
