// The user's correction of the tracked beat grid (src/core/grid-correction.ts): level, then phase, on grids
// with a steady and a drifting tempo; the song's bounds; bad input refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkCorrection, correctGrid, tempoFactor } from '../../src/core/grid-correction.js';

const close = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) < 1e-9);

test('half keeps every other beat from the first; with phase 0.5 the other half', () => {
  const beats = [1, 1.5, 2, 2.5, 3, 3.5, 4];
  assert.deepEqual(correctGrid(beats, { level: 'half' }, 10), [1, 2, 3, 4]);
  assert.ok(close(correctGrid(beats, { level: 'half', phase: 0.5 }, 10), [1.5, 2.5, 3.5, 4.5]));
  assert.equal(tempoFactor({ level: 'half' }), 0.5);
});

test('double adds the points halfway; phase moves each beat by its own gap, so a drifting grid keeps its shape', () => {
  assert.ok(close(correctGrid([1, 2, 4], { level: 'double' }, 10), [1, 1.5, 2, 3, 4]));
  assert.equal(tempoFactor({ level: 'double' }), 2);
  // gaps 0.5, 0.6, 0.7: each beat moves half its gap to the next, the last half the gap before it
  assert.ok(close(correctGrid([1, 1.5, 2.1, 2.8], { phase: 0.5 }, 10), [1.25, 1.8, 2.45, 3.15]));
  assert.equal(tempoFactor({ phase: 0.5 }), 1);
  assert.deepEqual(correctGrid([1, 2, 3], {}, 10), [1, 2, 3], 'no correction, the same grid');
});

test('beats past the song are dropped; under two beats there is no gap to go by', () => {
  assert.ok(close(correctGrid([8, 9, 10], { phase: 0.5 }, 10), [8.5, 9.5]));
  assert.deepEqual(correctGrid([3], { phase: 0.5, level: 'double' }, 10), [3]);
  assert.deepEqual(correctGrid([], { level: 'half' }, 10), []);
});

test('a phase outside [0, 1) or an unknown level is refused', () => {
  for (const phase of [1, -0.1, Number.NaN, Infinity]) assert.throws(() => checkCorrection({ phase }), RangeError);
  assert.throws(() => correctGrid([1, 2], { level: 'triple' as 'half' }, 10), /half or double/);
  checkCorrection({ level: 'double', phase: 0.25 });
});
