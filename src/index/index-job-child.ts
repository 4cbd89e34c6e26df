// runIndexJob in a forked child process (index-job.child.ts, tsx loaded so no build step is needed):
// what a queue worker calls, so that the minutes-long native graph build never blocks its event loop.
// Progress comes back as calls, a UserError as a UserError; cancel (signal) or timeout kills the child.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UserError, type UserErrorCode } from '../core/errors.js';
import type { IndexJobOptions, IndexJobResult } from './index-job.js';

type ChildOptions = Omit<IndexJobOptions, 'progress' | 'signal' | 'embedder' | 'deps'>;
export type IndexJobParentMessage = { type: 'start'; opts: ChildOptions };
export type IndexJobChildMessage =
  | { type: 'progress'; stage: string; done: number; total: number }
  | { type: 'done'; result: IndexJobResult }
  | { type: 'error'; error: { name: string; message: string; code?: string; stack?: string } };

const CHILD = fileURLToPath(new URL('./index-job.child.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

export function runIndexJobInChild(opts: ChildOptions & Pick<IndexJobOptions, 'progress' | 'signal'> & { timeoutMs?: number }): Promise<IndexJobResult> {
  const { progress, signal, timeoutMs, ...childOpts } = opts;
  return new Promise<IndexJobResult>((resolve, reject) => {
    const child = fork(CHILD, [], { execArgv: ['--import', TSX], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // settle only once the child is gone (reaped): its build lock then names a dead pid
      if (child.exitCode === null && child.signalCode === null) {
        child.once('exit', fn);
        child.kill('SIGKILL');
      } else fn();
    };
    const timer = timeoutMs ? setTimeout(() => finish(() => reject(new Error(`index job timed out after ${Math.round(timeoutMs / 1000)} s`))), timeoutMs) : undefined;
    const onAbort = () => finish(() => reject(new UserError('CANCELLED', 'cancelled')));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('message', (msg: IndexJobChildMessage) => {
      switch (msg.type) {
        case 'progress':
          progress?.(msg.stage, msg.done, msg.total);
          break;
        case 'done':
          finish(() => resolve(msg.result));
          break;
        case 'error': {
          const e = msg.error;
          const err = e.name === 'UserError' && e.code ? new UserError(e.code as UserErrorCode, e.message) : Object.assign(new Error(e.message), { name: e.name, stack: e.stack });
          finish(() => reject(err));
          break;
        }
      }
    });
    child.on('error', (err) => finish(() => reject(err)));
    child.on('exit', (code, sig) => finish(() => reject(new Error(`index job process exited (${sig ?? `code ${code}`}) without a result`))));
    child.send({ type: 'start', opts: childOpts } satisfies IndexJobParentMessage);
  });
}
