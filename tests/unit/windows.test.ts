import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipWindows } from '../../src/core/windows.js';

test('consecutive 10-s windows; a tail of at least half a clip is kept', () => {
  assert.deepEqual(clipWindows(25, 10), [
    { index: 0, start: 0, duration: 10 },
    { index: 1, start: 10, duration: 10 },
    { index: 2, start: 20, duration: 5 },
  ]);
});

test('a tail shorter than half a clip is dropped', () => {
  assert.equal(clipWindows(24.9, 10).length, 2);
  assert.equal(clipWindows(4.9, 10).length, 0);
});

test('container rounding (24.999 s) still yields whole clips', () => {
  assert.deepEqual(clipWindows(19.9995, 10).map((w) => w.duration), [10, 10]);
});

test('exact multiples, short videos and bad durations', () => {
  assert.equal(clipWindows(30, 10).length, 3);
  assert.deepEqual(clipWindows(5, 10), [{ index: 0, start: 0, duration: 5 }]);
  assert.deepEqual(clipWindows(0, 10), []);
  assert.deepEqual(clipWindows(Number.NaN, 10), []);
  assert.deepEqual(clipWindows(Number.POSITIVE_INFINITY, 10), []);
  assert.throws(() => clipWindows(10, 0), RangeError);
});

test('other clip lengths', () => {
  assert.deepEqual(clipWindows(7, 3).map((w) => [w.start, w.duration]), [[0, 3], [3, 3]]);
  assert.deepEqual(clipWindows(7.5, 3).map((w) => [w.start, w.duration]), [[0, 3], [3, 3], [6, 1.5]]);
});
