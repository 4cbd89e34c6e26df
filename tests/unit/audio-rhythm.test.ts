import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeFrames } from '../../src/features/audio/frames.js';
import { kickOnsets } from '../../src/features/audio/grid.js';
import { analyzeRhythm, loudestWindow } from '../../src/features/audio/rhythm.js';
import { clickTrack, musicLike, sine, whiteNoise } from '../../src/features/audio/synth.js';

const SR = 16000;
const median = (x: number[]): number => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)]!;
const gaps = (t: number[]): number[] => t.slice(1).map((v, i) => v - t[i]!);

void test('a 120 BPM click track: tempo within 3 BPM, beats every ~0.5 s on the clicks', () => {
  const r = analyzeRhythm(clickTrack(120, 12, SR, 0.1), SR);
  assert.ok(Math.abs(r.tempo - 120) < 3, `tempo ${r.tempo}`);
  assert.ok(r.beats.length >= 20, `${r.beats.length} beats`);
  assert.ok(Math.abs(median(gaps(r.beats)) - 0.5) < 0.02);
  for (const g of gaps(r.beats)) assert.ok(Math.abs(g - 0.5) < 0.05, `gap ${g}`);
  // every beat within 20 ms of a click (clicks at 0.1 + 0.5 k)
  for (const b of r.beats) assert.ok(Math.abs(((b - 0.1 + 0.25) % 0.5) - 0.25) < 0.02, `beat ${b}`);
  assert.equal(r.onsets.length, 24);
  for (const [k, t] of r.onsets.entries()) assert.ok(Math.abs(t - (0.1 + 0.5 * k)) < 0.02, `onset ${t}`);
});

void test('other tempi and a 44.1 kHz input', () => {
  for (const bpm of [90, 150]) {
    const r = analyzeRhythm(clickTrack(bpm, 12, SR), SR);
    assert.ok(Math.abs(r.tempo - bpm) < 3, `${bpm}: ${r.tempo}`);
  }
  const r = analyzeRhythm(clickTrack(120, 8, 44100), 44100);
  assert.ok(Math.abs(r.tempo - 120) < 3, `44.1 kHz: ${r.tempo}`);
  assert.ok(Math.abs(r.hopSeconds - 512 / 44100) < 1e-12);
});

void test('a music-like loop at 112 BPM: tempo found, beats on the grid', () => {
  const r = analyzeRhythm(musicLike(15, SR, 112), SR);
  assert.ok(Math.abs(r.tempo - 112) < 3, `tempo ${r.tempo}`);
  assert.ok(Math.abs(median(gaps(r.beats)) - 60 / 112) < 0.03);
  const period = 60 / 112;
  for (const b of r.beats) {
    const phase = (b + period / 2) % period;
    assert.ok(Math.abs(phase - period / 2) < 0.03, `beat ${b} off the grid`);
  }
});

void test('silence, a steady tone and noise: no tempo, no beats, finite envelopes', () => {
  for (const [name, x] of [
    ['silence', new Float32Array(5 * SR)],
    ['sine', sine(440, 5)],
    ['noise', whiteNoise(5)],
  ] as const) {
    const r = analyzeRhythm(x, SR);
    assert.equal(r.tempo, 0, name);
    assert.deepEqual(r.beats, [], name);
    assert.deepEqual(r.onsets, [], name);
    assert.ok(r.onsetEnvelope.every(Number.isFinite) && r.rms.every(Number.isFinite), name);
    assert.equal(r.onsetEnvelope.length, r.rms.length);
  }
  const empty = analyzeRhythm(new Float32Array(0), SR);
  assert.equal(empty.onsetEnvelope.length, 0);
  assert.equal(empty.tempo, 0);
});

void test('envelope frames are one hop apart; 60 s of audio gives ~3750 frames at 16 kHz', () => {
  const r = analyzeRhythm(new Float32Array(60 * SR), SR);
  assert.equal(r.hopSeconds, 0.016);
  assert.equal(r.onsetEnvelope.length, Math.floor((60 * SR - 512) / 256) + 1);
  assert.ok(r.startSeconds > 0 && r.startSeconds < 0.032);
});

void test('loudestWindow finds the loud stretch, and 0 when the song fits in the window', () => {
  const x = new Float32Array(30 * SR);
  x.set(whiteNoise(30, SR, 0.01));
  x.set(whiteNoise(5, SR, 0.5, 9), 17 * SR);
  assert.equal(loudestWindow(x, SR, 5), 17);
  assert.equal(loudestWindow(x, SR, 30), 0);
  assert.equal(loudestWindow(x, SR, 60), 0);
  assert.equal(loudestWindow(new Float32Array(20 * SR), SR, 5), 0);
  assert.throws(() => loudestWindow(x, SR, 0), RangeError);
});

void test('beats stay where the music is: none in leading or trailing silence', () => {
  const x = new Float32Array(16 * SR);
  x.set(clickTrack(120, 8, SR, 0.1), 4 * SR);
  const r = analyzeRhythm(x, SR);
  assert.ok(Math.abs(r.tempo - 120) < 3);
  assert.ok(r.beats.length >= 14, `${r.beats.length} beats`);
  assert.ok(r.beats[0]! > 4, `first beat ${r.beats[0]}`);
  assert.ok(r.beats[r.beats.length - 1]! < 12.1, `last beat ${r.beats[r.beats.length - 1]}`);
});

void test('the low band: a kick (dies in ~0.1 s) keeps its onset weight for the off-beat check, a held bass note loses most', () => {
  const x = new Float32Array(4 * SR);
  const tone = (at: number, hz: number, decay: number) => {
    const s0 = Math.round(at * SR);
    for (let j = 0; s0 + j < x.length && j < 1.5 * SR; j++) x[s0 + j]! += 0.6 * Math.exp(-j / (decay * SR)) * Math.sin((2 * Math.PI * hz * j) / SR);
  };
  tone(0.5, 60, 0.03); // kick
  tone(2.5, 82, 0.4); // bass note
  const fa = analyzeFrames(x, SR, false);
  const fps = SR / fa.hop;
  assert.equal(fa.lowLevel.length, fa.count);
  assert.ok(fa.lowLevel.every(Number.isFinite));
  const kick = kickOnsets(fa.onsetLow, fa.lowLevel, fps);
  const around = (t: number, e: ArrayLike<number>) => {
    let m = 0;
    for (let i = Math.round(t * fps) - 3; i <= Math.round(t * fps) + 5; i++) m = Math.max(m, e[i]!);
    return m;
  };
  const kickShare = around(0.5, kick) / around(0.5, fa.onsetLow);
  const bassShare = around(2.5, kick) / around(2.5, fa.onsetLow);
  assert.ok(around(0.5, fa.onsetLow) > 0 && around(2.5, fa.onsetLow) > 0, 'both are low-band onsets');
  assert.ok(kickShare > 0.9, `kick keeps ${kickShare.toFixed(2)}`);
  assert.ok(bassShare < 0.5, `bass keeps ${bassShare.toFixed(2)}`);
});
