import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CUE_DIM, CUE_NAMES, computeCues } from '../../src/features/visual/cues.js';
import { VISUAL_LAYOUT } from '../../src/features/visual/layout.js';
import { composeVisual, fitCueStats, VISUAL_DIM } from '../../src/features/visual/index.js';
import type { FrameBatch } from '../../src/features/types.js';

const W = 16, H = 12;
function batch(colours: Array<[number, number, number]>, fps = 2): FrameBatch {
  const rgb = new Uint8Array(colours.length * W * H * 3);
  colours.forEach(([r, g, b], f) => {
    for (let p = 0; p < W * H; p++) rgb.set([r, g, b], (f * W * H + p) * 3);
  });
  return { width: W, height: H, fps, count: colours.length, rgb };
}
const cue = (out: Float32Array, second: number, name: (typeof CUE_NAMES)[number]) => out[second * CUE_DIM + CUE_NAMES.indexOf(name)]!;

void test('black then white: full motion, a cut, brightness halfway', () => {
  const out = computeCues(batch([[0, 0, 0], [255, 255, 255]]), 1);
  assert.ok(Math.abs(cue(out, 0, 'motion') - 1) < 1e-6);
  assert.equal(cue(out, 0, 'cut'), 1);
  assert.ok(Math.abs(cue(out, 0, 'brightness') - 0.5) < 1e-6);
  assert.equal(cue(out, 0, 'saturation'), 0);
});

void test('a still frame has no motion and no cut', () => {
  const out = computeCues(batch([[40, 80, 120], [40, 80, 120], [40, 80, 120], [40, 80, 120]]), 2);
  for (const s of [0, 1]) {
    assert.equal(cue(out, s, 'motion'), 0);
    assert.equal(cue(out, s, 'cut'), 0);
    assert.equal(cue(out, s, 'contrast'), 0);
  }
});

void test('pure red: hue angle 0, full saturation; grey: saturation 0 and finite hue', () => {
  const red = computeCues(batch([[255, 0, 0], [255, 0, 0]]), 1);
  assert.ok(Math.abs(cue(red, 0, 'saturation') - 1) < 1e-6);
  assert.ok(Math.abs(cue(red, 0, 'hueCos') - 1) < 1e-6);
  assert.ok(Math.abs(cue(red, 0, 'hueSin')) < 1e-6);
  assert.ok(cue(red, 0, 'colourfulness') > 0.3);
  const grey = computeCues(batch([[128, 128, 128], [128, 128, 128]]), 1);
  assert.equal(cue(grey, 0, 'saturation'), 0);
  assert.ok(Number.isFinite(cue(grey, 0, 'hueCos')) && Number.isFinite(cue(grey, 0, 'hueSin')));
  assert.equal(cue(grey, 0, 'colourfulness'), 0);
  // Green sits at 120 degrees.
  const green = computeCues(batch([[0, 255, 0]]), 1);
  assert.ok(Math.abs(Math.atan2(cue(green, 0, 'hueSin'), cue(green, 0, 'hueCos')) - (2 * Math.PI) / 3) < 1e-6);
});

void test('seconds past the frames are zero rows; all values finite', () => {
  const out = computeCues(batch([[10, 200, 30], [200, 10, 30]]), 3);
  assert.equal(out.length, 3 * CUE_DIM);
  assert.ok(out.every(Number.isFinite));
  assert.ok(out.subarray(CUE_DIM).every((v) => v === 0));
});

void test('layout names the 8 cues after the 120 PCA values; compose standardises cues and keeps empty seconds zero', () => {
  assert.deepEqual(VISUAL_LAYOUT.pca, { start: 0, count: 120 });
  CUE_NAMES.forEach((name, i) => assert.equal(VISUAL_LAYOUT[name], 120 + i));
  const cues = new Float32Array(3 * CUE_DIM);
  cues.set([0.2, 0, 0.4, 0.1, 0.3, 0.1, 0.1, 0.2], 0);
  cues.set([0.6, 1, 0.6, 0.3, 0.5, -0.1, 0.2, 0.4], CUE_DIM);
  const stats = fitCueStats(cues, 3);
  assert.ok(Math.abs(stats.mean[0]! - 0.4) < 1e-6, 'the empty third second is not counted');
  const projected = new Float32Array(3 * 120).fill(1, 0, 240);
  const out = composeVisual(projected, cues, 3, stats);
  assert.equal(out.length, 3 * VISUAL_DIM);
  const z = (s: number) => out[s * 128 + VISUAL_LAYOUT.motion]!;
  assert.ok(Math.abs(z(0) + z(1)) < 1e-6 && Math.abs(Math.abs(z(0)) - Math.SQRT1_2) < 1e-5, `standardised: ${z(0)}, ${z(1)}`);
  assert.ok(out.subarray(256).every((v) => v === 0), 'missing second stays zero');
});
