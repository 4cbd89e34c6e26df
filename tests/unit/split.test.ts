import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitClips } from '../../src/core/split.js';
import { createRng, sampleIndices, shuffle } from '../../src/core/random.js';

const clips = Array.from({ length: 103 }, (_, i) => ({ videoId: `v${i % 11}` }));

test('clip split is 80:20, disjoint, complete and deterministic for a seed', () => {
  const a = splitClips(clips, { mode: 'clip', seed: 7 });
  const b = splitClips(clips, { mode: 'clip', seed: 7 });
  const c = splitClips(clips, { mode: 'clip', seed: 8 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.test, c.test);
  assert.equal(a.test.length, 21);
  assert.equal(a.train.length + a.test.length, clips.length);
  assert.equal(new Set([...a.train, ...a.test]).size, clips.length);
});

test('video split keeps every clip of a test video out of training', () => {
  const s = splitClips(clips, { mode: 'video', seed: 1 });
  const trainVideos = new Set(s.train.map((i) => clips[i]!.videoId));
  const testVideos = new Set(s.test.map((i) => clips[i]!.videoId));
  assert.equal(testVideos.size, 2); // round(11 * 0.2)
  for (const v of testVideos) assert.ok(!trainVideos.has(v));
  assert.equal(s.train.length + s.test.length, clips.length);
  // independent of listing order
  const reversed = [...clips].reverse();
  const r = splitClips(reversed, { mode: 'video', seed: 1 });
  assert.deepEqual(new Set(r.test.map((i) => reversed[i]!.videoId)), testVideos);
});

test('degenerate inputs', () => {
  assert.deepEqual(splitClips([{ videoId: 'a' }], { mode: 'clip', seed: 1 }).test, []);
  assert.throws(() => splitClips(clips, { mode: 'clip', seed: 1, testFraction: 1 }), RangeError);
});

test('rng is reproducible and roughly uniform / normal', () => {
  const r1 = createRng(42);
  const r2 = createRng(42);
  const xs = Array.from({ length: 5000 }, () => r1.next());
  assert.deepEqual(xs.slice(0, 10), Array.from({ length: 10 }, () => r2.next()));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.02);
  const r3 = createRng(1);
  const ns = Array.from({ length: 5000 }, () => r3.normal());
  const nm = ns.reduce((s, x) => s + x, 0) / ns.length;
  const nv = ns.reduce((s, x) => s + (x - nm) ** 2, 0) / ns.length;
  assert.ok(Math.abs(nm) < 0.05 && Math.abs(nv - 1) < 0.08);
  const pick = sampleIndices(50, 10, createRng(3));
  assert.equal(new Set(pick).size, 10);
  assert.ok(pick.every((i) => i >= 0 && i < 50));
  assert.deepEqual(shuffle([1, 2, 3, 4], createRng(9)).sort(), [1, 2, 3, 4]);
});
