import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseEncoding, encodingLadder, noUpscaleShortSide } from '../../src/core/bitrate.js';
import { samplePieces } from '../../src/media/quality.js';

void test('the ladder never goes above the best source or the size limit, and keeps the byte budget', () => {
  const plan = chooseEncoding(180, 10, '16:9');
  for (const sourceHeight of [240, 360, 480, 720, 1080]) {
    const ladder = encodingLadder(plan, '16:9', { sourceHeight, maxRungs: 4 });
    assert.ok(ladder.length >= 1 && ladder.length <= 4);
    assert.ok(ladder.every((e) => e.height <= Math.min(720, sourceHeight)), `source ${sourceHeight}: ${ladder.map((e) => e.height).join(', ')}`);
    assert.ok(ladder.every((e) => e.videoKbps <= plan.videoKbps && e.maxBytes === plan.maxBytes && e.audioKbps === plan.audioKbps));
    for (let i = 1; i < ladder.length; i++) assert.ok(ladder[i]!.height < ladder[i - 1]!.height, 'tallest first');
    assert.ok(ladder.every((e) => e.width % 2 === 0 && e.height % 2 === 0));
  }
  // A short song has bits to spare at the tallest size: nothing to measure.
  assert.equal(encodingLadder(chooseEncoding(20, 10, '16:9'), '16:9', { sourceHeight: 720 }).length, 1);
});

void test('no upscaling: the output short side a source allows at each aspect', () => {
  assert.equal(noUpscaleShortSide('16:9', 640, 480), 360);
  assert.equal(noUpscaleShortSide('16:9', 1920, 1080), 1080);
  assert.equal(noUpscaleShortSide('9:16', 1280, 720), 405);
  assert.equal(noUpscaleShortSide('1:1', 320, 240), 240);
});

void test('the quality sample takes a few seconds from pieces spread over the montage', () => {
  const pieces = Array.from({ length: 20 }, (_, i) => ({ path: `p${i}`, offset: i * 0.1, start: i * 3, end: i * 3 + 3 }));
  const s = samplePieces(pieces, 4, 1.6);
  assert.equal(s.length, 4);
  assert.deepEqual(s.map((p) => p.path), ['p2', 'p7', 'p12', 'p17']);
  assert.equal(s[0]!.start, 0);
  for (let i = 1; i < s.length; i++) assert.equal(s[i]!.start, s[i - 1]!.end);
  assert.ok(Math.abs(s[3]!.end - 6.4) < 1e-9);
});
