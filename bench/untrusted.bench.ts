// Probing a hostile song (`npm run bench -- untrusted`): a 1 MB gzip'd VGM named .mp3 that ffmpeg's
// libgme demuxer inflates to 1000 MiB, probed three ways: as before (no whitelist, no cap), under the
// memory cap alone, and as the bot probes untrusted media now (whitelist + cap). Peak RSS is the child's
// VmHWM read from /proc while it runs (Linux), wall time from spawn to exit. Heavy: the first case takes
// about 2 GB of memory for a few seconds.
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UNTRUSTED_MEMORY_BYTES, untrustedInputArgs } from '../src/media/ffmpeg.js';
import { tempDir } from '../tests/helpers/media.js';
import { writeGmeBomb } from '../tests/helpers/hostile-media.js';

interface Sample {
  peakRssMiB: number;
  seconds: number;
  exitCode: number | null;
}

async function measure(args: string[], memoryLimitBytes?: number): Promise<Sample> {
  const t0 = performance.now();
  const child = memoryLimitBytes
    ? spawn('/bin/sh', ['-c', 'ulimit -v "$0" && exec "$@"', String(memoryLimitBytes / 1024), 'ffprobe', ...args], { stdio: 'ignore' })
    : spawn('ffprobe', args, { stdio: 'ignore' });
  let peakKb = 0;
  const poll = setInterval(() => {
    readFile(`/proc/${child.pid}/status`, 'utf8').then(
      (s) => (peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0))),
      () => undefined,
    );
  }, 10);
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearInterval(poll);
  return { peakRssMiB: Math.round(peakKb / 1024), seconds: Math.round((performance.now() - t0) / 10) / 100, exitCode };
}

export async function run(): Promise<Record<string, unknown>> {
  const t = tempDir('clipmatch-bench-untrusted-');
  try {
    const bomb = join(t.dir, 'song.mp3');
    await writeGmeBomb(bomb, 1000);
    const base = ['-v', 'error', '-show_format', bomb];
    return {
      fileBytes: (await stat(bomb)).size,
      inflatedMiB: 1000,
      memoryCapMiB: UNTRUSTED_MEMORY_BYTES / 2 ** 20,
      before: await measure(base),
      capOnly: await measure(base, UNTRUSTED_MEMORY_BYTES),
      now: await measure([...untrustedInputArgs(), ...base], UNTRUSTED_MEMORY_BYTES),
    };
  } finally {
    t.cleanup();
  }
}
