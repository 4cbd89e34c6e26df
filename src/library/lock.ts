// One writer per library: a lock file holding the writer's pid. A lock left by a dead process is taken over.
import { rmSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../core/errors.js';

/** Whether a process of this host with that pid is running (EPERM: running, as another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireLock(root: string): Promise<() => void> {
  const path = join(root, '.ingest.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (pid && pid !== process.pid && alive(pid)) {
        throw new UserError('BUSY', `another ingest (pid ${pid}) is writing to ${root}; wait for it to finish`);
      }
      await rm(path, { force: true });
    }
  }
  throw new UserError('BUSY', `could not lock ${root}`);
}
