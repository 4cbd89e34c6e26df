// Untrusted songs: a gzip bomb for the libgme demuxer is refused by the demuxer whitelist without being
// inflated, and the memory cap alone would stop it too; a VBR MP3 that probes short is measured by its
// decoded length, and decoding stops at the cap; no message names a path of the host.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isUserError } from '../../src/core/errors.js';
import { MediaError, probe, runBinary, UNTRUSTED_MEMORY_BYTES } from '../../src/media/ffmpeg.js';
import { loadSong } from '../../src/services/song.js';
import { normalizeSong } from '../../worker/audio-source.js';
import { tempDir } from '../helpers/media.js';
import { writeGmeBomb, writeVbrWithoutHeader } from '../helpers/hostile-media.js';

const userError = (code: string, dir: string) => (err: unknown) => {
  assert.ok(isUserError(err), `a UserError, got ${String(err)}`);
  assert.equal(err.code, code);
  assert.ok(!err.message.includes(dir) && !err.message.includes('/tmp'), `no host path in "${err.message}"`);
  return true;
};

describe('untrusted song files', { timeout: 120_000 }, () => {
  const { dir, cleanup } = tempDir('clipmatch-hostile-');
  const bomb = join(dir, 'song.mp3');
  const vbr = join(dir, 'vbr.mp3');
  before(async () => {
    // 768 MiB inflated: over the 512 MiB cap, so the cap alone must stop it
    await writeGmeBomb(join(dir, 'bomb.vgz'), 768);
    await copyFile(join(dir, 'bomb.vgz'), bomb);
    await writeVbrWithoutHeader(vbr, 4, 40);
  });
  after(cleanup);

  it('refuses a libgme gzip bomb named .mp3 through the demuxer whitelist', async () => {
    await assert.rejects(probe(bomb, { untrusted: true }), MediaError);
    await assert.rejects(normalizeSong(bomb, join(dir, 'out.flac'), 600), userError('NOT_AUDIO', dir));
    await assert.rejects(loadSong(bomb), userError('NOT_AUDIO', dir));
  });

  it('stops the same file by the memory cap alone, whitelist or not', async () => {
    // what probing it without the whitelist does under the cap: the allocation fails, ffprobe exits
    await assert.rejects(
      runBinary('ffprobe', ['-v', 'error', '-show_format', bomb], { memoryLimitBytes: UNTRUSTED_MEMORY_BYTES, timeoutMs: 60_000 }),
      MediaError,
    );
    // a normal song probes fine under the same cap
    assert.ok((await probe(vbr, { untrusted: true })).audio);
  });

  it('measures a VBR MP3 without a duration header by decoding, and stops decoding at the cap', async () => {
    const probed = (await probe(vbr)).duration;
    assert.ok(probed < 20, `probed as ${probed} s (an estimate from the loud start)`);
    const out = join(dir, 'vbr.flac');
    await assert.rejects(normalizeSong(vbr, out, 20), userError('TOO_LONG', dir));
    const decoded = (await probe(out)).duration;
    assert.ok(decoded <= 21.05 && decoded > 20, `decoding stopped at the cap + 1 s: ${decoded} s`);
    await assert.rejects(loadSong(vbr, { maxSeconds: 20 }), userError('TOO_LONG', dir));
    // under a cap it really fits, the decoded length is the song's
    const ok = await normalizeSong(vbr, join(dir, 'ok.flac'), 60);
    assert.ok(Math.abs(ok.duration - 44) < 0.2, `${ok.duration} s`);
    assert.ok(Math.abs((await loadSong(ok.path, { maxSeconds: 60 })).duration - 44) < 0.2);
  });

  it('names no host path when a file is not audio', async () => {
    const text = join(dir, 'notes.mp3');
    await copyFile(new URL(import.meta.url), text);
    await assert.rejects(loadSong(text), userError('NOT_AUDIO', dir));
    await assert.rejects(normalizeSong(text, join(dir, 'n.flac'), 60), userError('NOT_AUDIO', dir));
  });
});
