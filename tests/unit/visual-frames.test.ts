import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameFilter, sliceFrames } from '../../src/media/frames.js';

void test('sliceFrames views the frames of a time range without copying', () => {
  const W = 2, H = 2, len = W * H * 3;
  const rgb = new Uint8Array(7 * len);
  for (let f = 0; f < 7; f++) rgb.fill(f, f * len, (f + 1) * len);
  const batch = { width: W, height: H, fps: 2, count: 7, rgb };
  const s = sliceFrames(batch, 1, 2);
  assert.equal(s.count, 4);
  assert.deepEqual([s.rgb[0], s.rgb[s.rgb.length - 1]], [2, 5]);
  assert.equal(s.rgb.buffer, rgb.buffer);
  assert.equal(sliceFrames(batch, 3, 10).count, 1, 'clipped at the end');
  assert.equal(sliceFrames(batch, 9, 1).count, 0);
});

void test('frameFilter samples first, then covers and crops at the display aspect', () => {
  const f = frameFilter(2, 224, 224);
  assert.match(f, /^fps=2,scale=/);
  assert.match(f, /dar/);
  assert.match(f, /,setsar=1,crop=224:224$/);
});
