// The encoding side of a montage plan: bitrate and frame size from song length and size cap, and the
// per-piece frame counts that keep the video exactly as long as the song.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BYTES_PER_MB, chooseEncoding, containerOverheadBytes, frameSize, retryVideoKbps } from '../../src/core/bitrate.js';
import { isUserError } from '../../src/core/errors.js';
import { pieceFrames } from '../../src/media/render.js';

void test('the planned bytes fit under the cap for every song length from 10 s to 15 min', () => {
  for (const seconds of [10, 37, 60, 180, 300, 600, 900]) {
    for (const aspect of ['16:9', '9:16', '1:1'] as const) {
      const e = chooseEncoding(seconds, 10, aspect);
      const planned = ((e.videoKbps + e.audioKbps) * 1000 * seconds) / 8 + containerOverheadBytes(seconds, e.fps);
      assert.ok(planned <= 10 * BYTES_PER_MB * 0.93, `${seconds} s ${aspect}: ${planned} bytes`);
      assert.equal(e.width % 2, 0);
      assert.equal(e.height % 2, 0);
      assert.ok(e.videoKbps >= 24 && e.audioKbps >= 32);
    }
  }
});

void test('longer songs get fewer pixels and fewer audio bits, never more', () => {
  let prev = chooseEncoding(10, 10, '16:9');
  for (const seconds of [30, 60, 120, 180, 300, 600, 900]) {
    const e = chooseEncoding(seconds, 10, '16:9');
    assert.ok(e.width * e.height <= prev.width * prev.height);
    assert.ok(e.audioKbps <= prev.audioKbps);
    prev = e;
  }
  assert.deepEqual([chooseEncoding(180, 10, '16:9').width, chooseEncoding(180, 10, '16:9').height], [640, 360]);
  assert.ok(chooseEncoding(30, 10, '16:9', { maxHeight: 360 }).height <= 360);
});

void test('frame sizes follow the aspect', () => {
  assert.deepEqual(frameSize('16:9', 720), { width: 1280, height: 720 });
  assert.deepEqual(frameSize('9:16', 720), { width: 720, height: 1280 });
  assert.deepEqual(frameSize('1:1', 360), { width: 360, height: 360 });
  assert.deepEqual(frameSize('16:9', 270), { width: 480, height: 270 });
});

void test('an impossible cap is a user error that says what would fit', () => {
  assert.throws(
    () => chooseEncoding(900, 1, '16:9'),
    (e: unknown) => isUserError(e) && e.code === 'TOO_LARGE' && /at least [\d.]+ MB/.test(e.message),
  );
  assert.throws(() => chooseEncoding(60, 0, '16:9'), (e: unknown) => isUserError(e) && e.code === 'BAD_INPUT');
  assert.throws(() => chooseEncoding(0, 10, '16:9'), RangeError);
});

void test('a render over the cap retries at a bitrate that would have fitted', () => {
  const e = chooseEncoding(60, 10, '16:9');
  const next = retryVideoKbps(e, 11 * BYTES_PER_MB, 60);
  assert.ok(next < e.videoKbps * 0.9);
  const predicted = ((next + e.audioKbps) * 1000 * 60) / 8 + containerOverheadBytes(60, e.fps);
  assert.ok(predicted < e.maxBytes);
});

void test('piece frame counts add up to the song length in frames, whatever the cut points', () => {
  const cuts = [0, 2.013, 4.77, 7.5, 9.999, 14.3];
  const pieces = cuts.slice(0, -1).map((start, i) => ({ path: 'x', offset: 0, start, end: cuts[i + 1]! }));
  const frames = pieceFrames(pieces, 14.3, 25);
  assert.equal(frames.reduce((a, b) => a + b, 0), Math.round(14.3 * 25));
  frames.forEach((f, i) => assert.ok(Math.abs(f - (cuts[i + 1]! - cuts[i]!) * 25) <= 1));
});
