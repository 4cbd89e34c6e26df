import { test } from 'node:test';
import assert from 'node:assert/strict';
import { audioExtractor, AUDIO_LAYOUT as L, AUDIO_FEATURE_NAMES } from '../../src/features/audio/index.js';
import { melFilterbankFor } from '../../src/features/audio/frames.js';
import { CHROMA_NAMES } from '../../src/features/audio/chroma.js';
import { sine, whiteNoise, clickTrack, musicLike } from '../../src/features/audio/synth.js';
import { FEATURE_DIM } from '../../src/core/types.js';

const SR = 16000;
const extract = (x: Float32Array): Float32Array => audioExtractor.extract(x, SR);
const second = (v: Float32Array, s: number): Float32Array => v.subarray(s * FEATURE_DIM, (s + 1) * FEATURE_DIM);
const argmax = (x: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
};
const mel = (v: Float32Array): Float32Array => v.subarray(L.mel.start, L.mel.start + L.mel.count);
const chroma = (v: Float32Array): Float32Array => v.subarray(L.chroma.start, L.chroma.start + L.chroma.count);

void test('extractor identity', () => {
  assert.deepEqual(audioExtractor.info, { name: 'clipmatch-audio-dsp', version: '1' });
});

void test('layout: 128 distinct names, spans and indices inside 0..127 without overlap', () => {
  assert.equal(AUDIO_FEATURE_NAMES.length, FEATURE_DIM);
  assert.equal(new Set(AUDIO_FEATURE_NAMES).size, FEATURE_DIM);
  assert.ok(AUDIO_FEATURE_NAMES.every((n) => n.length > 0));
  assert.deepEqual(L.mel, { start: 0, count: 64 });
  assert.equal(L.mfcc.count, 13);
  assert.equal(L.chroma.count, 12);
  for (const key of ['centroid', 'flatness', 'rms', 'rmsStd', 'onsetMean', 'onsetMax', 'onsetRate', 'tempo', 'zcr'] as const) {
    assert.equal(typeof L[key], 'number', key);
  }
  assert.equal(AUDIO_FEATURE_NAMES[L.chroma.start + 9], 'chroma.A');
});

void test('output length is seconds * 128, a short tail zero-padded', () => {
  for (const [secs, want] of [
    [0.4, 1],
    [1, 1],
    [10, 10],
    [10.7, 10],
  ] as const) {
    const v = extract(sine(330, secs));
    assert.equal(v.length, want * FEATURE_DIM, `${secs} s`);
    assert.ok(v.every(Number.isFinite));
  }
  assert.equal(extract(new Float32Array(0)).length, 0);
  assert.equal(extract(new Float32Array(1)).length, FEATURE_DIM);
});

void test('a 440 Hz sine peaks in the mel band holding 440 Hz and in chroma bin A', () => {
  const fb = melFilterbankFor(SR);
  const v = extract(sine(440, 2));
  for (let s = 0; s < 2; s++) {
    const x = second(v, s);
    assert.equal(argmax(mel(x)), fb.bandOf(440));
    assert.equal(CHROMA_NAMES[argmax(chroma(x))], 'A');
    assert.ok(Math.abs(chroma(x)[9]! - 1) < 1e-6);
    // centroid of a pure tone sits on it, as a fraction of Nyquist
    assert.ok(Math.abs(x[L.centroid]! - 440 / 8000) < 0.01);
    assert.ok(Math.abs(x[L.rms]! - 0.5 / Math.SQRT2) < 0.01);
  }
});

void test('a 261.63 Hz sine lands in chroma bin C', () => {
  const x = second(extract(sine(261.63, 1)), 0);
  assert.equal(CHROMA_NAMES[argmax(chroma(x))], 'C');
  assert.equal(argmax(mel(x)), melFilterbankFor(SR).bandOf(261.63));
});

void test('white noise: flatter, brighter and more crossing than a sine', () => {
  const n = second(extract(whiteNoise(1)), 0);
  const s = second(extract(sine(440, 1)), 0);
  assert.ok(n[L.flatness]! > 0.3 && s[L.flatness]! < 0.01, `${n[L.flatness]} vs ${s[L.flatness]}`);
  assert.ok(n[L.centroid]! > 0.4 && n[L.centroid]! < 0.6);
  assert.ok(n[L.zcr]! > 5 * s[L.zcr]!);
  assert.ok(n[L.highEnergyRatio]! > 0.4 && s[L.highEnergyRatio]! < 1e-3);
  assert.ok(n[L.chromaClarity]! < s[L.chromaClarity]!);
});

void test('a bright tone has a higher centroid and rolloff than a dark one', () => {
  const hi = second(extract(sine(3000, 1)), 0);
  const lo = second(extract(sine(300, 1)), 0);
  assert.ok(hi[L.centroid]! > lo[L.centroid]! + 0.2);
  assert.ok(hi[L.rolloff]! > lo[L.rolloff]!);
});

void test('silence gives a defined, finite vector', () => {
  const v = extract(new Float32Array(3 * SR));
  assert.equal(v.length, 3 * FEATURE_DIM);
  assert.ok(v.every(Number.isFinite));
  const floor = Math.fround(Math.log(1e-10));
  for (let s = 0; s < 3; s++) {
    const x = second(v, s);
    for (const m of mel(x)) assert.equal(m, floor);
    assert.ok(Math.abs(x[L.mfcc.start]! - 8 * Math.log(1e-10)) < 1e-3);
    for (let k = 1; k < L.mfcc.count; k++) assert.ok(Math.abs(x[L.mfcc.start + k]!) < 1e-4);
    assert.equal(x[L.logEnergy], floor);
    assert.equal(x[L.silentFraction], 1);
    for (const key of ['centroid', 'flatness', 'rms', 'rmsStd', 'zcr', 'onsetMean', 'onsetMax', 'onsetRate', 'tempo', 'chromaClarity'] as const) {
      assert.equal(x[L[key]], 0, key);
    }
    assert.ok(chroma(x).every((c) => c === 0));
  }
});

void test('NaN and infinite samples are treated as silence, not propagated', () => {
  const x = sine(440, 1);
  x[100] = NaN;
  x[200] = Infinity;
  assert.ok(extract(x).every(Number.isFinite));
});

void test('a busy click track has a higher onset rate than a sparse one', () => {
  const busy = extract(clickTrack(480, 4));
  const sparse = extract(clickTrack(60, 4));
  for (let s = 1; s < 4; s++) {
    assert.equal(second(sparse, s)[L.onsetRate], 1);
    assert.ok(second(busy, s)[L.onsetRate]! >= 7 && second(busy, s)[L.onsetRate]! <= 9);
    assert.ok(second(busy, s)[L.onsetMean]! > second(sparse, s)[L.onsetMean]!);
  }
  assert.equal(second(extract(sine(440, 2)), 1)[L.onsetRate], 0);
});

void test('local tempo cue of a 120 BPM click track reads 1 (x 120 BPM) in every second', () => {
  const v = extract(clickTrack(120, 10));
  for (let s = 0; s < 10; s++) {
    const x = second(v, s);
    assert.ok(Math.abs(x[L.tempo]! * 120 - 120) < 3, `second ${s}: ${x[L.tempo]! * 120}`);
    assert.ok(x[L.tempoStrength]! > 0.5);
  }
  // a steady tone has no pulse
  assert.equal(second(extract(sine(440, 10)), 5)[L.tempo], 0);
});

void test('deterministic: the same input gives bit-identical output', () => {
  const x = musicLike(5);
  const a = extract(x);
  const b = extract(Float32Array.from(x));
  assert.deepEqual(a, b);
});

void test('rejects an unusable sample rate', () => {
  assert.throws(() => audioExtractor.extract(new Float32Array(100), 0), RangeError);
  assert.throws(() => audioExtractor.extract(new Float32Array(100), 16000.5), RangeError);
});

void test('other sample rates: one vector per whole second, the tone still in chroma A', () => {
  const v = audioExtractor.extract(sine(440, 2.5, 44100), 44100);
  assert.equal(v.length, 2 * FEATURE_DIM);
  assert.ok(v.every(Number.isFinite));
  assert.equal(CHROMA_NAMES[argmax(chroma(second(v, 1)))], 'A');
});
