// The beat DBN (src/features/audio/beat-dbn.ts) on hand-made activations: it follows the pulse the activation
// shows, at the tempo the path says, through a tempo step, across a gap without activation, and on the beat
// rather than an off-beat of the same tempo that fires less; bad input is refused. mergeRuns (grid.ts) on a click
// track: a run of another decoding replaces the grid's beats where the onsets put it on the beat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dbnBeats } from '../../src/features/audio/beat-dbn.js';
import { mergeRuns } from '../../src/features/audio/grid.js';
import { PHASE_WEIGHTS, type SelectSignals } from '../../src/features/audio/grid-select.js';

const FPS = 62.5;

/** An activation with a peak of `height` at each frame of `at`, `floor` elsewhere. */
function peaks(n: number, at: number[], height = 0.9, floor = 0.02): Float64Array {
  const a = new Float64Array(n).fill(floor);
  for (const f of at) if (f >= 0 && f < n) a[Math.round(f)] = height;
  return a;
}

const grid = (start: number, period: number, n: number) => Array.from({ length: Math.ceil((n - start) / period) }, (_, i) => Math.round(start + i * period)).filter((f) => f < n);

/** How many of `want` have a beat of `got` within `tol` frames. */
const hits = (got: number[], want: number[], tol = 1) => want.filter((w) => got.some((g) => Math.abs(g - w) <= tol)).length;

test('beats land on the activation peaks at the tempo path', () => {
  const n = 1500;
  const want = grid(10, 31.25, n); // 120 BPM
  const got = dbnBeats(peaks(n, want), new Float64Array(n).fill(120), FPS);
  assert.ok(hits(got, want) >= want.length - 1, `${hits(got, want)} of ${want.length}`);
  assert.ok(got.length <= want.length + 1);
});

test('a tempo step is followed where the path steps', () => {
  const n = 3000;
  const a = grid(10, 31.25, 1500); // 120 BPM
  const b = grid(a[a.length - 1]! + 25, 25, n); // 150 BPM
  const path = new Float64Array(n).fill(120).fill(150, a[a.length - 1]!);
  const got = dbnBeats(peaks(n, [...a, ...b]), path, FPS);
  assert.ok(hits(got, a) >= a.length - 2, `before: ${hits(got, a)} of ${a.length}`);
  assert.ok(hits(got, b) >= b.length - 2, `after: ${hits(got, b)} of ${b.length}`);
});

test('the grid carries on through a gap without activation', () => {
  const n = 2000;
  const all = grid(10, 31.25, n);
  const shown = all.filter((f) => f < 700 || f > 1100);
  const got = dbnBeats(peaks(n, shown), new Float64Array(n).fill(120), FPS);
  const gap = all.filter((f) => f >= 700 && f <= 1100);
  assert.ok(hits(got, gap, 2) >= gap.length - 1, `in the gap: ${hits(got, gap, 2)} of ${gap.length}`);
});

test('the beat wins over a weaker off-beat at the same tempo', () => {
  const n = 1500;
  const on = grid(10, 31.25, n);
  const off = on.map((f) => f + 16);
  const a = peaks(n, on, 0.8);
  for (const f of off) if (f < n) a[f] = 0.4;
  const got = dbnBeats(a, new Float64Array(n).fill(120), FPS);
  assert.ok(hits(got, on) >= on.length - 1);
  assert.equal(hits(got, off), 0);
});

test('the tempo path, not the activation alone, sets the level', () => {
  // peaks every half beat at 120 BPM, the on-beat ones a little higher: at a 120 path the grid takes every other
  // peak, at 240 it takes them all
  const n = 1500;
  const on = grid(10, 31.25, n);
  const a = peaks(n, on, 0.9);
  for (const f of on.map((x) => Math.round(x + 15.625))) if (f < n) a[f] = 0.7;
  const slow = dbnBeats(a, new Float64Array(n).fill(120), FPS);
  const fast = dbnBeats(a, new Float64Array(n).fill(240), FPS);
  assert.ok(Math.abs(slow.length - on.length) <= 1, `${slow.length} beats for ${on.length}`);
  assert.ok(Math.abs(fast.length - 2 * on.length) <= 2, `${fast.length} beats for ${2 * on.length}`);
});

test('bad input is refused, short input gives no beats', () => {
  assert.throws(() => dbnBeats(new Float64Array(10), new Float64Array(9).fill(120), FPS), RangeError);
  assert.throws(() => dbnBeats(new Float64Array(10), new Float64Array(10).fill(0), FPS), RangeError);
  assert.throws(() => dbnBeats(new Float64Array(10), new Float64Array(10).fill(Number.NaN), FPS), RangeError);
  assert.deepEqual(dbnBeats(new Float64Array(1), new Float64Array(1).fill(120), FPS), []);
});

/** Onsets in every band at the frames of `at` (a click track's envelopes), as analyzeGrid's signals. */
function clickSignals(n: number, at: number[]): SelectSignals {
  const x = new Float64Array(n);
  for (const f of at) if (f >= 0 && f < n) x[Math.round(f)] = 1;
  return { full: x, low: x, kick: x, mid: x, high: x, fps: FPS };
}

test('mergeRuns takes a run of the other decoding where the onsets put it on the beat, and only then', () => {
  const n = 3000;
  const beats = grid(10, 31.25, n);
  const s = clickSignals(n, beats);
  const half = beats.filter((f) => f < 1500);
  const offHalf = beats.filter((f) => f >= 1500).map((f) => Math.round(f + 15.625)).filter((f) => f < n);
  // the grid is off the beat in the second half: the other decoding's run there replaces it
  const merged = mergeRuns([...half, ...offHalf], beats, s, PHASE_WEIGHTS, undefined, 2);
  assert.deepEqual(merged, beats);
  // the other decoding off the beat there: the grid stays as it is
  assert.deepEqual(mergeRuns(beats, [...half, ...offHalf], s, PHASE_WEIGHTS, undefined, 2), beats);
  // a run of under 8 beats is left alone
  const short = [...beats.slice(0, 40), ...beats.slice(40, 46).map((f) => f + 16), ...beats.slice(46)];
  assert.deepEqual(mergeRuns(short, beats, s, PHASE_WEIGHTS, undefined, 2), short);
});
