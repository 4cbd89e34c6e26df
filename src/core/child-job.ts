// One job in a forked child process, for work that must not block a queue worker's event loop (its job
// locks keep renewing) and that a cancel or timeout simply kills: the render (worker/render-child.ts) and
// the index build (src/index/index-job-child.ts). The child is a .ts entry started with tsx loaded, so no
// build step is needed. Protocol: one `start` message in; `progress`, then `done` or `error` out; the
// parent gets a promise, progress calls and errors revived (a UserError stays a UserError).
import { fork } from 'node:child_process';
import { UserError, type UserErrorCode } from './errors.js';
import type { ProgressFn } from './types.js';

export type ChildStart<O> = { type: 'start'; opts: O };
export type SerializedError = { name: string; message: string; code?: string; stack?: string };
export type ChildReply<R> =
  | { type: 'progress'; stage: string; done: number; total: number }
  | { type: 'done'; result: R }
  | { type: 'error'; error: SerializedError };

// Absolute, so the child loads tsx whatever directory the worker was started from.
const TSX = import.meta.resolve('tsx');

export interface ChildJobOptions<O> {
  /** path of the child's .ts entry (it calls serveChildJob) */
  entry: string;
  opts: O;
  progress?: ProgressFn;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** what the job is called in the timeout and exit errors ("visualize", "index job") */
  label: string;
  /** the UserError message of a cancel */
  cancelMessage: string;
  /** settle only once a killed child is gone (reaped): for a child whose lock names its pid */
  settleAfterExit?: boolean;
}

export function reviveError(e: SerializedError): Error {
  if (e.name === 'UserError' && e.code) return new UserError(e.code as UserErrorCode, e.message);
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}

/** Runs one job in a forked child; cancel (signal) or timeout kills it. */
export function runChildJob<O, R>(o: ChildJobOptions<O>): Promise<R> {
  const { signal, timeoutMs } = o;
  return new Promise<R>((resolve, reject) => {
    const child = fork(o.entry, [], { execArgv: ['--import', TSX], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (child.exitCode === null && child.signalCode === null) {
        if (o.settleAfterExit) {
          child.once('exit', fn);
          child.kill('SIGKILL');
          return;
        }
        child.kill('SIGKILL');
      }
      fn();
    };
    const timer = timeoutMs ? setTimeout(() => finish(() => reject(new Error(`${o.label} timed out after ${Math.round(timeoutMs / 1000)} s`))), timeoutMs) : undefined;
    const onAbort = () => finish(() => reject(new UserError('CANCELLED', o.cancelMessage)));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('message', (msg: ChildReply<R>) => {
      switch (msg.type) {
        case 'progress':
          o.progress?.(msg.stage, msg.done, msg.total);
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
    child.on('exit', (code, sig) => finish(() => reject(new Error(`${o.label} process exited (${sig ?? `code ${code}`}) without a result`))));
    child.send({ type: 'start', opts: o.opts } satisfies ChildStart<O>);
  });
}

/** The child's side: waits for the start message, runs `work`, sends its progress and outcome, then
 * disconnects. An orphan (the worker was killed) exits at once: the job runs again elsewhere. */
export function serveChildJob<O, R>(work: (opts: O, progress: ProgressFn) => Promise<R>): void {
  const send = (msg: ChildReply<R>): void => {
    process.send?.(msg);
  };
  process.on('disconnect', () => process.exit(1));
  process.once('message', (msg: ChildStart<O>) => {
    void (async () => {
      try {
        const result = await work(msg.opts, (stage, done, total) => send({ type: 'progress', stage, done, total }));
        send({ type: 'done', result });
      } catch (err) {
        const e = err as Error & { code?: string };
        send({ type: 'error', error: { name: e.name, message: e.message, code: e.code, stack: e.stack } });
      } finally {
        process.disconnect?.();
      }
    })();
  });
}
