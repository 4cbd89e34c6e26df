// Child process entry for the heavy part of a job (decode, embed, match, render). It runs apart from
// the worker so inference cannot block the worker's event loop (job locks keep renewing) and a cancel
// or timeout can simply kill it. Protocol: one `start` message in; `progress`, then `done` or `error` out.
import type { VisualizeOptions } from '../src/core/visualize.types.js';
import type { ChildMessage, ParentMessage } from './render-child.js';

const send = (msg: ChildMessage): void => {
  process.send?.(msg);
};

// An orphan (the worker was killed) must not keep burning CPU: the job will run again elsewhere.
process.on('disconnect', () => process.exit(1));

process.once('message', (msg: ParentMessage) => {
  void run(msg.opts);
});

async function run(opts: VisualizeOptions): Promise<void> {
  try {
    const { visualize } = await import('../src/services/visualize.service.js');
    const result = await visualize(opts, (stage: string, done: number, total: number) => send({ type: 'progress', stage, done, total }));
    send({ type: 'done', result });
  } catch (err) {
    const e = err as Error & { code?: string };
    send({ type: 'error', error: { name: e.name, message: e.message, code: e.code, stack: e.stack } });
  } finally {
    process.disconnect?.();
  }
}
