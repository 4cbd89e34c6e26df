// The published-tracker comparison's own logic (bench/beats/reference-trackers.ts): reading aubiotrack's output
// and the committee's choice by mutual agreement. No tracker runs here (aubio and essentia.js are bench-time only).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mostAgreed, parseBeatTimes } from '../../bench/beats/reference-trackers.js';

test('aubiotrack output: one time a line, blanks and junk dropped, only the first 120 s kept', () => {
  assert.deepEqual(parseBeatTimes('1.707846\n\n0.5\nnan\n-1\n119.9\n120.5\n'), [0.5, 1.707846, 119.9]);
  assert.deepEqual(parseBeatTimes(''), []);
});

test('the committee picks the candidate the others agree with, not the odd one out', () => {
  const grid = (start: number, gap: number, n: number) => Array.from({ length: n }, (_, i) => start + i * gap);
  const onBeat = grid(5, 0.5, 200);
  const nearlyOnBeat = onBeat.map((t, i) => t + (i % 2 ? 0.02 : -0.02));
  const offBeat = grid(5.25, 0.5, 200);
  const half = grid(5, 1, 100);
  // two trackers on the beat (one a little loose), one off it, one at half tempo: one of the two on the beat wins
  const pick = mostAgreed({ off: offBeat, half, loose: nearlyOnBeat, tight: onBeat });
  assert.ok(pick === 'loose' || pick === 'tight', pick);
  // where the off-beat has the majority, it wins: the committee follows agreement, not the reference
  assert.equal(mostAgreed({ a: offBeat, b: offBeat.map((t) => t + 0.01), c: onBeat }), 'a');
});
