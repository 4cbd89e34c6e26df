// One index builder at a time per library, across hosts: a lock file on the shared library path,
// created with O_EXCL (open 'wx'; atomic on local disks and on NFSv3+), holding host, pid, time and a
// random token. The holder touches it while it builds; a lock whose holder is a dead process on this
// host, or that nobody touched for `staleMs`, is taken over. The lock only saves duplicate work:
// correctness never rests on it, since every build publishes its own version (index-versions.ts), so
// even two builders that both believe they hold it produce two whole versions, never a mixed one.
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../core/errors.js';
import { childLogger } from '../log.js';
import { alive } from '../library/lock.js';

const log = childLogger({ module: 'index-lock' });

export const LOCK_FILE = '.build.lock';
/** No touch for this long means the holder is gone (a build touches it at least every batch). */
export const DEFAULT_STALE_MS = 10 * 60_000;

export interface LockInfo {
  host: string;
  pid: number;
  startedAt: string;
  token: string;
}

export interface BuildLock {
  readonly info: LockInfo;
  /** marks the lock as alive; cheap, call it between batches of work */
  touch(): void;
  /** true while the lock file is still ours */
  held(): boolean;
  release(): void;
}

export interface AcquireOptions {
  staleMs?: number;
  /** wait for a live holder to finish (polling every pollMs) instead of failing with BUSY */
  wait?: boolean;
  pollMs?: number;
  signal?: AbortSignal;
}

function readLock(path: string): { info: LockInfo | undefined; mtimeMs: number } | undefined {
  try {
    const mtimeMs = statSync(path).mtimeMs;
    let info: LockInfo | undefined;
    try {
      info = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    } catch {
      info = undefined; // being written, or damaged: judged by its age alone
    }
    return { info, mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function isStale(lock: { info: LockInfo | undefined; mtimeMs: number }, staleMs: number): boolean {
  if (Date.now() - lock.mtimeMs > staleMs) return true;
  const i = lock.info;
  return i !== undefined && i.host === hostname() && i.pid !== process.pid && !alive(i.pid);
}

/** Moves a stale lock aside; puts it back when it turned out to be a fresh one taken meanwhile. */
function breakStale(path: string, judged: LockInfo | undefined): void {
  const aside = `${path}.stale-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else broke it
    throw err;
  }
  const moved = readLock(aside);
  if (moved?.info && judged && moved.info.token !== judged.token) {
    try {
      linkSync(aside, path); // a new holder's lock: give it back (fails harmlessly if a third took the name)
    } catch {
      // the name is taken again; the new holder notices with held()
    }
  } else {
    log.warn({ path, holder: judged }, 'took over a stale index build lock');
  }
  rmSync(aside, { force: true });
}

/** Takes the build lock of the folder `dir` (created if missing). */
export async function acquireBuildLock(dir: string, opts: AcquireOptions = {}): Promise<BuildLock> {
  const staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
  const path = join(dir, LOCK_FILE);
  mkdirSync(dir, { recursive: true });
  const info: LockInfo = { host: hostname(), pid: process.pid, startedAt: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  for (;;) {
    if (opts.signal?.aborted) throw new UserError('CANCELLED', 'cancelled');
    try {
      writeFileSync(path, JSON.stringify(info), { flag: 'wx' });
      return handle(path, info);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const current = readLock(path);
    if (!current) continue;
    if (isStale(current, staleMs)) {
      breakStale(path, current.info);
      continue;
    }
    const who = current.info ? `${current.info.host} pid ${current.info.pid} since ${current.info.startedAt}` : 'another process';
    if (!opts.wait) throw new UserError('BUSY', `the index is being built by ${who}; try again when it is done`);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, opts.pollMs ?? 2000);
      opts.signal?.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
  }
}

function handle(path: string, info: LockInfo): BuildLock {
  let released = false;
  const ours = () => readLock(path)?.info?.token === info.token;
  return {
    info,
    touch() {
      if (released) return;
      try {
        const now = new Date();
        utimesSync(path, now, now);
      } catch {
        // lost (broken as stale): held() says so
      }
    },
    held: () => !released && ours(),
    release() {
      if (released) return;
      released = true;
      if (ours()) rmSync(path, { force: true });
    },
  };
}
