import { test } from 'node:test';
import assert from 'node:assert/strict';
import { segmentSong, targetLengths, downbeatPhase, type RhythmInput, type Segment } from '../../src/core/segments.js';

const range = (from: number, to: number, step: number): number[] => {
  const out: number[] = [];
  for (let t = from; t < to - 1e-9; t += step) out.push(Math.round(t * 1000) / 1000);
  return out;
};

function assertTiling(segs: Segment[], duration: number, min = 2, max = 10): void {
  assert.ok(segs.length > 0);
  assert.equal(segs[0]!.start, 0);
  assert.equal(segs[segs.length - 1]!.end, duration);
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    const len = s.end - s.start;
    assert.ok(len >= min - 1e-6 && len <= max + 1e-6, `segment ${i} lasts ${len}`);
    if (i > 0) assert.equal(s.start, segs[i - 1]!.end);
  }
}

void test('steady 120 bpm: cuts land on bar lines and tile the song exactly', () => {
  const duration = 60;
  const beats = range(0.5, duration, 0.5); // beat phase: bars start at 0.5, 2.5, 4.5, ...
  const onsets = beats.filter((_, i) => i % 4 === 0); // accents on the first beat of each bar
  const r: RhythmInput = { duration, beats, onsets, tempo: 120 };
  const segs = segmentSong(r);
  assertTiling(segs, duration);
  const bar = new Set(onsets.map((t) => t.toFixed(3)));
  for (const s of segs.slice(1)) assert.ok(bar.has(s.start.toFixed(3)), `cut at ${s.start} is not on a bar line`);
});

void test('busy passages get shorter segments than calm ones', () => {
  const duration = 120;
  const beats = range(0.5, duration, 0.5);
  // Calm first half: one onset per bar. Busy second half: eight onsets per second.
  const onsets = [...range(0.5, 60, 2), ...range(60, duration, 0.125)];
  const segs = segmentSong({ duration, beats, onsets, tempo: 120 });
  assertTiling(segs, duration);
  const meanLen = (list: Segment[]) => list.reduce((s, x) => s + x.end - x.start, 0) / list.length;
  const calm = segs.filter((s) => s.end <= 55);
  const busy = segs.filter((s) => s.start >= 65);
  assert.ok(meanLen(busy) < meanLen(calm) * 0.6, `busy ${meanLen(busy)} vs calm ${meanLen(calm)}`);
  const t = targetLengths({ duration, beats, onsets });
  assert.ok(t[100]! < t[20]!);
});

void test('no beats or onsets at all still yields a valid tiling', () => {
  for (const duration of [10, 10.37, 33.3, 900]) {
    const segs = segmentSong({ duration, beats: [], onsets: [] });
    assertTiling(segs, duration);
  }
});

void test('onsets only (no tempo): cuts prefer onsets over the fallback grid', () => {
  const duration = 40;
  const onsets = range(1.3, duration, 3.1);
  const segs = segmentSong({ duration, beats: [], onsets });
  assertTiling(segs, duration);
  const onOnset = segs.slice(1).filter((s) => onsets.some((o) => Math.abs(o - s.start) < 1e-6)).length;
  assert.ok(onOnset >= (segs.length - 1) * 0.8, `${onOnset} of ${segs.length - 1} cuts on onsets`);
});

void test('short songs: one segment below the minimum, equal valid parts otherwise', () => {
  assert.deepEqual(segmentSong({ duration: 1.5, beats: [], onsets: [] }), [{ start: 0, end: 1.5 }]);
  assertTiling(segmentSong({ duration: 4.1, beats: [1.7], onsets: [] }), 4.1);
  assertTiling(segmentSong({ duration: 10, beats: range(0.4, 10, 0.45), onsets: [], tempo: 133 }), 10);
});

void test('odd lengths near the limits stay within 2..10 s', () => {
  for (const duration of [10.01, 19.99, 20.5, 187.3]) {
    const beats = range(0.37, duration, 0.61);
    assertTiling(segmentSong({ duration, beats, onsets: beats.filter((_, i) => i % 3 === 0), tempo: 98 }), duration);
  }
});

void test('downbeat phase follows the accented beat', () => {
  const beats = range(0, 16, 0.5);
  const accents = new Set(beats.filter((_, i) => i % 4 === 2));
  assert.equal(downbeatPhase(beats, (t) => (accents.has(t) ? 1 : 0.1)), 2);
});

void test('rejects a non-positive duration', () => {
  assert.throws(() => segmentSong({ duration: 0, beats: [], onsets: [] }), RangeError);
  assert.throws(() => segmentSong({ duration: NaN, beats: [], onsets: [] }), RangeError);
});
