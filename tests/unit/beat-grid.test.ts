// The beat tracker on synthetic signals whose grid is known: a tempo change, swung off-beats louder
// than the beat, a strong/weak alternation that invites half tempo, a quiet intro; and the MIREX score.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { beatFMeasure } from '../../src/core/beat-eval.js';
import { analyzeRhythm } from '../../src/features/audio/rhythm.js';
import { seededRandom } from '../../src/features/audio/synth.js';

const SR = 16000;

/** Adds a decaying burst at time t: noise (a click) or a low sine (a kick). */
function hit(x: Float32Array, t: number, amp: number, kind: 'click' | 'kick', rnd: () => number): void {
  const s0 = Math.round(t * SR);
  const decay = (kind === 'kick' ? 0.03 : 0.003) * SR;
  for (let j = 0; j < 6 * decay && s0 + j < x.length; j++) {
    const e = amp * Math.exp(-j / decay);
    x[s0 + j]! += kind === 'kick' ? e * Math.sin((2 * Math.PI * 60 * j) / SR) : e * (2 * rnd() - 1);
  }
}

/** Beat times from a piecewise tempo: [fromSeconds, bpm] pairs. */
function grid(seconds: number, first: number, tempi: [number, number][]): number[] {
  const out: number[] = [];
  for (let t = first; t < seconds - 0.1; ) {
    out.push(t);
    let bpm = tempi[0]![1];
    for (const [from, b] of tempi) if (t >= from) bpm = b;
    t += 60 / bpm;
  }
  return out;
}

void test('MIREX F-measure: ±70 ms one-to-one matches, first 5 s skipped', () => {
  const ref = [5, 5.5, 6, 6.5, 7];
  assert.equal(beatFMeasure(ref, ref).f, 1);
  assert.equal(beatFMeasure(ref, ref.map((t) => t + 0.06)).f, 1);
  assert.equal(beatFMeasure(ref, ref.map((t) => t + 0.08)).f, 0);
  // every other beat: precision 1, recall 3/5
  const half = beatFMeasure(ref, [5, 6, 7]);
  assert.equal(half.precision, 1);
  assert.ok(Math.abs(half.recall - 0.6) < 1e-12);
  // two estimates near one reference beat count once
  assert.equal(beatFMeasure([6], [5.98, 6.02]).hits, 1);
  // beats before 5 s are ignored on both sides
  assert.equal(beatFMeasure([1, 2, 6], [6]).f, 1);
  assert.equal(beatFMeasure([], []).f, 1);
});

void test('clicks that speed up from 100 to 140 BPM: the grid follows the change', () => {
  const seconds = 40;
  const ref = grid(seconds, 0.2, [[0, 100], [20, 140]]);
  const x = new Float32Array(seconds * SR);
  const rnd = seededRandom(1);
  for (const t of ref) hit(x, t, 0.7, 'click', rnd);
  const r = analyzeRhythm(x, SR);
  const f = beatFMeasure(ref, r.beats).f;
  assert.ok(f > 0.95, `F ${f.toFixed(3)}`);
});

void test('swung eighths louder than the beat: beats stay on the beat, not on the off-beat', () => {
  const seconds = 30;
  const bpm = 120;
  const ref = grid(seconds, 0.3, [[0, bpm]]);
  const x = new Float32Array(seconds * SR);
  const rnd = seededRandom(2);
  for (const t of ref) {
    hit(x, t, 0.35, 'click', rnd);
    hit(x, t, 0.5, 'kick', rnd);
    hit(x, t + (2 / 3) * (60 / bpm), 0.8, 'click', rnd); // the accented swung eighth
  }
  const r = analyzeRhythm(x, SR);
  const f = beatFMeasure(ref, r.beats).f;
  assert.ok(f > 0.9, `F ${f.toFixed(3)} (tempo ${r.tempo.toFixed(1)})`);
});

void test('strong and weak beats alternating at 150 BPM: the tracker keeps 150, not 75', () => {
  const seconds = 30;
  const ref = grid(seconds, 0.25, [[0, 150]]);
  const x = new Float32Array(seconds * SR);
  const rnd = seededRandom(3);
  ref.forEach((t, i) => hit(x, t, i % 2 ? 0.35 : 0.8, 'click', rnd));
  const r = analyzeRhythm(x, SR);
  assert.ok(Math.abs(r.tempo - 150) < 4, `tempo ${r.tempo.toFixed(1)}`);
  assert.ok(beatFMeasure(ref, r.beats).f > 0.95);
});

void test('a quiet intro (-30 dB) before the loud part keeps its beats; leading silence gets none', () => {
  const seconds = 36;
  const ref = grid(seconds, 3, [[0, 110]]);
  const x = new Float32Array(seconds * SR);
  const rnd = seededRandom(4);
  for (const t of ref) hit(x, t, t < 15 ? 0.025 : 0.8, 'click', rnd);
  const r = analyzeRhythm(x, SR);
  const intro = ref.filter((t) => t >= 5 && t < 15);
  const found = intro.filter((t) => r.beats.some((b) => Math.abs(b - t) < 0.07)).length;
  assert.ok(found >= intro.length - 1, `${found} of ${intro.length} intro beats`);
  assert.ok(r.beats[0]! > 2.5, `first beat ${r.beats[0]} lies in the silent lead-in`);
  assert.ok(beatFMeasure(ref, r.beats).f > 0.95);
});
