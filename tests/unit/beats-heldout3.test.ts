// The heldout3 beat set's reference builders and filters (bench/beats/heldout3.ts) and its check's verdict
// (bench/beats/check-reference3.ts) on tiny MIDI files made here. No Debian files or renderers needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBeats } from '../../bench/beats.bench.js';
import { crossPulse } from '../../bench/beats/check-reference.js';
import { suspicion } from '../../bench/beats/check-reference3.js';
import { mainBpm, midiNames, midiProblem, midiReference, noteSpanSeconds, timidityArgs, trimArgs } from '../../bench/beats/heldout3.js';
import { type NoteEvent, type Song, writeSmf } from '../../bench/beats/smf.js';

const close = (a: readonly number[], b: readonly number[], eps = 1e-9) => {
  assert.equal(a.length, b.length, `${a.length} beats, expected ${b.length}`);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < eps, `beat ${i}: ${x} vs ${b[i]}`));
};

/** one note every `step` ticks from `from` to `to` (exclusive) */
const every = (from: number, to: number, step: number, jitter = 0): NoteEvent[] => {
  const out: NoteEvent[] = [];
  for (let t = from, i = 0; t < to; t += step, i++) out.push({ tick: t + (i % 2 ? jitter : 0), dur: 10, key: 60, vel: 90, channel: 0 });
  return out;
};

const song = (tempos: Song['tempos'], signatures: Song['signatures'], notes: NoteEvent[]): Buffer =>
  writeSmf({ ppq: 96, tempos, signatures, tracks: [{ channel: 0, program: 0, notes }] });

test('MIDI reference: quarters at 120 then 60 BPM, from the first note (a beat in) to the last', () => {
  // 4 beats at 120 (0.5 s) then 4 at 60 (1 s); notes from tick 96 to tick 672
  const midi = song([{ tick: 0, bpm: 120 }, { tick: 384, bpm: 60 }], [{ tick: 0, num: 4, den: 4 }], every(96, 768, 96));
  close(midiReference(midi), [0.5, 1, 1.5, 2, 3, 4, 5]);
  // the same beats as the bench's reference for a MIDI song (its grid, up to the last note + 50 ms)
  close(midiReference(midi), referenceBeats({ name: 'x', set: 'heldout3', midi }, new Float32Array(0), Infinity));
});

test('MIDI reference: dotted quarters in 6/8, quarters again after a change to 2/4', () => {
  // 6/8 at 120 quarters a minute: a beat every 0.75 s (144 ticks); 2/4 from tick 576 (4 dotted beats = 3 s)
  const midi = song([{ tick: 0, bpm: 120 }], [{ tick: 0, num: 6, den: 8 }, { tick: 576, num: 2, den: 4 }], every(0, 960, 48));
  close(midiReference(midi), [0, 0.75, 1.5, 2.25, 3, 3.5, 4, 4.5]);
  // the main tempo counts the grid's beats: 2 s of 6/8 at 80 dotted quarters, then 2.5 s of 2/4 at 120
  assert.equal(mainBpm(midi), 80);
});

test('main tempo: the one that lasts longest over the notes (in seconds, not ticks)', () => {
  // 8 beats at 60 (8 s) then 16 at 240 (4 s): 60 wins though it covers fewer ticks
  const midi = song([{ tick: 0, bpm: 60 }, { tick: 768, bpm: 240 }], [{ tick: 0, num: 4, den: 4 }], every(0, 2304 + 1, 96));
  assert.equal(mainBpm(midi), 60);
  // a half-note beat in 2/2 counts half the quarter-note tempo
  assert.equal(mainBpm(song([{ tick: 0, bpm: 180 }], [{ tick: 0, num: 2, den: 2 }], every(0, 960, 96))), 90);
});

test('MIDI filter: quantised and long enough, else the reason', () => {
  // 40 s of quarters at 120 BPM
  const ok = song([{ tick: 0, bpm: 120 }], [{ tick: 0, num: 4, den: 4 }], every(0, 80 * 96, 96));
  assert.ok(Math.abs(noteSpanSeconds(ok) - 39.5) < 1e-9);
  assert.equal(midiProblem(ok), null);
  // every other note 7 ticks late (ppq 96: more than 1/64 of a beat off a sixteenth or a triplet)
  const loose = song([{ tick: 0, bpm: 120 }], [{ tick: 0, num: 4, den: 4 }], every(0, 80 * 96, 96, 7));
  assert.match(midiProblem(loose)!, /not quantised \(50% /);
  const short = song([{ tick: 0, bpm: 120 }], [{ tick: 0, num: 4, den: 4 }], every(0, 20 * 96, 96));
  assert.match(midiProblem(short)!, /^9\.5 s of notes/);
  assert.equal(midiProblem(song([{ tick: 0, bpm: 120 }], [{ tick: 0, num: 4, den: 4 }], [])), 'no notes');
});

test('MIDI song names: the stem, with the folder where two files share one', () => {
  assert.deepEqual(midiNames(['/e/misc/convert4to5.mid', '/e/subroutines/convert4to5.mid', '/e/aria/When-or-Where.mid'], 'mma_'), [
    'mma_misc_convert4to5',
    'mma_subroutines_convert4to5',
    'mma_when_or_where',
  ]);
});

test('render args: TiMidity keeps the leading silence and uses freepats; the trim is 125 s of mono float', () => {
  const t = timidityArgs('in.mid', 'out.wav');
  assert.ok(t.includes('--preserve-silence'));
  assert.deepEqual(t.slice(0, 2), ['-c', '/etc/timidity/freepats.cfg']);
  assert.deepEqual(t.slice(-3), ['-o', 'out.wav', 'in.mid']);
  const f = trimArgs('raw.wav', 'out.wav');
  assert.deepEqual(f.slice(f.indexOf('-t'), f.indexOf('-t') + 2), ['-t', '125']);
  assert.deepEqual(f.slice(-7), ['-ac', '1', '-ar', '22050', '-c:a', 'pcm_f32le', 'out.wav']);
});

test('reference check verdict: a late peak or a stronger half-beat shift is suspect', () => {
  assert.equal(suspicion({ at: { '0': 5, '0.5 beat': 2 }, firstHalfLagMs: 6, secondHalfLagMs: -8 }), null);
  assert.equal(suspicion({ at: { '0': 5, '0.5 beat': 2 }, firstHalfLagMs: 20, secondHalfLagMs: 18 }), 'peak lag 20 / 18 ms');
  assert.equal(suspicion({ at: { '0': 2, '0.5 beat': 3 }, firstHalfLagMs: 0, secondHalfLagMs: 0 }), 'the half-beat shift scores higher');
  // a 6/8 song whose audio runs in quarters: the pulse every 2/3 beat beats the notated beats
  assert.equal(suspicion({ at: { '0': 3.9, '0.5 beat': 0.7, '2/3 pulse': 5.4, '3/4 pulse': 1.5 }, firstHalfLagMs: 0, secondHalfLagMs: 0 }), 'a 2/3 pulse across the beat scores as high as the beats');
});

test('cross pulse: every 2/3 of a beat from the first beat, following the beats as they speed up', () => {
  // beats at 0, 1, 2, 3 then 3.5, 4 (a tempo change): the pulse at beat indices 0, 2/3, 4/3, 2, 8/3, 10/3, 4, 14/3
  const got = crossPulse([0, 1, 2, 3, 3.5, 4], 2 / 3);
  const want = [0, 2 / 3, 4 / 3, 2, 8 / 3, 3 + 1 / 6, 3.5, 3.5 + 1 / 3];
  assert.equal(got.length, want.length);
  got.forEach((t, i) => assert.ok(Math.abs(t - want[i]!) < 1e-9, `${i}: ${t} vs ${want[i]}`));
});
