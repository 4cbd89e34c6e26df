// Library worker processes (worker/library.main.ts) for integration tests: real processes on the real
// Redis and PostgreSQL, each ready when it logs so (never after a delay), killed in t.after.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface RunningProcess {
  child: ChildProcess;
  /** every log line so far, parsed */
  lines: Array<Record<string, unknown>>;
  /** resolves with the first log line for which `test` holds (including earlier ones) */
  waitFor(test: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** SIGKILL, and wait for the exit */
  kill(): Promise<void>;
}

export function spawnLogged(script: string, env: Record<string, string>): RunningProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ test: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }> = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  createInterface({ input: child.stderr! }).on('line', (text) => {
    let l: Record<string, unknown>;
    try {
      l = JSON.parse(text) as Record<string, unknown>;
    } catch {
      l = { msg: text };
    }
    lines.push(l);
    for (const w of [...waiters]) {
      if (w.test(l)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  });
  return {
    child,
    lines,
    waitFor(test) {
      const seen = lines.find(test);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ test, resolve });
        void exited.then(() => reject(new Error(`${script} exited before the awaited log line; last lines:\n${lines.slice(-8).map((x) => JSON.stringify(x)).join('\n')}`)));
      });
    },
    async kill() {
      // the whole process group: a worker's own children (its library worker) go with it
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }
      await exited;
    },
  };
}

/** A library worker on this library, catalogue schema and queue prefix; resolves once it is ready. */
export async function startLibraryWorker(env: Record<string, string>): Promise<RunningProcess> {
  const p = spawnLogged('worker/library.main.ts', env);
  await p.waitFor((l) => l.msg === 'library worker ready');
  return p;
}
