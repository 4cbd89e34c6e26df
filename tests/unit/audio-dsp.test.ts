import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RealFFT, hann } from '../../src/features/audio/fft.js';
import { MelFilterbank, hzToMel, melToHz, dctMatrix, deltas } from '../../src/features/audio/mel.js';
import { pitchClass, CHROMA_NAMES } from '../../src/features/audio/chroma.js';
import { pickPeaks } from '../../src/features/audio/onset.js';
import { seededRandom } from '../../src/features/audio/synth.js';

function naiveDft(x: ArrayLike<number>): { re: Float64Array; im: Float64Array } {
  const n = x.length;
  const re = new Float64Array(n / 2 + 1);
  const im = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) {
    for (let t = 0; t < n; t++) {
      re[k] = re[k]! + x[t]! * Math.cos((2 * Math.PI * k * t) / n);
      im[k] = im[k]! - x[t]! * Math.sin((2 * Math.PI * k * t) / n);
    }
  }
  return { re, im };
}

void test('real FFT matches a naive DFT on random input within 1e-4', () => {
  const rnd = seededRandom(42);
  for (const n of [4, 8, 64, 512]) {
    for (const kind of ['f32', 'f64'] as const) {
      const x = kind === 'f32' ? new Float32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) x[i] = 2 * rnd() - 1;
      const fft = new RealFFT(n);
      const re = new Float64Array(fft.bins);
      const im = new Float64Array(fft.bins);
      fft.forward(x, re, im);
      const want = naiveDft(x);
      for (let k = 0; k < fft.bins; k++) {
        assert.ok(Math.abs(re[k]! - want.re[k]!) < 1e-4, `n=${n} ${kind} re[${k}]`);
        assert.ok(Math.abs(im[k]! - want.im[k]!) < 1e-4, `n=${n} ${kind} im[${k}]`);
      }
    }
  }
});

void test('FFT power of a bin-centred cosine lands in that bin only', () => {
  const n = 512;
  const x = Float64Array.from({ length: n }, (_, t) => Math.cos((2 * Math.PI * 37 * t) / n));
  const fft = new RealFFT(n);
  const p = new Float64Array(fft.bins);
  fft.power(x, p, new Float64Array(fft.bins), new Float64Array(fft.bins));
  assert.ok(Math.abs(p[37]! - (n / 2) ** 2) < 1e-6);
  for (let k = 0; k < fft.bins; k++) if (k !== 37) assert.ok(p[k]! < 1e-12, `bin ${k}`);
});

void test('FFT rejects sizes that are not powers of two, and short input', () => {
  assert.throws(() => new RealFFT(100), RangeError);
  assert.throws(() => new RealFFT(2), RangeError);
  assert.throws(() => new RealFFT(8).forward(new Float32Array(4), new Float64Array(5), new Float64Array(5)), RangeError);
});

void test('periodic Hann window: zero at 0, one at the middle, overlap-adds to 1 at half hop', () => {
  const w = hann(512);
  assert.equal(w[0], 0);
  assert.ok(Math.abs(w[256]! - 1) < 1e-12);
  for (let i = 0; i < 256; i++) assert.ok(Math.abs(w[i]! + w[i + 256]! - 1) < 1e-12);
});

void test('mel scales: Slaney is linear to 1 kHz (15 mel), HTK has 1000 mel at 1 kHz; both invert', () => {
  assert.ok(Math.abs(hzToMel(1000) - 15) < 1e-12);
  assert.ok(Math.abs(hzToMel(500) - 7.5) < 1e-12);
  assert.ok(Math.abs(hzToMel(1000, 'htk') - 1000) < 0.1);
  for (const hz of [0, 50, 440, 999, 1000, 3000, 8000]) {
    assert.ok(Math.abs(melToHz(hzToMel(hz)) - hz) < 1e-6);
    assert.ok(Math.abs(melToHz(hzToMel(hz, 'htk'), 'htk') - hz) < 1e-6);
  }
});

void test('mel filterbank: each band averages power (flat in, flat out), centres rise', () => {
  for (const scale of ['slaney', 'htk'] as const) {
    const fb = new MelFilterbank({ bands: 64, fftSize: 512, sampleRate: 16000, scale });
    const out = new Float64Array(64);
    fb.apply(new Float64Array(257).fill(3), out);
    for (let b = 0; b < 64; b++) assert.ok(Math.abs(out[b]! - 3) < 1e-9, `${scale} band ${b}`);
    for (let b = 1; b < 64; b++) assert.ok(fb.centers[b]! > fb.centers[b - 1]!);
    assert.ok(fb.centers[63]! < 8000);
  }
});

void test('DCT-II basis is orthonormal', () => {
  const m = dctMatrix(13, 64);
  for (let a = 0; a < 13; a++) {
    for (let b = 0; b < 13; b++) {
      let dot = 0;
      for (let j = 0; j < 64; j++) dot += m[a * 64 + j]! * m[b * 64 + j]!;
      assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-9);
    }
  }
});

void test('deltas of a ramp are its slope away from the edges', () => {
  const frames = 10;
  const x = new Float32Array(frames * 2);
  for (let t = 0; t < frames; t++) {
    x[t * 2] = 3 * t;
    x[t * 2 + 1] = 5;
  }
  const d = deltas(x, frames, 2);
  for (let t = 2; t < frames - 2; t++) {
    assert.ok(Math.abs(d[t * 2]! - 3) < 1e-6);
    assert.equal(d[t * 2 + 1], 0);
  }
});

void test('pitch classes with A4 = 440 Hz', () => {
  assert.equal(CHROMA_NAMES[pitchClass(440)], 'A');
  assert.equal(CHROMA_NAMES[pitchClass(220)], 'A');
  assert.equal(CHROMA_NAMES[pitchClass(261.63)], 'C');
  assert.equal(CHROMA_NAMES[pitchClass(277.18)], 'C#');
  assert.equal(CHROMA_NAMES[pitchClass(493.88)], 'B');
  assert.equal(CHROMA_NAMES[pitchClass(32.7)], 'C');
});

void test('peak picking: isolated spikes above the local mean, one per flat top, none in a flat line', () => {
  const env = new Float32Array(200);
  for (const t of [20, 60, 61, 120]) env[t] = 1;
  assert.deepEqual(pickPeaks(env, 62.5), [20, 60, 120]);
  assert.deepEqual(pickPeaks(new Float32Array(200).fill(0.5), 62.5), []);
  assert.deepEqual(pickPeaks(new Float32Array(0), 62.5), []);
});
