// Real ffmpeg and the real MobileNetV2 from nsfwjs on tiny generated clips.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { decodeFrames } from '../../src/media/frames.js';
import { MediaError } from '../../src/media/ffmpeg.js';
import { CNN_DIM, embedFrames, loadCnn } from '../../src/features/visual/cnn.js';
import { CUE_DIM } from '../../src/features/visual/cues.js';
import { extractRawVisual } from '../../src/features/visual/extract.js';
import { makeAudio, makeVideo, tempDir } from '../helpers/media.js';

const tmp = tempDir('clipmatch-visual-');
let clip = '';
let wide = '';
before(() => {
  clip = makeVideo(join(tmp.dir, 'test.mp4'), { seconds: 3, size: '320x240', rate: 25, freq: null });
  wide = makeVideo(join(tmp.dir, 'wide.mp4'), { seconds: 1, source: 'smptebars', size: '320x120', rate: 25, freq: null });
});
after(() => tmp.cleanup());

void test('decodeFrames samples fps * duration frames of the requested size', async () => {
  const b = await decodeFrames(clip, { fps: 2, width: 224, height: 224, threads: 1 });
  assert.equal(b.count, 6);
  assert.deepEqual([b.width, b.height, b.fps], [224, 224, 2]);
  assert.equal(b.rgb.length, 6 * 224 * 224 * 3);
  const part = await decodeFrames(clip, { fps: 4, width: 64, height: 48, start: 1, duration: 1, skipNonRef: true });
  assert.equal(part.count, 4);
  assert.equal(part.rgb.length, 4 * 64 * 48 * 3);
});

void test('decodeFrames centre-crops a wide frame instead of padding it', async () => {
  // smptebars across 320x120 cropped to its middle 120x120: no black bars at the left or right edge.
  const b = await decodeFrames(wide, { fps: 1, width: 32, height: 32 });
  assert.equal(b.count, 1);
  const px = (x: number, y: number) => [...b.rgb.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3)];
  assert.ok(px(0, 4).some((v) => v > 100), `left edge is picture, got ${px(0, 4).join(',')}`);
  assert.ok(px(31, 4).some((v) => v > 100), `right edge is picture, got ${px(31, 4).join(',')}`);
});

void test('decodeFrames on a file without video fails clearly', async () => {
  const wav = makeAudio(join(tmp.dir, 'tone.wav'), 1);
  await assert.rejects(decodeFrames(wav, { fps: 2, width: 32, height: 32 }), (e: unknown) => e instanceof MediaError && /no video stream/.test(e.message));
});

void test('CNN: the same frame embeds identically, different frames differ', async () => {
  const model = await loadCnn();
  const b = await decodeFrames(clip, { fps: 1, width: 224, height: 224, duration: 2 });
  assert.equal(b.count, 2);
  const frameLen = 224 * 224 * 3;
  // Frame 0, frame 1, frame 0 again: one batch of three.
  const rgb = new Uint8Array(3 * frameLen);
  rgb.set(b.rgb.subarray(0, 2 * frameLen));
  rgb.set(b.rgb.subarray(0, frameLen), 2 * frameLen);
  const e = await embedFrames(model, rgb, 3, 2);
  assert.equal(e.length, 3 * CNN_DIM);
  const row = (i: number) => e.subarray(i * CNN_DIM, (i + 1) * CNN_DIM);
  assert.ok(e.every((v) => Number.isFinite(v) && v >= 0 && v <= 6), 'ReLU6 averages lie in [0, 6]');
  let diff = 0;
  for (let k = 0; k < CNN_DIM; k++) diff += Math.abs(row(0)[k]! - row(1)[k]!);
  assert.ok(diff / CNN_DIM > 1e-3, `different frames differ (mean |d| ${diff / CNN_DIM})`);
  assert.deepEqual(row(2), row(0));
});

void test('extractRawVisual: right lengths, finite, zero rows past the clip', async () => {
  const raw = await extractRawVisual(clip, 4);
  assert.equal(raw.seconds, 4);
  assert.equal(raw.cnn.length, 4 * CNN_DIM);
  assert.equal(raw.cues.length, 4 * CUE_DIM);
  assert.ok(raw.cnn.every(Number.isFinite) && raw.cues.every(Number.isFinite));
  for (let s = 0; s < 3; s++) assert.ok(raw.cnn.subarray(s * CNN_DIM, (s + 1) * CNN_DIM).some((v) => v !== 0), `second ${s} has content`);
  assert.ok(raw.cnn.subarray(3 * CNN_DIM).every((v) => v === 0), 'the 4th second does not exist');
  assert.ok(raw.cues.subarray(3 * CUE_DIM).every((v) => v === 0));
  // testsrc2 moves: some motion in the later seconds.
  assert.ok(raw.cues[CUE_DIM]! > 0);
});
