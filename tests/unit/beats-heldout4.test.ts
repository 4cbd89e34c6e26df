import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { shiftedGrid } from '../../bench/beats/check-reference.js';
import { suspicion4 } from '../../bench/beats/check-reference4.js';
import { fluidsynthArgs, mainMeter, midiBytes, mmaGrooveInfo, mmaSong } from '../../bench/beats/heldout4.js';
import { writeSmf } from '../../bench/beats/smf.js';

test('mmaGrooveInfo: the first groove and the time signature of a library file', () => {
  const text = '// waltz\nDoc A waltz.\nTime 3\nTimeSig 3 4\nBegin Drum\nEnd\nDefGroove Waltz  A basic waltz\nDefGroove WaltzSus\n';
  assert.deepEqual(mmaGrooveInfo(text), { groove: 'Waltz', num: 3, den: 4 });
  assert.deepEqual(mmaGrooveInfo('Timesig 6/8\ndefgroove Blues68\n'), { groove: 'Blues68', num: 6, den: 8 });
  assert.equal(mmaGrooveInfo('Time 4\nDefGroove X\n'), null);
});

test('mmaSong: tempo, groove, random timing off, numbered bars', () => {
  const s = mmaSong('Waltz', 120, ['C', 'G7'], 2);
  assert.equal(s, 'Tempo 120\nGroove Waltz\nAllTracks RTime 0\n1 C\n2 G7\n3 C\n4 G7\n');
});

test('midiBytes unpacks gzip and passes a plain file through', () => {
  const mid = Buffer.from('MThd\0\0\0\x06', 'latin1');
  assert.deepEqual(midiBytes(gzipSync(mid)), mid);
  assert.deepEqual(midiBytes(mid), mid);
});

test('fluidsynthArgs: soundfont before the file, 22.05 kHz wav out', () => {
  assert.deepEqual(fluidsynthArgs('a.mid', 'b.wav', 'x.sf2'), ['-ni', '-q', '-g', '0.5', '-r', '22050', '-F', 'b.wav', 'x.sf2', 'a.mid']);
});

test('mainMeter: the signature that lasts longest over the notes', () => {
  const notes = Array.from({ length: 40 }, (_, i) => ({ tick: i * 240, dur: 200, key: 60, vel: 90, channel: 0 }));
  const midi = writeSmf({
    ppq: 480,
    tempos: [{ tick: 0, bpm: 120 }],
    signatures: [
      { tick: 0, num: 4, den: 4 },
      { tick: 1920, num: 6, den: 8 },
    ],
    tracks: [{ channel: 0, notes }],
  });
  assert.equal(mainMeter(midi), '6/8');
});

test('shiftedGrid shifts each beat by a fraction of its own gap', () => {
  assert.deepEqual(shiftedGrid([0, 1, 3], 0.5), [0.5, 2, 4]);
});

test('suspicion4: compound songs must beat the 1/3 and 2/3 shifts', () => {
  const c = { at: { '0': 2, '0.5 beat': 1 }, firstHalfLagMs: 0, secondHalfLagMs: 4 };
  assert.equal(suspicion4(c, 1.5, 1.4, true), null);
  assert.match(suspicion4(c, 0.9, 1.4, true)!, /1\/3 or 2\/3/);
  assert.equal(suspicion4(c, 0.9, 1.4, false), null);
  assert.match(suspicion4({ ...c, firstHalfLagMs: 20 }, 2, 2, false)!, /peak lag/);
});
