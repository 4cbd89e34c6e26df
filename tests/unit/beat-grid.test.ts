// The beat tracker on synthetic signals whose grid is known: a tempo change, swung off-beats louder
// than the beat, off-beat clicks louder than the kick on the beat, a bass on the off-beat, a strong/weak
// alternation that invites half tempo, a quiet intro, a dotted-eighth pulse inside a clear bar, chords
// that change on the beat under louder off-beat hi-hats; and the MIREX score.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { beatFMeasure } from '../../src/core/beat-eval.js';
import { analyzeFrames, HARMONIC_BANDS } from '../../src/features/audio/frames.js';
import { barConsistentRatio, DEFAULT_GRID, levelFactor, tempoMass, tempoPath, trackGrid } from '../../src/features/audio/grid.js';
import { analyzeRhythm } from '../../src/features/audio/rhythm.js';
import { seededRandom } from '../../src/features/audio/synth.js';

const SR = 16000;

/** Adds a decaying burst at time t: noise (a click), a low sine (a kick), a low sine that holds (a bass note)
 * or differentiated noise, mostly above 4 kHz (a hi-hat). */
function hit(x: Float32Array, t: number, amp: number, kind: 'click' | 'kick' | 'bass' | 'hat', rnd: () => number): void {
  const s0 = Math.round(t * SR);
  const decay = ({ kick: 0.03, click: 0.003, bass: 0.25, hat: 0.02 } as const)[kind] * SR;
  const hz = kind === 'bass' ? 82 : 60;
  let prev = 0;
  for (let j = 0; j < 6 * decay && s0 + j < x.length; j++) {
    const e = amp * Math.exp(-j / decay);
    const n = kind === 'click' || kind === 'hat' ? 2 * rnd() - 1 : 0;
    x[s0 + j]! += kind === 'click' ? e * n : kind === 'hat' ? e * 0.5 * (n - prev) : e * Math.sin((2 * Math.PI * hz * j) / SR);
    prev = n;
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

void test('swung sixteenths (onsets at 0, 1/3, 1/2 and 5/6 of the beat): the swing check leaves the grid on the beat', () => {
  // a third of a beat after the beat there is an onset and two thirds after none, as on a grid locked on a
  // swung eighth; but the half-beat is full, which a swung eighth's grid never has
  const seconds = 30;
  const bpm = 100;
  const ref = grid(seconds, 0.3, [[0, bpm]]);
  const x = new Float32Array(seconds * SR);
  const rnd = seededRandom(5);
  const beat = 60 / bpm;
  for (const t of ref) {
    hit(x, t, 0.7, 'kick', rnd);
    hit(x, t, 0.5, 'hat', rnd);
    hit(x, t + beat / 3, 0.4, 'hat', rnd);
    hit(x, t + beat / 2, 0.5, 'hat', rnd);
    hit(x, t + (5 / 6) * beat, 0.4, 'hat', rnd);
  }
  const r = analyzeRhythm(x, SR);
  const f = beatFMeasure(ref, r.beats).f;
  assert.ok(f > 0.9, `F ${f.toFixed(3)} (tempo ${r.tempo.toFixed(1)})`);
});

void test('6/8 at 56 dotted quarters a minute (eighths at 168, grouped in threes): the beat is the dotted quarter', () => {
  const seconds = 40;
  const beat = 60 / 56;
  const ref = grid(seconds, 0.3, [[0, 56]]);
  const x = new Float32Array(seconds * SR);
  const rnd = seededRandom(9);
  for (const t of ref) {
    hit(x, t, 0.6, 'kick', rnd);
    hit(x, t, 0.5, 'click', rnd);
    for (let e = 0; e < 3; e++) hit(x, t + (e * beat) / 3, 0.3, 'hat', rnd);
  }
  const r = analyzeRhythm(x, SR);
  const f = beatFMeasure(ref, r.beats).f;
  assert.ok(Math.abs(r.tempo - 56) < 2, `tempo ${r.tempo.toFixed(1)}`);
  assert.ok(f > 0.9, `F ${f.toFixed(3)}`);
});

void test('3/4 at 150 BPM, the first beat of each bar louder: the beat stays the quarter', () => {
  const seconds = 30;
  const ref = grid(seconds, 0.3, [[0, 150]]);
  const x = new Float32Array(seconds * SR);
  const rnd = seededRandom(10);
  ref.forEach((t, i) => {
    if (i % 3 === 0) hit(x, t, 0.6, 'kick', rnd);
    hit(x, t, i % 3 === 0 ? 0.6 : 0.3, 'click', rnd);
  });
  const r = analyzeRhythm(x, SR);
  const f = beatFMeasure(ref, r.beats).f;
  assert.ok(f > 0.9, `F ${f.toFixed(3)} (tempo ${r.tempo.toFixed(1)})`);
});

void test('a section where a dotted-eighth figure outweighs the beat: the tempo path keeps the song tempo there', () => {
  // 120 BPM throughout; from 20 to 40 s a figure every 0.375 s (3:4 of the beat, 160 BPM) twice as strong as
  // the beat, which the 8-s windows there prefer
  const fps = 62.5;
  const env = new Float64Array(60 * fps);
  for (let t = 0.3; t < 60; t += 0.5) {
    const mid = t > 20 && t < 40;
    env[Math.round(t * fps)]! += mid ? 0.5 : 1;
    if (!mid) env[Math.round((t + 0.25) * fps)]! += 0.4;
  }
  for (let t = 20.3; t < 40; t += 0.375) env[Math.round(t * fps)]! += 1;
  const p = tempoPath(env, fps);
  for (const s of [5, 25, 30, 35, 55]) assert.ok(Math.abs(p.bpm[Math.round(s * fps)]! - 120) < 3, `${s} s: ${p.bpm[Math.round(s * fps)]!.toFixed(1)} BPM`);
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

void test('off-beat clicks louder than the kick on the beat: the grid sits on the kick', () => {
  // the full band alone locks half a beat late here (the tracker before the off-beat check scored F 0)
  const seconds = 30;
  const bpm = 120;
  const ref = grid(seconds, 0.3, [[0, bpm]]);
  const x = new Float32Array(seconds * SR);
  const rnd = seededRandom(5);
  for (const t of ref) {
    hit(x, t, 0.8, 'kick', rnd);
    hit(x, t, 0.3, 'click', rnd);
    hit(x, t + 30 / bpm, 0.5, 'click', rnd);
  }
  const r = analyzeRhythm(x, SR);
  const f = beatFMeasure(ref, r.beats).f;
  assert.ok(f > 0.95, `F ${f.toFixed(3)} (tempo ${r.tempo.toFixed(1)})`);
});

void test('a held bass line on the off-beat under kick and snare on the beat: the grid stays on the beat', () => {
  // the off-beat check weighs low onsets by how fast they die away: a kick's do, a held bass note's do not
  const seconds = 30;
  const bpm = 124;
  const ref = grid(seconds, 0.3, [[0, bpm]]);
  const x = new Float32Array(seconds * SR);
  const rnd = seededRandom(6);
  for (const t of ref) {
    hit(x, t, 0.7, 'kick', rnd);
    hit(x, t, 0.5, 'click', rnd);
    hit(x, t + 30 / bpm, 0.6, 'bass', rnd);
    hit(x, t + 30 / bpm, 0.15, 'click', rnd);
  }
  const r = analyzeRhythm(x, SR);
  const f = beatFMeasure(ref, r.beats).f;
  assert.ok(f > 0.95, `F ${f.toFixed(3)} (tempo ${r.tempo.toFixed(1)})`);
});

void test('a dotted-eighth pulse inside a clearly repeating 4/4 bar: the 3:4 check restores the beat', () => {
  // onsets every 3/4 of a beat (0, 0.75, 1.5, 2.25, 3 beats) and an accent on each bar at 120 BPM: the
  // 160-BPM pulse repeats better than the beat, but only the beat divides the bar
  const fps = 62.5;
  const env = new Float64Array(60 * fps);
  for (let bar = 0; bar * 2 < 58; bar++) {
    for (const [b, a] of [[0, 3], [0.75, 1], [1.5, 1], [2.25, 1], [3, 1]] as const) env[Math.round((bar * 4 + b) * 0.5 * fps)] = a;
  }
  assert.equal(barConsistentRatio(env, fps, 160, DEFAULT_GRID), 4 / 3);
  assert.equal(barConsistentRatio(env, fps, 120, DEFAULT_GRID), 1);
});

void test('chords change on the beat, hi-hats louder on the off-beat, no kick: the phase choice puts the grid on the chords', () => {
  // the onsets alone (round 3's tracker) lock on the hi-hats; the spectral change before and after each
  // beat (grid-select.ts) tells where the chords change
  const seconds = 30;
  const bpm = 110;
  const ref = grid(seconds, 0.4, [[0, bpm]]);
  const x = new Float32Array(seconds * SR);
  const rnd = seededRandom(7);
  const chords = [[523, 659, 784], [587, 740, 880], [494, 622, 740], [440, 554, 659], [698, 880, 1047]];
  ref.forEach((t, i) => {
    const c = chords[(i * 3) % chords.length]!;
    const s0 = Math.round(t * SR);
    const len = Math.round((60 / bpm) * SR);
    for (let j = 0; j < len && s0 + j < x.length; j++) {
      // a soft attack, held to the next beat: a chord change, hardly an onset
      const env = 0.12 * Math.min(1, j / (0.04 * SR));
      for (const hz of c) x[s0 + j]! += env * Math.sin((2 * Math.PI * hz * j) / SR);
    }
    hit(x, t, 0.15, 'click', rnd);
    hit(x, t + 30 / bpm, 0.6, 'click', rnd);
  });
  const fa = analyzeFrames(x, SR, false);
  const fps = SR / fa.hop;
  const start = (fa.win - fa.hop / 2) / SR;
  const bands = { mid: fa.onsetMid, high: fa.onsetHigh, harmonic: fa.harmonic, harmonicBands: HARMONIC_BANDS };
  const times = (beats: number[]) => beats.map((b) => start + b / fps);
  const onsetsOnly = trackGrid(fa.onset, fa.onsetLow, fa.rms, fps, {}, fa.lowLevel, bands, null)!;
  const chosen = trackGrid(fa.onset, fa.onsetLow, fa.rms, fps, {}, fa.lowLevel, bands)!;
  const before = beatFMeasure(ref, times(onsetsOnly.beats)).f;
  const after = beatFMeasure(ref, times(chosen.beats)).f;
  assert.ok(before < 0.2, `the onsets alone: F ${before.toFixed(3)} (expected the off-beat)`);
  assert.ok(after > 0.95, `with the phase choice: F ${after.toFixed(3)}`);
  assert.ok(beatFMeasure(ref, analyzeRhythm(x, SR).beats).f > 0.95, 'analyzeRhythm uses the phase choice');
});

/** A tempo head's probabilities over quarter-tone bins from 40 to 250 BPM, as a Gaussian (one bin wide) at `bpm`. */
function headAt(bpm: number): { bpm: number[]; p: Float64Array } {
  const bins: number[] = [];
  for (let b = 40; b <= 250; b *= 2 ** (1 / 24)) bins.push(b);
  const p = Float64Array.from(bins, (b) => Math.exp(-0.5 * (24 * Math.log2(b / bpm)) ** 2));
  const sum = p.reduce((a, v) => a + v, 0);
  return { bpm: bins, p: p.map((v) => v / sum) };
}

void test('levelFactor: half or twice the tracked tempo only where the tempo head clearly says so, never beyond the range', () => {
  assert.equal(levelFactor(headAt(60), 120), 0.5);
  assert.equal(levelFactor(headAt(240), 120), 2);
  assert.equal(levelFactor(headAt(120), 120), 1);
  // a head torn between 60 and 120 leaves the tracked level
  const torn = headAt(60);
  const at120 = headAt(120);
  const mixed = { bpm: torn.bpm, p: torn.p.map((v, k) => 0.6 * v + 0.4 * at120.p[k]!) };
  assert.equal(levelFactor(mixed, 120), 1);
  // 2 x 150 = 300 BPM is beyond the tracker's 240
  assert.equal(levelFactor(headAt(250), 150), 1);
  assert.ok(Math.abs(tempoMass(headAt(100), 100) - 1) < 0.05);
  assert.ok(tempoMass(headAt(100), 130) < 1e-3);
});

void test('a tempo head at half the tracked tempo halves the grid; the phase choice then picks the accented beats', () => {
  // strong and weak clicks alternating at 120 BPM: the onsets alone track 120; a head at 60 moves the grid to
  // every other click, the strong ones
  const seconds = 30;
  const ref = grid(seconds, 0.3, [[0, 120]]);
  const x = new Float32Array(seconds * SR);
  const rnd = seededRandom(11);
  ref.forEach((t, i) => {
    hit(x, t, i % 2 === 0 ? 0.8 : 0.3, 'click', rnd);
    if (i % 2 === 0) hit(x, t, 0.6, 'kick', rnd);
  });
  const fa = analyzeFrames(x, SR, false);
  const fps = SR / fa.hop;
  const start = (fa.win - fa.hop / 2) / SR;
  const bands = { mid: fa.onsetMid, high: fa.onsetHigh, harmonic: fa.harmonic, harmonicBands: HARMONIC_BANDS };
  const times = (beats: number[]) => beats.map((b) => start + b / fps);
  const flat = new Float32Array(fa.count);
  const tracked = trackGrid(fa.onset, fa.onsetLow, fa.rms, fps, {}, fa.lowLevel, bands, undefined, { activation: () => flat, tempo: () => headAt(120) })!;
  assert.ok(beatFMeasure(ref, times(tracked.beats)).f > 0.95, 'a head at the tracked tempo changes nothing');
  const halved = trackGrid(fa.onset, fa.onsetLow, fa.rms, fps, {}, fa.lowLevel, bands, undefined, { activation: () => flat, tempo: () => headAt(60) })!;
  assert.ok(Math.abs(halved.tempo.median - 60) < 3, `tempo ${halved.tempo.median.toFixed(1)}`);
  const strong = ref.filter((_, i) => i % 2 === 0);
  const f = beatFMeasure(strong, times(halved.beats)).f;
  assert.ok(f > 0.95, `F against the strong clicks ${f.toFixed(3)}`);
  // a forced level needs no head: twice the tempo puts a beat halfway between the clicks
  const doubled = trackGrid(fa.onset, fa.onsetLow, fa.rms, fps, { level: 2 }, fa.lowLevel, bands)!;
  const mids = ref.slice(1).map((t, i) => (t + ref[i]!) / 2);
  assert.ok(beatFMeasure([...ref, ...mids].sort((p, q) => p - q), times(doubled.beats)).f > 0.95);
  assert.ok(Math.abs(doubled.tempo.median - 240) < 8, `tempo ${doubled.tempo.median.toFixed(1)}`);
  assert.throws(() => trackGrid(fa.onset, fa.onsetLow, fa.rms, fps, { level: 3 }, fa.lowLevel, bands), /level must be 0.5, 1 or 2/);
});
