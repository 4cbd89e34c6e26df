// Runs visualize() in a forked child (worker/visualize.child.ts) with tsx loaded, so no build step is
// needed, and turns its messages back into a promise, progress calls and typed errors.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UserError } from '../src/core/errors.js';
import type { UserErrorCode } from '../src/core/errors.js';
import type { ProgressFn } from '../src/core/types.js';
import type { VisualizeOptions, VisualizeResult } from '../src/core/visualize.types.js';

export type ParentMessage = { type: 'start'; opts: Omit<VisualizeOptions, 'signal'> };
export type ChildMessage =
  | { type: 'progress'; stage: string; done: number; total: number }
  | { type: 'done'; result: VisualizeResult }
  | { type: 'error'; error: { name: string; message: string; code?: string; stack?: string } };

export type RenderFn = (opts: VisualizeOptions, progress: ProgressFn) => Promise<VisualizeResult>;

const CHILD = fileURLToPath(new URL('./visualize.child.ts', import.meta.url));
// Absolute, so the child loads tsx whatever directory the worker was started from.
const TSX = import.meta.resolve('tsx');

export function renderInChild(timeoutMs: number): RenderFn {
  return ({ signal, ...opts }, progress) =>
    new Promise<VisualizeResult>((resolve, reject) => {
      const child = fork(CHILD, [], { execArgv: ['--import', TSX], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (child.exitCode === null) child.kill('SIGKILL');
        fn();
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`visualize timed out after ${Math.round(timeoutMs / 1000)} s`))),
        timeoutMs,
      );
      const onAbort = () => finish(() => reject(new UserError('CANCELLED', 'Cancelled.')));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      child.on('message', (msg: ChildMessage) => {
        switch (msg.type) {
          case 'progress':
            progress(msg.stage, msg.done, msg.total);
            break;
          case 'done':
            finish(() => resolve(msg.result));
            break;
          case 'error':
            finish(() => reject(reviveError(msg.error)));
            break;
        }
      });
      child.on('error', (err) => finish(() => reject(err)));
      child.on('exit', (code, sig) =>
        finish(() => reject(new Error(`visualize process exited (${sig ?? `code ${code}`}) without a result`))),
      );
      child.send({ type: 'start', opts } satisfies ParentMessage);
    });
}

function reviveError(e: { name: string; message: string; code?: string; stack?: string }): Error {
  if (e.name === 'UserError' && e.code) return new UserError(e.code as UserErrorCode, e.message);
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}
