import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FootageScanner, shotBoundaries, type FrameTable } from '../../src/features/visual/shots.js';
import { flaggedSpans } from '../../src/features/visual/usable.js';

const W = 32;
const H = 18;

/** A yuv420p frame: luma from f(x, y), neutral chroma. */
function frame(f: (x: number, y: number) => number): Uint8Array {
  const out = new Uint8Array((W * H * 3) / 2).fill(128);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out[y * W + x] = Math.max(0, Math.min(255, Math.round(f(x, y))));
  return out;
}

/** Moving texture: a different pseudo-random pattern shifted each frame (live footage). */
const live = (k: number, bright = 1) => frame((x, y) => bright * (60 + 120 * (((x * 7 + y * 13 + k * 5) % 17) / 17)));

function scan(frames: Uint8Array[]): FrameTable {
  const s = new FootageScanner(W, H, 25);
  for (const f of frames) s.push(f);
  return s.table();
}

void test('a hard cut scores like ffmpeg does and steady motion does not', () => {
  const frames = [...Array.from({ length: 20 }, (_, k) => live(k)), ...Array.from({ length: 20 }, (_, k) => frame((x) => (x < W / 2 ? 20 : 230) + (k % 2)))];
  const t = scan(frames);
  const cuts = shotBoundaries(t, 0.3);
  assert.deepEqual(cuts.map((c) => c.t), [0.8]);
  assert.equal(t.scene[1], 0, 'the second frame has no previous difference and no score');
});

void test('black, fades into and out of it, and frozen pictures are flagged as spans', () => {
  const frames = [
    ...Array.from({ length: 25 }, (_, k) => live(k)), // 0-1 s live
    ...Array.from({ length: 10 }, (_, k) => live(25 + k, 1 - (k + 1) / 11)), // 1-1.4 s fade out
    ...Array.from({ length: 25 }, () => frame(() => 4)), // 1.4-2.4 s black
    ...Array.from({ length: 10 }, (_, k) => live(70 + k, (k + 1) / 11)), // 2.4-2.8 s fade in
    ...Array.from({ length: 25 }, (_, k) => live(80 + k)), // 2.8-3.8 s live
    ...Array.from({ length: 50 }, () => live(200)), // 3.8-5.8 s frozen
  ];
  const spans = flaggedSpans(scan(frames)).map((s) => [s.flag, Math.round(s.start * 100) / 100, Math.round(s.end * 100) / 100]);
  const of = (flag: string) => spans.filter((s) => s[0] === flag).map((s) => [s[1] as number, s[2] as number]);
  // The darkest frames of each fade are black themselves; the fades are the brighter frames either side.
  const black = of('black');
  assert.equal(black.length, 1);
  assert.ok(black[0]![0]! >= 1.2 && black[0]![0]! <= 1.4 && black[0]![1]! >= 2.4 && black[0]![1]! <= 2.6, JSON.stringify(black));
  const fades = of('fade');
  assert.equal(fades.length, 2, JSON.stringify(spans));
  assert.ok(fades[0]![0]! <= 1.1 && fades[0]![1] === black[0]![0], `fade out ${JSON.stringify(fades[0])}`);
  assert.ok(fades[1]![0] === black[0]![1] && fades[1]![1]! >= 2.7, `fade in ${JSON.stringify(fades[1])}`);
  assert.deepEqual(of('frozen'), [[3.8, 5.8]]);
  assert.deepEqual(of('text'), []);
});

void test('a plain card with a line of bold letters is text; a plain frame is blank; moving texture is neither', () => {
  // Letters: vertical strokes 1 px wide every 3 px across the middle rows, white on flat navy grey.
  const card = frame((x, y) => (y >= 8 && y <= 10 && x >= 6 && x <= 25 && x % 3 === 0 ? 235 : 50));
  const blank = frame(() => 140);
  const t = scan([...Array.from({ length: 25 }, () => card), ...Array.from({ length: 25 }, () => blank), ...Array.from({ length: 25 }, (_, k) => live(k))]);
  const spans = flaggedSpans(t, { frozenSeconds: 10 }).map((s) => [s.flag, s.start, s.end]);
  assert.deepEqual(spans, [['text', 0, 1], ['blank', 1, 2]]);
});
