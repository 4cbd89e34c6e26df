// The worker's heavy step runs the real visualize service in a forked child that loads TypeScript
// through tsx: progress crosses the IPC channel, user errors come back typed, Cancel kills the child.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/core/errors.js';
import { ffmpeg } from '../../src/media/ffmpeg.js';
import { renderInChild } from '../../worker/render-child.js';

describe('render child process', { timeout: 60_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clipmatch-child-'));
    await ffmpeg(['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-ar', '16000', '-ac', '1', '-y', join(dir, 'song.wav')]);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs visualize in a child and returns its user error typed', async () => {
    const stages: string[] = [];
    const run = renderInChild(50_000)(
      { audioPath: join(dir, 'song.wav'), libraryDir: join(dir, 'no-library'), outPath: join(dir, 'out.mp4') },
      (stage) => stages.push(stage),
    );
    await assert.rejects(run, (err: unknown) => {
      assert.ok(err instanceof UserError, `a UserError, got ${String(err)}`);
      return true;
    });
  });

  it('kills the child on cancel', async () => {
    const ac = new AbortController();
    const run = renderInChild(50_000)(
      { audioPath: join(dir, 'song.wav'), libraryDir: join(dir, 'no-library'), outPath: join(dir, 'out.mp4'), signal: ac.signal },
      () => undefined,
    );
    ac.abort();
    await assert.rejects(run, (err: unknown) => err instanceof UserError && err.code === 'CANCELLED');
  });
});
